import { join } from 'node:path';
import { namespaceName } from '../../../src/render/namespace';
import { loadDeploymentFile } from '../../../src/config/load';
import { EXAMPLES, objects, podSpecs, ROOT, synth } from './helpers';

describe.each(EXAMPLES)('coturn of %s', (file) => {
  const spec = loadDeploymentFile(join(ROOT, file));
  const json = synth(spec);
  const pods = podSpecs(json);

  it('runs coturn with host networking only when TURN is on, outside the restricted namespace', () => {
    const coturn = objects(json, 'Deployment').coturn;
    if (!spec.calls.turn) {
      expect(coturn).toBeUndefined();
      return;
    }
    expect(coturn.spec.template.spec.hostNetwork).toBe(true);
    expect(coturn.metadata.namespace).toBe(`${namespaceName(spec)}-turn`);
    // Only coturn, and with group calls the SFU beside it, use the node's network.
    expect(pods.filter(([, pod]) => pod.hostNetwork).map(([name]) => name).sort()).toEqual(spec.calls.group.enabled ? ['coturn', 'livekit'] : ['coturn']);
  });
});
