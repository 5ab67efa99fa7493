/** The bill of materials (src/docs/facts/component-inventory.ts): every image and what the node installs. */
import { components } from '../../../src/docs/facts/component-inventory';
import { workloadsOf } from '../../../src/docs/facts/workloads';
import { generateFromSynthesized } from '../../../src/docs/generate';
import { resourcesOf } from '../../../src/docs/read-back';
import { images } from '../../../src/versions';
import { alter, generated, HETZNER_FILES, manifests } from './helpers';

describe.each(HETZNER_FILES)('component inventory of %s', (file) => {
  it('gives every image its version and reference exactly as images() pins them', () => {
    const { synth, ref } = generated(file);
    const pinned = images(synth.spec.versions, synth.spec.registryMirror);
    const workloads = resourcesOf(synth, 'kubernetes_manifest').filter((r) => ['Deployment', 'StatefulSet'].includes(r.body.manifest.kind));
    expect(workloads.length).toBeGreaterThan(0);
    const deployed = new Set(workloads.flatMap((r) => {
      const pod = r.body.manifest.spec.template.spec;
      return [...(pod.initContainers ?? []), ...pod.containers].map((c: { image: string }) => c.image);
    }));
    const imageRows = ref.facts.components.filter((c) => c.image.includes(':') && !c.image.includes(' '));
    expect(new Set(imageRows.map((c) => c.image))).toEqual(deployed);
    for (const row of imageRows) {
      const key = row.key as keyof typeof pinned;
      expect(pinned[key]).toBe(row.image);
      if (key in synth.spec.versions) expect(row.version).toBe(synth.spec.versions[key as keyof typeof synth.spec.versions]);
      expect(row.licence).not.toContain('unknown');
    }
    const k3s = ref.facts.components.find((c) => c.key === 'k3s');
    expect(k3s?.version).toBe(synth.spec.versions.k3s);
    expect(ref.facts.components.find((c) => c.key === 'traefik')?.licence).toBe('MIT');
  });
});

describe('a change to the stacks that the document must pick up', () => {
  it('another image tag in the JSON changes the inventory', () => {
    const { synth } = generated('deployments/example.yaml');
    const changed = alter(synth, (stacks) => {
      manifests(stacks)['deployment_matrix-ministry-example_synapse'].manifest.spec.template.spec.containers[0].image = 'ghcr.io/element-hq/synapse:v9.9.9';
    });
    const ref = generateFromSynthesized(changed);
    expect(ref.facts.components.find((c) => c.image === 'ghcr.io/element-hq/synapse:v9.9.9')?.version).toBe('9.9.9');
  });

  it('an image the catalogue does not know is listed, with an unknown licence, not dropped', () => {
    const { synth } = generated('deployments/example.yaml');
    const changed = alter(synth, (stacks) => {
      manifests(stacks)['deployment_matrix-ministry-example_synapse'].manifest.spec.template.spec.containers[0].image = 'quay.io/someone/sidecar:1.0';
    });
    const row = components(changed, workloadsOf(changed)).find((c) => c.image === 'quay.io/someone/sidecar:1.0');
    expect(row).toMatchObject({ software: 'quay.io/someone/sidecar', version: '1.0', licence: expect.stringContaining('unknown') });
    expect(row?.deployedBy).toEqual(['Deployment matrix-ministry-example/synapse']);
  });
});

describe('kubernetes target', () => {
  it('names the registry mirror and still knows each image through it', () => {
    const { ref } = generated('deployments/agency-kubernetes.yaml');
    expect(ref.files['agency-k8s.md']).toContain('| Container images | pulled through the registry mirror `registry.agency.example.eu/mirror` (`registry_mirror`) |');
    const postgres = ref.facts.components.find((c) => c.key === 'postgres');
    expect(postgres).toMatchObject({ software: 'PostgreSQL', image: expect.stringMatching(/^registry\.agency\.example\.eu\/mirror\/docker\.io\/library\/postgres:/) });
    expect(ref.facts.components.every((c) => !c.licence.includes('unknown'))).toBe(true);
  });

  it('lists no k3s, bundled Traefik or Debian image: the cluster is the operator’s', () => {
    const keys = generated('deployments/agency-kubernetes.yaml').ref.facts.components.map((c) => c.key);
    expect(keys).not.toContain('k3s');
    expect(keys).not.toContain('debian');
  });
});
