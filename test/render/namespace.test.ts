import { namespaceName } from '../../src/render/namespace';
import { specWith } from './fixtures';

describe('namespaceName', () => {
  it('is matrix-<deployment name>, so deployments can share a cluster', () => {
    expect(namespaceName(specWith())).toBe('matrix-ministry');
    expect(namespaceName({ ...specWith(), name: 'research' })).toBe('matrix-research');
  });
});
