import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Testing } from 'cdktf';
import { parse } from 'yaml';
import { AppsStack } from '../../stacks/apps';
import { EXIT } from '../../src/shared/exit-codes';
import { loadDeploymentFile } from '../../src/config/load';
import { cli, tempDir } from '../helpers';

const ROOT = join(__dirname, '..', '..');
const EXAMPLES = ['deployments/example.yaml', 'deployments/agency-kubernetes.yaml', 'deployments/research-open.yaml', 'test/fixtures/valid/no-turn-allow-list.yaml'];
// A public address (documentation ranges are refused: clients could not reach TURN there).
const ADDRESS = '192.0.43.10';

type Json = Record<string, any>;

/** Every file under dir, relative path -> content. */
function tree(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else files[relative(dir, path)] = readFileSync(path, 'utf8');
    }
  };
  walk(dir);
  return files;
}

/** What Terraform writes from a manifest of the stack: template escapes undone, the TURN address given. */
function asApplied(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{').split('${var.turn_public_ipv4}').join(ADDRESS);
  if (Array.isArray(value)) return value.map(asApplied);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asApplied(v)]));
  return value;
}

const identity = (o: Json) => `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`;

describe.each(EXAMPLES)('manifests of %s', (file) => {
  const spec = loadDeploymentFile(join(ROOT, file));
  let out: string;
  let files: Record<string, string>;
  beforeAll(async () => {
    out = join(tempDir(), 'gitops');
    const result = await cli('manifests', join(ROOT, file), '--out', out, ...(spec.calls.turn ? ['--turn-public-ipv4', ADDRESS] : []));
    expect(result).toMatchObject({ code: EXIT.ok, stderr: '' });
    files = tree(out);
  });

  it('are exactly the objects the apps stack applies, Secrets aside', () => {
    const stack = JSON.parse(Testing.synth(new AppsStack(Testing.app(), spec)));
    const applied = Object.values(stack.resource.kubernetes_manifest as Record<string, Json>).map((r) => asApplied(r.manifest) as Json);
    // The main kustomization and, with monitoring.stack auto, one for each of the two monitoring stacks (the apps
    // stack has both, each counted by what the cluster has).
    const kustomizations = Object.keys(files).filter((p) => p === 'kustomization.yaml' || p.endsWith('/kustomization.yaml'));
    expect(kustomizations.length).toBe(spec.monitoring.stack === 'auto' ? 3 : 1);
    const listed = kustomizations.flatMap((k) => (parse(files[k]).resources as string[]).map((r) => k.replace(/kustomization\.yaml$/, '') + r));
    const written = listed.map((path) => parse(files[path]) as Json);
    expect(written.map(identity).sort()).toEqual(applied.filter((o) => o.kind !== 'Secret').map(identity).sort());
    const byIdentity = new Map(applied.map((o) => [identity(o), o]));
    for (const o of written) expect(o).toEqual(byIdentity.get(identity(o)));
    // Every object file is listed once; nothing else is a YAML object.
    const objectFiles = Object.keys(files).filter((p) => p.endsWith('.yaml') && !kustomizations.includes(p));
    expect([...listed].sort()).toEqual(objectFiles.sort());
  });

  it('list Namespaces first and workloads last', () => {
    const kinds = (parse(files['kustomization.yaml']).resources as string[]).map((p) => parse(files[p]).kind as string);
    const firstOther = kinds.findIndex((k) => k !== 'Namespace');
    expect(kinds.slice(0, firstOther).every((k) => k === 'Namespace')).toBe(true);
    expect(kinds.slice(firstOther)).not.toContain('Namespace');
    const firstWorkload = kinds.findIndex((k) => k === 'Deployment' || k === 'StatefulSet');
    expect(kinds.slice(firstWorkload).every((k) => k === 'Deployment' || k === 'StatefulSet')).toBe(true);
  });

  it('never contain a Secret, and say which Secrets to create with which keys', () => {
    for (const [path, content] of Object.entries(files)) {
      if (path.endsWith('.yaml')) expect({ path, secret: /^kind: Secret$/m.test(content) }).toEqual({ path, secret: false });
    }
    const stack = JSON.parse(Testing.synth(new AppsStack(Testing.app(), spec)));
    const secrets = Object.values(stack.resource.kubernetes_manifest as Record<string, Json>).map((r) => r.manifest).filter((m) => m.kind === 'Secret');
    expect(secrets.length).toBeGreaterThan(5);
    for (const s of secrets) {
      for (const key of Object.keys(s.data)) {
        expect(files['SECRETS.md']).toContain(`| ${s.metadata.namespace} | ${s.metadata.name} | ${key} |`);
        expect(files['create-secrets.sh']).toMatch(new RegExp(`create_secret '${s.metadata.namespace}' '${s.metadata.name}' .*'${key.replace('.', '\\.')}'`));
      }
    }
    execFileSync('bash', ['-n', join(out, 'create-secrets.sh')]);
    expect(statSync(join(out, 'create-secrets.sh')).mode & 0o111).not.toBe(0);
  });

  it('are byte-identical across runs', async () => {
    const again = join(tempDir(), 'gitops');
    await cli('manifests', join(ROOT, file), '--out', again, ...(spec.calls.turn ? ['--turn-public-ipv4', ADDRESS] : []));
    expect(tree(again)).toEqual(files);
  });
});

