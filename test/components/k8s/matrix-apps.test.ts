import { join } from 'node:path';
import { namespaceName } from '../../../src/render/namespace';
import { loadDeploymentFile } from '../../../src/config/load';
import { EXAMPLES, objects, ROOT, synth } from './helpers';

describe.each(EXAMPLES)('the Matrix applications of %s', (file) => {
  const spec = loadDeploymentFile(join(ROOT, file));
  const json = synth(spec);

  it('enforces the restricted pod security profile on the application namespace', () => {
    const ns = objects(json, 'Namespace')[namespaceName(spec)];
    expect(ns.metadata.name).toBe(namespaceName(spec));
    expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });
});
