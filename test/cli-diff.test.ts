/**
 * One field changes between base and head; the diff shows exactly the Terraform attributes and
 * rendered lines that field controls, and nothing else. The apps stack is checked by what may
 * change (the ConfigMap holding a changed file and the config digest that rolls the pods), so
 * that new Kubernetes objects elsewhere do not break these tests; infra and rendered files
 * are checked exactly. Every apps change is a Kubernetes object (kubernetes_manifest), named by
 * kind and namespace/name, its changes by Kubernetes field paths.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MARKDOWN_MARKER } from '../src/diff/format';
import { MASK } from '../src/diff/sensitive';
import { cli } from './helpers';
import { changedLines, changedObjects, changedPaths, diffJson, pair, sides, type JsonDiff } from './diff/helpers';

jest.setTimeout(60_000);

const CONFIG_DIGEST = /annotations\["sovereign-matrix\/config-digest"\]$/;

/** Every apps change is the ConfigMap entry of a changed rendered file, or the digest that restarts its pods. */
function expectAppsExplainedByFiles(diff: JsonDiff, files: string[]): void {
  const names = files.map((f) => f.slice(f.lastIndexOf('/') + 1));
  const apps = changedObjects(diff, 'apps');
  // Every change of the apps stack is a Kubernetes object: nothing is left unnamed.
  expect(Object.keys(apps)).toHaveLength(Object.keys(changedPaths(diff, 'apps')).length);
  for (const [object, paths] of Object.entries(apps)) {
    for (const path of paths) {
      const configMapEntry = object.startsWith('ConfigMap ') && names.some((n) => path === `data[${JSON.stringify(n)}]`);
      expect({ object, path, explained: configMapEntry || CONFIG_DIGEST.test(path) }).toEqual({ object, path, explained: true });
    }
  }
}

/** The change of one Kubernetes object in the JSON output. */
function objectChange(diff: JsonDiff, kind: string, name: string) {
  return diff.deployments.flatMap((d) => d.stacks.flatMap((s) => s.changes)).find((c) => c.kubernetes?.kind === kind && c.kubernetes.name === name);
}

