/**
 * One field changes between base and head; the diff shows exactly the Terraform attributes and
 * rendered lines that field controls, and nothing else. The apps stack is checked by what may
 * change (the ConfigMap holding a changed file and the config digest that rolls the pods), so
 * that new Kubernetes resources elsewhere do not break these tests; infra and rendered files
 * are checked exactly.
 */
import { cli } from '../helpers';
import { changedLines, changedPaths, diffJson, pair } from './helpers';

jest.setTimeout(60_000);

const CONFIG_DIGEST = /annotations\["sovereign-matrix\/config-digest"\]$/;

/** Every apps change is the ConfigMap entry of a changed rendered file, or the digest that restarts its pods. */
function expectAppsExplainedByFiles(apps: Record<string, string[]>, files: string[]): void {
  const names = files.map((f) => f.slice(f.lastIndexOf('/') + 1));
  for (const [address, paths] of Object.entries(apps)) {
    for (const path of paths) {
      const configMapEntry = address.startsWith('kubernetes_config_map_v1.') && names.some((n) => path === `data[${JSON.stringify(n)}]`);
      expect({ address, path, explained: configMapEntry || CONFIG_DIGEST.test(path) }).toEqual({ address, path, explained: true });
    }
  }
}

describe('diff of fixture pairs that change one field', () => {
  test('federation allow list: one line of homeserver.yaml, no infrastructure', async () => {
    const { base, head } = pair('allow-list');
    const diff = await diffJson(base, head);
    expect(changedPaths(diff, 'infra')).toEqual({});
    expect(changedLines(diff)).toEqual({ 'synapse/homeserver.yaml': ['+  - other.example.eu'] });
    expectAppsExplainedByFiles(changedPaths(diff, 'apps'), ['synapse/homeserver.yaml']);
    expect(diff.warnings).toEqual([]);
  });

  test('size profile: server type, volume size, Synapse pool and caches, container resources', async () => {
    const { base, head } = pair('size');
    const diff = await diffJson(base, head);
    expect(changedPaths(diff, 'infra')).toEqual({ 'hcloud_server.node': ['server_type'], 'hcloud_volume.data': ['size'] });
    const server = diff.deployments[0].stacks[0].changes.find((c) => c.address === 'hcloud_server.node')!;
    expect(server.attributes).toEqual([{ path: 'server_type', action: 'change', old: 'cx43', new: 'ccx43' }]);
    expect(changedLines(diff)).toEqual({
      'synapse/homeserver.yaml': ['-    cp_min: 5', '-    cp_max: 10', '+    cp_min: 10', '+    cp_max: 20', '-  global_factor: 0.5', '+  global_factor: 1'],
    });
    // Apps: the ConfigMap/digest, and resource requests, limits and storage sizes only.
    for (const [address, paths] of Object.entries(changedPaths(diff, 'apps'))) {
      for (const path of paths) {
        const ok = CONFIG_DIGEST.test(path) || path === 'data["homeserver.yaml"]' || /(^|\.)resources\.(requests|limits)\.(cpu|memory|storage)$/.test(path);
        expect({ address, path, ok }).toEqual({ address, path, ok: true });
      }
    }
    // A growing volume is in place: no warning about the Hetzner volume.
    expect(diff.warnings.filter((w) => w.address === 'hcloud_volume.data')).toEqual([]);
  });

  test('location: every located resource, flagged as replacing the volume, the addresses and the server', async () => {
    const { base, head } = pair('location');
    const diff = await diffJson(base, head);
    expect(changedPaths(diff, 'infra')).toEqual({
      'hcloud_primary_ip.primary-ipv4': ['location'],
      'hcloud_primary_ip.primary-ipv6': ['location'],
      'hcloud_server.node': ['location'],
      'hcloud_volume.data': ['location'],
    });
    expect(changedPaths(diff, 'apps')).toEqual({});
    expect(changedLines(diff)).toEqual({});
    expect(diff.warnings.map((w) => [w.kind, w.address])).toEqual([
      ['irreversible', 'hcloud_primary_ip.primary-ipv4'],
      ['irreversible', 'hcloud_primary_ip.primary-ipv6'],
      ['irreversible', 'hcloud_volume.data'],
      ['replacement', 'hcloud_server.node'],
    ]);
    expect(diff.warnings[2].message).toContain('location "fsn1" → "nbg1"');
  });

  test('k3s version override: the node user data only, flagged as replacing the server', async () => {
    const { base, head } = pair('k3s-version');
    const diff = await diffJson(base, head);
    expect(changedPaths(diff, 'infra')).toEqual({ 'hcloud_server.node': ['user_data'] });
    expect(changedPaths(diff, 'apps')).toEqual({});
    expect(changedLines(diff)).toEqual({});
    expect(diff.warnings.map((w) => [w.kind, w.address])).toEqual([['replacement', 'hcloud_server.node']]);
    const [userData] = diff.deployments[0].stacks[0].changes[0].attributes;
    expect(String(userData.old)).toContain('v1.37.0+k3s1');
    expect(String(userData.new)).toContain('v1.36.2+k3s1');
  });

  test('Synapse image version override: the image references only', async () => {
    const { base, head } = pair('synapse-version');
    const diff = await diffJson(base, head);
    expect(changedPaths(diff, 'infra')).toEqual({});
    expect(changedLines(diff)).toEqual({});
    const attributes = diff.deployments.flatMap((d) => d.stacks.flatMap((s) => s.changes.flatMap((c) => c.attributes)));
    expect(attributes.length).toBeGreaterThan(0);
    for (const a of attributes) {
      expect(a).toEqual({ path: expect.stringMatching(/\.image$/), action: 'change', old: 'ghcr.io/element-hq/synapse:v1.163.2', new: 'ghcr.io/element-hq/synapse:v1.164.0' });
    }
  });
});

