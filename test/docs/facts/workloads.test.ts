/** The workloads of the apps stack (src/docs/facts/workloads.ts), which most fact families start from. */
import { workloadsOf } from '../../../src/docs/facts/workloads';
import { synthesizeForDocs, type Synthesized } from '../../../src/docs/read-back';
import { specOf, VALID_YAML } from '../../helpers';

describe('workloads', () => {
  const synth = synthesizeForDocs(specOf(VALID_YAML));
  const list = workloadsOf(synth);

  it('lists every Deployment and StatefulSet with its namespace and kind, and only those', () => {
    expect(list.map((w) => `${w.kind} ${w.namespace}/${w.name}`).sort()).toEqual([
      'Deployment matrix-ministry-turn/coturn',
      'Deployment matrix-ministry/alertmanager',
      'Deployment matrix-ministry/element-web',
      'Deployment matrix-ministry/grafana',
      'Deployment matrix-ministry/mas',
      'Deployment matrix-ministry/synapse',
      'Deployment matrix-ministry/well-known',
      'StatefulSet matrix-ministry/postgres',
      'StatefulSet matrix-ministry/prometheus',
    ]);
  });

  it('gives each workload its distinct images, init containers included, and whether it uses the host network', () => {
    const synapse = list.find((w) => w.name === 'synapse')!;
    expect(synapse.images).toEqual(expect.arrayContaining([expect.stringMatching(/^ghcr\.io\/element-hq\/synapse:/), expect.stringMatching(/^docker\.io\/restic\/restic:/)]));
    expect(new Set(synapse.images).size).toBe(synapse.images.length);
    expect(list.filter((w) => w.hostNetwork).map((w) => w.name)).toEqual(['coturn']);
    expect(synapse.object.address).toBe('kubernetes_manifest.deployment_matrix-ministry_synapse');
  });

  it('lists one image once even when two containers run it', () => {
    const pod = { initContainers: [{ name: 'a', image: 'x/y:1' }], containers: [{ name: 'b', image: 'x/y:1' }, { name: 'c', image: 'x/z:2' }] };
    const hand: Synthesized = {
      spec: synth.spec,
      stacks: [{ name: 'd-apps', layer: 'apps', json: { resource: { kubernetes_manifest: { w: { manifest: { kind: 'Deployment', metadata: { name: 'w', namespace: 'n' }, spec: { template: { spec: pod } } } } } } } }],
    };
    expect(workloadsOf(hand).map((w) => [w.name, w.images, w.hostNetwork])).toEqual([['w', ['x/y:1', 'x/z:2'], false]]);
  });
});