describe('diff of fixture pairs that change one field', () => {
  test('federation allow list: one line of homeserver.yaml, no infrastructure', async () => {
    const { base, head } = pair('allow-list');
    const diff = await diffJson(base, head);
    expect(changedPaths(diff, 'infra')).toEqual({});
    expect(changedLines(diff)).toEqual({ 'synapse/homeserver.yaml': ['+  - other.example.eu'] });
    expectAppsExplainedByFiles(diff, ['synapse/homeserver.yaml']);
    // The ConfigMap's file is the rendered file: its entry holds the whole text, and its lines
    // differ exactly as the rendered file's do.
    const configMap = objectChange(diff, 'ConfigMap', 'synapse-config')!;
    expect(configMap).toMatchObject({
      address: 'kubernetes_manifest.configmap_matrix-diff-fixture_synapse-config',
      status: 'changed',
      kubernetes: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'matrix-diff-fixture', name: 'synapse-config' },
    });
    const entry = configMap.attributes.find((a) => a.path === 'data["homeserver.yaml"]')!;
    expect(String(entry.new).split('\n').filter((l) => !String(entry.old).split('\n').includes(l))).toEqual(['  - other.example.eu']);
    expect(String(entry.new)).toContain('server_name: fixture.example.eu');
    // The digest that restarts Synapse, by its Kubernetes path.
    expect(objectChange(diff, 'Deployment', 'synapse')!.attributes.map((a) => a.path)).toEqual(['spec.template.metadata.annotations["sovereign-matrix/config-digest"]']);
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
    const apps = changedObjects(diff, 'apps');
    for (const [object, paths] of Object.entries(apps)) {
      for (const path of paths) {
        // The bundled Prometheus keeps a profile's default retention (15 days small, 30 medium), capped by its volume.
        const retention = object.endsWith('/prometheus') && /^spec\.template\.spec\.containers\[0\]\.args\[[23]\]$/.test(path);
        const ok = CONFIG_DIGEST.test(path) || path === 'data["homeserver.yaml"]' || /(^|\.)resources\.(requests|limits)\.(cpu|memory|storage)$/.test(path) || retention;
        expect({ object, path, ok }).toEqual({ object, path, ok: true });
      }
    }
    expect(apps['PersistentVolumeClaim matrix-diff-fixture/synapse-data']).toEqual(['spec.resources.requests.storage']);
    // Prometheus's claim grows in place too; its StatefulSet has no claim template to refuse it.
    expect(apps['PersistentVolumeClaim matrix-diff-fixture/prometheus-data']).toEqual(['spec.resources.requests.storage']);
    expect(apps['StatefulSet matrix-diff-fixture/postgres']).toEqual(expect.arrayContaining(['spec.volumeClaimTemplates[0].spec.resources.requests.storage']));
    // A growing volume is in place: no warning about the Hetzner volume, nor about the growing claim.
    expect(diff.warnings.filter((w) => w.address === 'hcloud_volume.data' || w.kubernetes?.kind === 'PersistentVolumeClaim')).toEqual([]);
    // The StatefulSet's volumeClaimTemplates are immutable: the API server refuses the bigger template.
    expect(diff.warnings.map((w) => [w.kind, w.kubernetes?.kind, w.kubernetes?.name])).toEqual([['irreversible', 'StatefulSet', 'postgres']]);
    expect(diff.warnings[0].message).toMatch(/^StatefulSet matrix-diff-fixture\/postgres \(kubernetes_manifest\.statefulset_matrix-diff-fixture_postgres\) must be replaced/);
    expect(diff.warnings[0].message).toContain('spec.volumeClaimTemplates[0].spec.resources.requests.storage "20Gi" → "80Gi" (volumeClaimTemplates are immutable');
  });

  test('location: every located resource, flagged as replacing the volume, the addresses and the server; the default backup bucket moves with it', async () => {
    const { base, head } = pair('location');
    const diff = await diffJson(base, head);
    expect(changedPaths(diff, 'infra')).toEqual({
      'hcloud_primary_ip.primary-ipv4': ['location'],
      'hcloud_primary_ip.primary-ipv6': ['location'],
      'hcloud_server.node': ['location'],
      'hcloud_volume.data': ['location'],
    });
    // Hetzner Object Storage of the server's location is the default bucket: a reviewer sees the move.
    expect(changedPaths(diff, 'apps')).toEqual({
      'kubernetes_manifest.configmap_matrix-diff-fixture_backup-config': ['data["backup.env"]', 'data["pgbackrest.conf"]'],
      'kubernetes_manifest.deployment_matrix-diff-fixture_synapse': ['spec.template.metadata.annotations["sovereign-matrix/config-digest"]'],
      'kubernetes_manifest.statefulset_matrix-diff-fixture_postgres': ['spec.template.metadata.annotations["sovereign-matrix/backup-digest"]'],
    });
    expect(changedLines(diff)).toEqual({
      'backup/backup.env': [
        '-RESTIC_REPOSITORY=s3:https://fsn1.your-objectstorage.com/diff-fixture-backups/sovereign-matrix/diff-fixture/files',
        '-AWS_DEFAULT_REGION=fsn1',
        '+RESTIC_REPOSITORY=s3:https://nbg1.your-objectstorage.com/diff-fixture-backups/sovereign-matrix/diff-fixture/files',
        '+AWS_DEFAULT_REGION=nbg1',
      ],
      'backup/pgbackrest.conf': ['-repo1-s3-endpoint=fsn1.your-objectstorage.com', '+repo1-s3-endpoint=nbg1.your-objectstorage.com', '-repo1-s3-region=fsn1', '+repo1-s3-region=nbg1'],
    });
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

  test('Synapse image version override: the image references only, by container path of the Deployment', async () => {
    const { base, head } = pair('synapse-version');
    const diff = await diffJson(base, head);
    expect(changedPaths(diff, 'infra')).toEqual({});
    expect(changedLines(diff)).toEqual({});
    expect(changedObjects(diff, 'apps')).toEqual({
      'Deployment matrix-diff-fixture/synapse': ['spec.template.spec.containers[0].image', 'spec.template.spec.initContainers[2].image'],
    });
    const attributes = diff.deployments.flatMap((d) => d.stacks.flatMap((s) => s.changes.flatMap((c) => c.attributes)));
    for (const a of attributes) {
      expect(a).toEqual({ path: expect.stringMatching(/\.image$/), action: 'change', old: 'ghcr.io/element-hq/synapse:v1.163.2', new: 'ghcr.io/element-hq/synapse:v1.164.0' });
    }
    expect(diff.warnings).toEqual([]);
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
    expect(json).toMatchObject({ schema: 'sovereign-matrix-diff/v2', changes: false, deployments: [], warnings: [] });
  });

  test('--exit-code returns 5 when the sides differ; without it, 0', async () => {
    const { base, head } = pair('location');
    expect((await cli('diff', '--base', base, '--head', head, '--exit-code')).code).toBe(5);
    expect((await cli('diff', '--base', base, '--head', head)).code).toBe(0);
  });

  test('added and removed deployments', async () => {
    const { sides } = await import('./diff/helpers');
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
    const irreversible = removed.warnings.filter((w) => w.kind === 'irreversible');
    expect(irreversible.map((w) => w.address)).toEqual(
      expect.arrayContaining([
        'hcloud_volume.data',
        'hcloud_primary_ip.primary-ipv4',
        'kubernetes_manifest.namespace_matrix-diff-fixture',
        'kubernetes_manifest.statefulset_matrix-diff-fixture_postgres',
        'kubernetes_manifest.persistentvolumeclaim_matrix-diff-fixture_synapse-data',
      ]),
    );
    // Kubernetes objects are flagged by kind: what holds data, not every object that goes.
    const kinds = irreversible.filter((w) => w.kubernetes).map((w) => w.kubernetes!.kind);
    expect([...new Set(kinds)].sort()).toEqual(['Namespace', 'PersistentVolumeClaim', 'StatefulSet']);
    const namespace = irreversible.find((w) => w.address === 'kubernetes_manifest.namespace_matrix-diff-fixture')!;
    expect(namespace.kubernetes).toEqual({ apiVersion: 'v1', kind: 'Namespace', name: 'matrix-diff-fixture' });
    expect(namespace.message).toBe(
      'Namespace matrix-diff-fixture (kubernetes_manifest.namespace_matrix-diff-fixture) is deleted: deleting the namespace deletes everything in it, persistent volume claims included',
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

describe('the Markdown for a pull request comment', () => {
  test('Markdown: marker, summary table first, one details block per changed stack and file, balanced fences', async () => {
    const { base, head } = sides({ a: 'base', b: 'base' }, { a: 'location', b: 'allow-list' });
    // Two deployments may not share a name; give b its own.
    for (const dir of [base, head]) {
      const file = join(dir, 'deployments', 'b.yaml');
      const text = require('node:fs').readFileSync(file, 'utf8') as string;
      writeFileSync(file, text.replace('name: diff-fixture', 'name: other-fixture'));
    }
    const result = await cli('diff', '--base', base, '--head', head, '--format', 'markdown');
    expect(result.code).toBe(0);
    const md = result.stdout;
    const lines = md.split('\n');
    expect(lines[0]).toBe(MARKDOWN_MARKER);
    // First the deployments: status, expected downtime with its causes, monthly cost.
    const first = lines.findIndex((line) => line.startsWith('| deployment | status | expected downtime | monthly cost ('));
    expect(first).toBeGreaterThan(0);
    expect(lines[first + 1]).toBe('|---|---|---|---|');
    expect(lines.slice(first + 2, lines.indexOf('', first))).toEqual([
      // The location moves the volume: destroyed and created, its data with it.
      '| diff-fixture | changed | **data at risk**: hcloud_volume.data goes (destroyed or replaced) with the data it holds; it is lost unless restored from a backup | EUR 19.35 (unchanged) |',
      expect.stringMatching(/^\| other-fixture \| changed \| \*\*restart\*\*: ConfigMap matrix-other-fixture\/synapse-config changes data its pods read at start; .* \| EUR 19\.35 \(unchanged\) \|$/),
    ]);
    // Then the stacks, replacements counted apart from in-place changes.
    const header = lines.indexOf('| deployment | stack | added | changed | replaced | removed | warnings |');
    expect(header).toBeGreaterThan(first);
    // Only the title, the warnings and the deployments come before the table.
    expect(md.indexOf('<details>')).toBeGreaterThan(header);
    expect(lines[header + 1]).toBe('|---|---|---:|---:|---:|---:|---:|');
    const rows = lines.slice(header + 2, lines.indexOf('', header));
    expect(rows).toEqual([
      // Server, volume and both primary IPs cannot move: four replacements, none changed in place.
      '| diff-fixture | diff-fixture-infra | 0 | 0 | 4 | 0 | 4 |',
      // The location also moves the default backup bucket: its ConfigMap and the two pods' digests.
      '| diff-fixture | diff-fixture-apps | 0 | 3 | 0 | 0 | 0 |',
      '| diff-fixture | rendered configs | 0 | 2 | 0 | 0 | 0 |',
      expect.stringMatching(/^\| other-fixture \| other-fixture-apps \| 0 \| \d+ \| 0 \| 0 \| 0 \|$/),
      '| other-fixture | rendered configs | 0 | 1 | 0 | 0 | 0 |',
    ]);
    // One <details> per changed stack (3) and per changed rendered file (3), each closed.
    expect(md.match(/<details>/g)).toHaveLength(6);
    expect(md.match(/<\/details>/g)).toHaveLength(6);
    expect(md).toContain('<summary><code>diff-fixture-infra</code>: +0 ~0 -/+4 -0</summary>');
    // Each replacement says so in the diff block, with the attribute that forces it and why.
    expect(md).toContain('-/+ hcloud_volume.data (replace)\n#   location forces replacement: a volume cannot move between locations (ForceNew)\n-   location = "fsn1"\n+   location = "nbg1"');
    expect(md).toContain('<summary><code>other-fixture</code>: <code>synapse/homeserver.yaml</code></summary>');
    const fences = lines.filter((line) => /^```/.test(line));
    expect(fences.length % 2).toBe(0);
    for (let i = 0; i < fences.length; i += 2) expect([fences[i], fences[i + 1]]).toEqual(['```diff', '```']);
    expect(md).toContain('🛑 **irreversible**');
  });
});

describe('no secret reaches any output format', () => {
  const BASE_SECRET = 'tok-BASE-7f3a9c';
  const HEAD_SECRET = 'tok-HEAD-91be04';

  test('a secret changed on one side never appears in terminal, Markdown or JSON output', async () => {
    const { base, head } = pair('secret');
    for (const form of ['terminal', 'markdown', 'json']) {
      const result = await cli('diff', '--base', base, '--head', head, '--format', form);
      expect(result.code).toBe(0);
      const everything = result.stdout + result.stderr;
      expect(everything).not.toContain(BASE_SECRET);
      expect(everything).not.toContain(HEAD_SECRET);
      expect(everything).not.toMatch(/7f3a9c|91be04/);
      // The change itself is still visible: the line changed, its value is hidden.
      expect(everything).toContain(`push_gateway_token: ${MASK}`);
    }
  });
});
