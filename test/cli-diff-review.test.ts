/**
 * What a reviewer decides on, for each fixture pair: which addresses are replaced (and why), what
 * is destroyed, the expected downtime and the monthly cost change, the same in every format.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDeploymentFiles } from '../src/config/load';
import { costOf } from '../src/docs/facts/cost';
import { synthesizeForDocs } from '../src/docs/read-back';
import { cli, tempDir } from './helpers';
import { diffJson, FIXTURES, pair, sides, type JsonDiff } from './diff/helpers';

jest.setTimeout(60_000);

/** The facets of the one deployment of a fixture diff. */
function facets(diff: JsonDiff) {
  const [d] = diff.deployments;
  const replaced = d.stacks.flatMap((s) => s.changes.filter((c) => c.status === 'replaced'));
  return {
    counts: Object.fromEntries(d.stacks.map((s) => [s.stack, [s.added, s.changed, s.replaced, s.removed]])),
    replaced: Object.fromEntries(replaced.map((c) => [c.address, c.replacement!.reasons.map((r) => r.path)])),
    downtime: d.downtime.kind,
    cost: d.monthlyCost && [d.monthlyCost.before, d.monthlyCost.after, d.monthlyCost.change],
  };
}

describe('replacements, deletions, downtime and cost of the fixture pairs', () => {
  test('federation allow list: changed in place, pods restart, same cost', async () => {
    const diff = await diffJson(pair('allow-list').base, pair('allow-list').head);
    expect(facets(diff)).toEqual({ counts: { 'diff-fixture-apps': [0, 2, 0, 0] }, replaced: {}, downtime: 'restart', cost: [19.35, 19.35, 0] });
    expect(diff.deployments[0].downtime.causes.map((c) => c.name)).toEqual(['ConfigMap matrix-diff-fixture/synapse-config', 'Deployment matrix-diff-fixture/synapse']);
  });

  test('size profile: the server and volume change in place; the PostgreSQL StatefulSet must be replaced for its claim template: data at risk; the bigger server costs more', async () => {
    const { base, head } = pair('size');
    const diff = await diffJson(base, head);
    const f = facets(diff);
    expect(f.counts['diff-fixture-infra']).toEqual([0, 2, 0, 0]);
    expect(f.counts['diff-fixture-apps'][2]).toBe(1);
    expect(f.replaced).toEqual({ 'kubernetes_manifest.statefulset_matrix-diff-fixture_postgres': ['spec.volumeClaimTemplates[0].spec.resources.requests.storage'] });
    const statefulSet = diff.deployments[0].stacks[1].changes.find((c) => c.status === 'replaced')!;
    expect(statefulSet.replacement).toEqual({
      refused: true,
      reasons: [
        {
          path: 'spec.volumeClaimTemplates[0].spec.resources.requests.storage',
          reason: 'volumeClaimTemplates are immutable: the API server refuses the update; the StatefulSet has to be deleted and created again',
        },
      ],
    });
    expect(f.downtime).toBe('data-at-risk');
    // cx43 + IPv4 + 50 GiB → ccx43 + IPv4 + 200 GiB.
    expect(f.cost).toEqual([19.35, 287.93, 268.58]);
    expect(diff.summary).toMatchObject({ changed: 7, replaced: 1, removed: 0, downtime: 'data-at-risk', monthlyCostChange: 268.58 });
  });

  test('Synapse workers: added pods, Services and policies, nothing replaced, only the ingress policy of the main process removed, Synapse restarts, same server and cost', async () => {
    const diff = await diffJson(pair('workers').base, pair('workers').head);
    const f = facets(diff);
    // Growing past one process changes no infrastructure and replaces nothing.
    expect(f.counts['diff-fixture-infra']).toBeUndefined();
    const [added, , replaced, removed] = f.counts['diff-fixture-apps'];
    // The one removal: the ingress controller no longer reaches Synapse's main process, only the router.
    expect([replaced, removed]).toEqual([0, 1]);
    const gone = diff.deployments[0].stacks.flatMap((s) => s.changes.filter((c) => c.status === 'removed').map((c) => c.address));
    expect(gone).toEqual(['kubernetes_manifest.networkpolicy_matrix-diff-fixture_allow-ingress-synapse']);
    expect(f.replaced).toEqual({});
    expect(f.cost).toEqual([19.35, 19.35, 0]);
    expect(f.downtime).toBe('restart');
    // Seven workers (medium), Valkey and the router: a Deployment and a Service each, at least.
    const apps = diff.deployments[0].stacks.find((s) => s.stack === 'diff-fixture-apps')!;
    const addedDeployments = apps.changes.filter((c) => c.status === 'added' && c.address.startsWith('kubernetes_manifest.deployment_')).map((c) => c.address.replace('kubernetes_manifest.deployment_matrix-diff-fixture_', ''));
    expect(addedDeployments.sort()).toEqual(
      ['synapse-background-0', 'synapse-client-reader-0', 'synapse-event-persister-0', 'synapse-federation-reader-0', 'synapse-federation-sender-0', 'synapse-media-repository-0', 'synapse-redis', 'synapse-router', 'synapse-synchrotron-0'].sort(),
    );
    expect(added).toBeGreaterThanOrEqual(2 * addedDeployments.length);
  });

  test('location: server, volume and primary IPs are replaced, none counted as changed; the volume puts data at risk', async () => {
    const diff = await diffJson(pair('location').base, pair('location').head);
    expect(facets(diff)).toEqual({
      counts: { 'diff-fixture-infra': [0, 0, 4, 0], 'diff-fixture-apps': [0, 3, 0, 0] },
      replaced: {
        'hcloud_primary_ip.primary-ipv4': ['location'],
        'hcloud_primary_ip.primary-ipv6': ['location'],
        'hcloud_server.node': ['location'],
        'hcloud_volume.data': ['location'],
      },
      downtime: 'data-at-risk',
      cost: [19.35, 19.35, 0],
    });
    expect(diff.deployments[0].downtime.causes.map((c) => c.address)).toEqual(['hcloud_volume.data']);
  });

  test('k3s version: the server is replaced (user data), a replacement downtime', async () => {
    const diff = await diffJson(pair('k3s-version').base, pair('k3s-version').head);
    expect(facets(diff)).toEqual({ counts: { 'diff-fixture-infra': [0, 0, 1, 0] }, replaced: { 'hcloud_server.node': ['user_data'] }, downtime: 'replacement', cost: [19.35, 19.35, 0] });
  });

  test('Synapse version: the Deployment pod template, a restart', async () => {
    const diff = await diffJson(pair('synapse-version').base, pair('synapse-version').head);
    expect(facets(diff)).toMatchObject({ replaced: {}, downtime: 'restart', cost: [19.35, 19.35, 0] });
  });

  test('a removed deployment: every resource destroyed and counted so, data at risk, its cost saved; an added one: no downtime, a new cost', async () => {
    const gone = sides({ a: 'base' }, {});
    const removed = await diffJson(gone.base, gone.head);
    const [d] = removed.deployments;
    expect(d.stacks.every((s) => s.removed === s.changes.length && s.added + s.changed + s.replaced === 0)).toBe(true);
    expect(removed.summary.removed).toBe(d.stacks.reduce((sum, s) => sum + s.changes.length, 0));
    expect(d.downtime.kind).toBe('data-at-risk');
    expect(d.monthlyCost).toMatchObject({ before: 19.35, after: null, change: -19.35 });
    const text = (await cli('diff', '--base', gone.base, '--head', gone.head)).stdout;
    expect(text).toContain('    - hcloud_volume.data (destroy)');
    expect(text).toContain('  monthly cost: EUR 19.35 (removed, -19.35)');

    const fresh = sides({}, { a: 'base' });
    const added = await diffJson(fresh.base, fresh.head);
    expect(added.deployments[0].downtime).toEqual({ kind: 'none', causes: [] });
    expect(added.deployments[0].monthlyCost).toMatchObject({ before: null, after: 19.35, change: 19.35 });
  });

  test('the cost is the reference architecture\'s (costOf) on both sides', () => {
    for (const fixture of ['base', 'size']) {
      const [{ spec }] = loadDeploymentFiles([join(FIXTURES, `${fixture}.yaml`)]);
      expect(costOf(synthesizeForDocs(spec))!.total).toBe(fixture === 'base' ? 19.35 : 287.93);
    }
  });

  test('terminal and Markdown say the same: replacement with its reason, downtime and cost', async () => {
    const { base, head } = pair('k3s-version');
    const terminal = (await cli('diff', '--base', base, '--head', head)).stdout.split('\n');
    expect(terminal).toEqual(
      expect.arrayContaining([
        'diff-fixture (deployments/d.yaml): changed',
        '  expected downtime: replacement',
        '    hcloud_server.node is destroyed and created again',
        '  monthly cost: EUR 19.35 (unchanged)',
        '  stack diff-fixture-infra: +0 ~0 -/+1 -0',
        '    -/+ hcloud_server.node (replace)',
        '    #   user_data forces replacement: cloud-init user data is only read at creation; the provider replaces the server (ForceNew)',
      ]),
    );
    expect(terminal[terminal.length - 1]).toBe(
      '1 deployment differs (0 added, 1 changed, 0 removed); Terraform: 0 to add, 0 to change, 1 to replace, 0 to destroy; 0 rendered files changed; expected downtime: replacement; monthly cost change: EUR ±0.00; 1 warning',
    );
    const md = (await cli('diff', '--base', base, '--head', head, '--format', 'markdown')).stdout;
    expect(md).toContain('| diff-fixture | changed | **replacement**: hcloud_server.node is destroyed and created again | EUR 19.35 (unchanged) |');
    expect(md).toContain('| diff-fixture | diff-fixture-infra | 0 | 0 | 1 | 0 | 1 |');
    expect(md).toContain('-/+ hcloud_server.node (replace)\n#   user_data forces replacement: cloud-init user data is only read at creation');
  });

  test('an existing cluster is not priced', async () => {
    const root = tempDir('sm-diff-k8s-');
    const kubernetes = 'name: k8s-fixture\nserver_name: k8s.example.eu\ntarget:\n  kubernetes:\n    context: eu-cluster\nadmin_contact: ops@k8s.example.eu\nbackup:\n  enabled: false\n';
    writeFileSync(join(root, 'old.yaml'), kubernetes);
    writeFileSync(join(root, 'new.yaml'), `${kubernetes}versions:\n  synapse: 1.164.0\n`);
    const cwd = process.cwd();
    process.chdir(root);
    try {
      const result = await cli('diff', 'old.yaml', 'new.yaml', '--format', 'json');
      expect(result.stderr).toBe('');
      const diff = JSON.parse(result.stdout) as JsonDiff;
      expect(diff.deployments[0].monthlyCost).toBeNull();
      expect(diff.summary.monthlyCostChange).toBeNull();
      expect((await cli('diff', 'old.yaml', 'new.yaml')).stdout).toContain('  monthly cost: not priced (no Hetzner server: an existing cluster is not priced by the kit)');
    } finally {
      process.chdir(cwd);
    }
  });
});