describe('exit codes and "no changes"', () => {
  test('identical sides print exactly "no changes" and exit 0, also with --exit-code', async () => {
    const { base, head } = pair('base');
    for (const extra of [[], ['--exit-code']]) {
      const result = await cli('diff', '--base', base, '--head', head, ...extra);
      expect(result).toEqual({ code: 0, stdout: 'no changes', stderr: '' });
    }
    const json = JSON.parse((await cli('diff', '--base', base, '--head', head, '--format', 'json')).stdout);
    expect(json).toMatchObject({ schema: 'sovereign-matrix-diff/v1', changes: false, deployments: [], warnings: [] });
  });

  test('--exit-code returns 5 when the sides differ; without it, 0', async () => {
    const { base, head } = pair('location');
    expect((await cli('diff', '--base', base, '--head', head, '--exit-code')).code).toBe(5);
    expect((await cli('diff', '--base', base, '--head', head)).code).toBe(0);
  });

  test('added and removed deployments', async () => {
    const { sides } = await import('./helpers');
    const { base, head } = sides({ a: 'base' }, { b: 'location' });
    // Same deployment name in both files: a renamed file is the same deployment.
    expect(changedPaths(await diffJson(base, head), 'infra')).toEqual({
      'hcloud_primary_ip.primary-ipv4': ['location'],
      'hcloud_primary_ip.primary-ipv6': ['location'],
      'hcloud_server.node': ['location'],
      'hcloud_volume.data': ['location'],
    });
    const gone = sides({ a: 'base' }, {});
    const removed = await diffJson(gone.base, gone.head);
    expect(removed.deployments.map((d) => [d.name, d.status])).toEqual([['diff-fixture', 'removed']]);
    expect(removed.warnings.filter((w) => w.kind === 'irreversible').map((w) => w.address)).toEqual(
      expect.arrayContaining(['hcloud_volume.data', 'hcloud_primary_ip.primary-ipv4', 'kubernetes_namespace_v1.namespace']),
    );
  });

  test('a wrong --base or --format is a usage error (2)', async () => {
    const { head } = pair('base');
    const notRef = await cli('diff', '--base', '/nonexistent/side', '--head', head);
    expect(notRef.code).toBe(2);
    expect(notRef.stderr).toContain("'/nonexistent/side'");
    expect((await cli('diff', '--base', head, '--head', head, '--format', 'html')).code).toBe(2);
  });
});
