import { containersOf, kubeObjects, renderedFromJson, resourcesOf, synthesizeForDocs, where, type Synthesized } from '../../src/docs/read-back';
import { generateFromSynthesized } from '../../src/docs/generate';
import { specOf, VALID_YAML } from '../helpers';
import { alter, generated, manifests } from './facts/helpers';

const manifest = (kind: string, name: string, namespace: string | undefined, rest: Record<string, unknown> = {}) => ({
  manifest: { apiVersion: 'v1', kind, metadata: { name, ...(namespace ? { namespace } : {}) }, ...rest },
});

/** A hand-made synthesized deployment: two stacks, a few resources and objects. */
const SYNTH: Synthesized = {
  spec: specOf(VALID_YAML),
  stacks: [
    { name: 'd-infra', layer: 'infra', json: { resource: { hcloud_server: { node: { server_type: 'cx33' } }, hcloud_volume: { data: { size: 50 } } } } },
    {
      name: 'd-apps',
      layer: 'apps',
      json: {
        resource: {
          kubernetes_manifest: {
            ns: manifest('Namespace', 'matrix-d', undefined),
            cm: manifest('ConfigMap', 'synapse-config', 'matrix-d', { data: { 'homeserver.yaml': 'a: $${x} %%{y}\n' } }),
            web: manifest('Deployment', 'web', 'matrix-d', { spec: { template: { spec: { initContainers: [{ name: 'init' }], containers: [{ name: 'main' }, { name: 'side' }] } } } }),
            db: manifest('StatefulSet', 'postgres', 'matrix-d'),
            broken: { field_manager: {} },
          },
        },
      },
    },
  ],
};

describe('reading resources back from the synthesized JSON', () => {
  it('finds the resources of the given types, in stack order, with their addresses', () => {
    expect(resourcesOf(SYNTH, 'hcloud_volume', 'hcloud_server').map((r) => [r.stack, r.address, r.body])).toEqual([
      ['d-infra', 'hcloud_volume.data', { size: 50 }],
      ['d-infra', 'hcloud_server.node', { server_type: 'cx33' }],
    ]);
    expect(resourcesOf(SYNTH, 'hcloud_firewall')).toEqual([]);
  });

  it('finds Kubernetes objects by kind, in the order the kinds are given; all of them without kinds', () => {
    expect(kubeObjects(SYNTH, 'StatefulSet', 'Namespace').map((o) => [o.kind, o.namespace, o.name, o.address])).toEqual([
      ['StatefulSet', 'matrix-d', 'postgres', 'kubernetes_manifest.db'],
      ['Namespace', undefined, 'matrix-d', 'kubernetes_manifest.ns'],
    ]);
    // A kubernetes_manifest without a manifest is no object.
    expect(kubeObjects(SYNTH).map((o) => o.kind)).toEqual(['Namespace', 'ConfigMap', 'Deployment', 'StatefulSet']);
  });

  it("lists a workload's containers, init containers first", () => {
    const [web] = kubeObjects(SYNTH, 'Deployment');
    expect(containersOf(web).map((c) => c.name)).toEqual(['init', 'main', 'side']);
    expect(containersOf(kubeObjects(SYNTH, 'StatefulSet')[0])).toEqual([]);
  });

  it('reads a rendered file back from its ConfigMap, Terraform escapes undone', () => {
    expect(renderedFromJson(SYNTH, 'synapse', 'homeserver.yaml')).toBe('a: ${x} %{y}\n');
    expect(renderedFromJson(SYNTH, 'synapse', 'other.yaml')).toBeUndefined();
    expect(renderedFromJson(SYNTH, 'mas', 'config.yaml')).toBeUndefined();
  });

  it('says where a resource is', () => {
    expect(where({ address: 'hcloud_server.node', stack: 'd-infra' })).toBe('`hcloud_server.node` (d-infra)');
  });
});

describe('synthesizing for the documents', () => {
  it("synthesizes the deployment's stacks in memory, infra then apps, their JSON parsed", () => {
    const synth = synthesizeForDocs(specOf(VALID_YAML));
    expect(synth.stacks.map((s) => [s.name, s.layer])).toEqual([
      ['ministry-infra', 'infra'],
      ['ministry-apps', 'apps'],
    ]);
    expect(resourcesOf(synth, 'hcloud_server')).toHaveLength(1);
    expect(renderedFromJson(synth, 'synapse', 'homeserver.yaml')).toContain('server_name: ministry.example.eu');
  });
});

describe('the Kubernetes objects of a synthesized example', () => {
  it('each Kubernetes object is read from its kubernetes_manifest, whatever its resource name', () => {
    const FILE = 'deployments/example.yaml';
    const { synth } = generated(FILE);
    const objects = kubeObjects(synth);
    expect(objects.length).toBe(Object.keys(synth.stacks.find((s) => s.layer === 'apps')!.json.resource!.kubernetes_manifest).length);
    for (const o of objects) {
      expect(o.kind).toBe(o.manifest.kind);
      expect(o.address).toBe(`kubernetes_manifest.${[o.kind.toLowerCase(), ...(o.namespace === undefined ? [] : [o.namespace]), o.name].join('_')}`);
    }
    expect(kubeObjects(synth, 'StatefulSet', 'Namespace').map((o) => `${o.kind} ${o.name}`)).toEqual([
      'StatefulSet postgres',
      'StatefulSet prometheus',
      'Namespace matrix-ministry-example',
      'Namespace matrix-ministry-example-turn',
    ]);
    // Renamed resources (another naming scheme) give the same document.
    const renamed = alter(synth, (stacks) => {
      stacks.apps.resource.kubernetes_manifest = Object.fromEntries(Object.entries(manifests(stacks)).map(([name, body], i) => [`object-${i}-${name.length}`, body]));
    });
    const strip = (md: string) => md.replace(/kubernetes_manifest\.[A-Za-z0-9_.-]+/g, 'ADDRESS');
    expect(strip(generateFromSynthesized(renamed).files['ministry-example.md'])).toBe(strip(generated(FILE).ref.files['ministry-example.md']));
  });
});