describe('manifests command line', () => {
  const example = join(ROOT, 'deployments/agency-kubernetes.yaml');

  it('needs the TURN address when the deployment runs TURN, and writes nothing without it', async () => {
    const out = join(tempDir(), 'gitops');
    const result = await cli('manifests', example, '--out', out);
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toMatch(/--turn-public-ipv4/);
    expect(result.stderr.split('\n')).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
    const bad = await cli('manifests', example, '--out', out, '--turn-public-ipv4', '2001:db8::1');
    expect(bad).toMatchObject({ code: EXIT.usage, stderr: expect.stringContaining('not an IPv4 address') });
    // A private address would never reach clients: refused as deploy's preflight refuses it.
    const private10 = await cli('manifests', example, '--out', out, '--turn-public-ipv4', '10.0.0.5');
    expect(private10).toMatchObject({ code: EXIT.usage, stderr: expect.stringContaining("'10.0.0.5' is not a public address: it is in 10.0.0.0/8") });
    expect(existsSync(out)).toBe(false);
    expect(existsSync(out)).toBe(false);
  });

  it('never overwrites a directory it did not write, and replaces its own output whole', async () => {
    const foreign = tempDir();
    writeFileSync(join(foreign, 'keep.txt'), 'mine');
    const refused = await cli('manifests', example, '--out', foreign, '--turn-public-ipv4', ADDRESS);
    expect(refused.code).toBe(EXIT.usage);
    expect(readdirSync(foreign)).toEqual(['keep.txt']);

    const out = join(tempDir(), 'gitops');
    expect((await cli('manifests', example, '--out', out, '--turn-public-ipv4', ADDRESS)).code).toBe(EXIT.ok);
    mkdirSync(join(out, 'stale'));
    writeFileSync(join(out, 'stale', 'old.yaml'), 'kind: ConfigMap');
    expect((await cli('manifests', example, '--out', out, '--turn-public-ipv4', ADDRESS)).code).toBe(EXIT.ok);
    expect(existsSync(join(out, 'stale'))).toBe(false);
    expect(readdirSync(join(out, '..')).filter((n) => n.startsWith('.gitops'))).toEqual([]); // no staging directory left
  });

  it('reports an invalid deployment file at its line and writes nothing', async () => {
    const dir = tempDir();
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, readFileSync(example, 'utf8').replace(/^name: .*$/m, 'name: Not_Valid'));
    const out = join(dir, 'gitops');
    const result = await cli('manifests', bad, '--out', out, '--turn-public-ipv4', ADDRESS);
    expect(result.code).toBe(EXIT.invalidDeployment);
    expect(result.stderr).toMatch(new RegExp(`^${bad}:\\d+:\\d+: name:`));
    expect(existsSync(out)).toBe(false);
  });
});
