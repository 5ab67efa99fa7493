import { join } from 'node:path';
import { Testing, Token } from 'cdktf';
import { loadDeploymentFile } from '../../src/config/load';
import { AppsStack } from '../../stacks/apps';
import { LiteralManifests } from '../../stacks/literal-manifests';

const ROOT = join(__dirname, '..', '..');

describe('LiteralManifests', () => {
  it('stands in for a body without tokens and puts the same body back', () => {
    const literals = new LiteralManifests();
    const body = { kind: 'ConfigMap', data: { 'a.yaml': 'x: 1' } };
    const standIn = literals.defer('configmap_a', body);
    expect(standIn).not.toEqual(body);
    const tf = { resource: { kubernetes_manifest: { configmap_a: { manifest: standIn } } } };
    expect(literals.restore(tf).resource.kubernetes_manifest.configmap_a.manifest).toBe(body);
  });

  it('leaves a body with a Terraform reference to cdktf', () => {
    const literals = new LiteralManifests();
    const body = { kind: 'ConfigMap', data: { ip: Token.asString({ resolve: () => '${var.turn_public_ipv4}' }) } };
    expect(literals.defer('configmap_turn', body)).toBe(body);
  });

  it('writes dependencies first, keeps cdktf’s after them, and an empty list as empty', () => {
    const literals = new LiteralManifests();
    literals.dependsOn('a', ['kubernetes_manifest.ns']);
    literals.dependsOn('b', []);
    const tf = { resource: { kubernetes_manifest: { a: { depends_on: ['data.kubernetes_resources.crd'] }, b: {} } } };
    const out = literals.restore(tf).resource.kubernetes_manifest;
    expect(out.a.depends_on).toEqual(['kubernetes_manifest.ns', 'data.kubernetes_resources.crd']);
    expect(out.b.depends_on).toEqual([]);
  });

  it('refuses a stand-in without its body, and a dependency list without its resource', () => {
    expect(() => new LiteralManifests().restore({ resource: { kubernetes_manifest: { x: { manifest: new LiteralManifests().defer('x', { kind: 'A' }) } } } })).toThrow(/no deferred manifest body for x/);
    const literals = new LiteralManifests();
    literals.dependsOn('gone', []);
    expect(() => literals.restore({ resource: { kubernetes_manifest: {} } })).toThrow(/missing from the stack JSON: gone/);
  });

  it('leaves no stand-in in a synthesized apps stack, and every dependency names a resource of it', () => {
    const json = JSON.parse(Testing.synth(new AppsStack(Testing.app(), loadDeploymentFile(join(ROOT, 'deployments/research-open.yaml')))));
    expect(JSON.stringify(json)).not.toContain('deferred-manifest');
    const manifests = json.resource.kubernetes_manifest as Record<string, { depends_on?: string[]; manifest: { kind: string } }>;
    for (const [name, resource] of Object.entries(manifests)) {
      expect(typeof resource.manifest.kind).toBe('string');
      for (const dependency of resource.depends_on ?? []) {
        const [type, id] = dependency.split('.');
        expect({ name, dependency, exists: type === 'data' || (type === 'kubernetes_manifest' ? id in manifests : id in (json.resource[type] ?? {})) }).toEqual({ name, dependency, exists: true });
      }
    }
  });
});
