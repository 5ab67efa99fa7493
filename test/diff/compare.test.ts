import { compareSnapshots } from '../../src/diff/compare';
import type { DeploymentSnapshot, SideSnapshot } from '../../src/diff/model';

const infra = (serverType: string, volume = 50) => ({ resource: { hcloud_server: { node: { server_type: serverType, location: 'fsn1' } }, hcloud_volume: { data: { size: volume, location: 'fsn1' } } } });
const apps = (replicas: number) => ({ resource: { kubernetes_manifest: { web: { manifest: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'matrix-d' }, spec: { replicas } } } } } });

function deployment(name: string, stacks: Record<string, unknown>, files: Record<string, string> = {}): DeploymentSnapshot {
  return { name, file: `deployments/${name}.yaml`, stacks: new Map(Object.entries(stacks)), files: new Map(Object.entries(files)) };
}
const side = (label: string, ...deployments: DeploymentSnapshot[]): SideSnapshot => ({ label, deployments: new Map(deployments.map((d) => [d.name, d])) });

describe('comparing two sides', () => {
  it('leaves out deployments that did not change, and keeps the labels and notes', () => {
    const same = deployment('same', { 'same-infra': infra('cx33') }, { 'synapse/homeserver.yaml': 'a: 1\n' });
    const result = compareSnapshots(side('main', same), side('work', same), ['note']);
    expect(result).toEqual({ base: 'main', head: 'work', deployments: [], warnings: [], notes: ['note'] });
  });

  it('matches deployments by name and says which were added, removed or changed', () => {
    const result = compareSnapshots(
      side('a', deployment('gone', { 'gone-apps': apps(1) }), deployment('kept', { 'kept-apps': apps(1) })),
      side('b', deployment('kept', { 'kept-apps': apps(2) }), deployment('new', { 'new-apps': apps(1) })),
    );
    expect(result.deployments.map((d) => [d.name, d.status, d.file])).toEqual([
      ['gone', 'removed', 'deployments/gone.yaml'],
      ['kept', 'changed', 'deployments/kept.yaml'],
      ['new', 'added', 'deployments/new.yaml'],
    ]);
  });

  it('puts the infra stack before the apps stack, whatever their names sort to', () => {
    const result = compareSnapshots(side('a', deployment('z', { 'z-apps': apps(1), 'z-infra': infra('cx33') })), side('b', deployment('z', { 'z-apps': apps(2), 'z-infra': infra('cx43') })));
    expect(result.deployments[0].stacks.map((s) => s.stack)).toEqual(['z-infra', 'z-apps']);
  });

  it('diffs the rendered files that differ, and only those', () => {
    const result = compareSnapshots(
      side('a', deployment('d', {}, { 'a.conf': 'x=1\n', 'same.conf': 's\n', 'gone.conf': 'g\n' })),
      side('b', deployment('d', {}, { 'a.conf': 'x=2\n', 'same.conf': 's\n', 'new.conf': 'n\n' })),
    );
    // A whole removed or added file: the empty side's range is 0,0, as diff -u and git write it.
    expect(result.deployments[0].files).toEqual([
      { path: 'a.conf', status: 'changed', patch: '@@ -1 +1 @@\n-x=1\n+x=2' },
      { path: 'gone.conf', status: 'removed', patch: '@@ -1 +0,0 @@\n-g' },
      { path: 'new.conf', status: 'added', patch: '@@ -0,0 +1 @@\n+n' },
    ]);
  });

  it('prices both sides of a Hetzner deployment', () => {
    const result = compareSnapshots(side('a', deployment('d', { 'd-infra': infra('cx33') })), side('b', deployment('d', { 'd-infra': infra('cx43') })));
    const cost = result.deployments[0].cost!;
    expect(cost.change).toBeGreaterThan(0);
    expect(cost.before).toEqual({ total: expect.any(Number) });
  });

  it('lists irreversible warnings before replacement warnings', () => {
    const result = compareSnapshots(
      side('a', deployment('d', { 'd-infra': infra('cx33') })),
      side('b', deployment('d', { 'd-infra': { resource: { hcloud_server: { node: { server_type: 'cx33', location: 'nbg1' } } } } })),
    );
    const kinds = result.warnings.map((w) => w.kind);
    expect(kinds).toContain('irreversible');
    expect(kinds).toEqual([...kinds].sort((x, y) => (x === y ? 0 : x === 'irreversible' ? -1 : 1)));
    expect(result.warnings.find((w) => w.kind === 'irreversible')).toMatchObject({ deployment: 'd', stack: 'd-infra', address: 'hcloud_volume.data' });
  });
});
