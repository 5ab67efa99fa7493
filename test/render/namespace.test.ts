import { namespaceName, turnNamespaceName } from '../../src/render/namespace';
import { specWith } from './fixtures';

describe('namespaceName', () => {
  it('is matrix-<deployment name>, so deployments can share a cluster', () => {
    expect(namespaceName(specWith())).toBe('matrix-ministry');
    expect(namespaceName({ ...specWith(), name: 'research' })).toBe('matrix-research');
  });
});

describe('turnNamespaceName', () => {
  it("is the deployment's namespace with -turn (coturn needs host networking, outside its pod security level)", () => {
    expect(turnNamespaceName('matrix-ministry')).toBe('matrix-ministry-turn');
  });
});
