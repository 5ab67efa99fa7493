import { formatPlanSummary, hasChanges, summarizePlan } from '../../src/deploy/plan-summary';
import { addressType, statefulEntry, STATEFUL_RESOURCES } from '../../src/deploy/stateful';

/** Synthetic `show -json` for the cloud types (the real-output test is in test/integration/deploy.test.ts). */
const change = (address: string, type: string, actions: string[], mode = 'managed') => ({ address, type, mode, change: { actions } });
const plan = {
  variables: { kube_client_key: { value: 'SECRET-VALUE' } },
  resource_changes: [
    change('hcloud_volume.data', 'hcloud_volume', ['delete', 'create']),
    change('hcloud_primary_ip.primary-ipv4', 'hcloud_primary_ip', ['delete']),
    change('hcloud_server.node', 'hcloud_server', ['create', 'delete']),
    change('hcloud_firewall.firewall', 'hcloud_firewall', ['update']),
    change('kubernetes_persistent_volume_claim_v1.media', 'kubernetes_persistent_volume_claim_v1', ['delete']),
    change('kubernetes_stateful_set_v1.postgres', 'kubernetes_stateful_set_v1', ['update']),
    change('random_password.synapse-database-value', 'random_password', ['create']),
    change('tls_self_signed_cert.server-ca', 'tls_self_signed_cert', ['delete', 'create']),
    change('kubernetes_config_map_v1.synapse', 'kubernetes_config_map_v1', ['no-op']),
    change('data.hcloud_image.debian', 'hcloud_image', ['read'], 'data'),
  ],
};

describe('plan summary', () => {
  const summary = summarizePlan(JSON.stringify(plan));

  it('sorts every change by action and address', () => {
    expect(summary.create).toEqual(['random_password.synapse-database-value']);
    expect(summary.update).toEqual(['hcloud_firewall.firewall', 'kubernetes_stateful_set_v1.postgres']);
    expect(summary.replace).toEqual(['hcloud_server.node', 'hcloud_volume.data', 'tls_self_signed_cert.server-ca']);
    expect(summary.destroy).toEqual(['hcloud_primary_ip.primary-ipv4', 'kubernetes_persistent_volume_claim_v1.media']);
    expect(hasChanges(summary)).toBe(true);
  });

  it('flags replacement or destruction of stateful resources, not their creation or update', () => {
    expect(summary.warnings.map((w) => `${w.action} ${w.address}`)).toEqual([
      'replace hcloud_server.node',
      'replace hcloud_volume.data',
      'destroy hcloud_primary_ip.primary-ipv4',
      'destroy kubernetes_persistent_volume_claim_v1.media',
      'replace tls_self_signed_cert.server-ca',
    ].sort((a, b) => a.split(' ')[1].localeCompare(b.split(' ')[1])));
  });

  it('prints the warnings first, loudly, and never a variable value', () => {
    const lines = formatPlanSummary('ministry-infra', summary);
    expect(lines[0]).toBe('ministry-infra: 1 to add, 2 to change, 3 to replace, 2 to destroy');
    expect(lines[1]).toMatch(/^ {2}!!! WARNING: DESTROYS hcloud_primary_ip.primary-ipv4: a public address/);
    expect(lines[2]).toMatch(/^ {2}!!! WARNING: REPLACES hcloud_server.node: the data-bearing k3s node/);
    expect(lines.filter((l) => l.includes('!!! WARNING'))).toHaveLength(5);
    expect(lines).toContain('  -/+ hcloud_volume.data');
    expect(lines.join('\n')).not.toContain('SECRET-VALUE');
    expect(formatPlanSummary('x', summarizePlan({ resource_changes: [] }))).toEqual(['x: no changes']);
  });
});

describe('stateful resources', () => {
  it('lists every type the issue names, each with a reason', () => {
    for (const type of ['hcloud_server', 'hcloud_volume', 'hcloud_primary_ip', 'kubernetes_stateful_set_v1', 'kubernetes_persistent_volume_claim_v1', 'random_password', 'tls_private_key', 'tls_self_signed_cert', 'tls_locally_signed_cert']) {
      expect(statefulEntry(type)?.reason).toMatch(/\w{10}/);
    }
    expect(statefulEntry('kubernetes_config_map_v1')).toBeUndefined();
    expect(STATEFUL_RESOURCES.every((e) => e.reason.length > 20)).toBe(true);
  });

  it('keeps data, addresses and what holds the volumes on destroy; lifts delete protection only where there is one', () => {
    const kept = STATEFUL_RESOURCES.filter((e) => e.keepOnDestroy).map((e) => e.type);
    expect(kept).toEqual(['hcloud_volume', 'hcloud_primary_ip', 'kubernetes_stateful_set_v1', 'kubernetes_persistent_volume_claim_v1', 'kubernetes_namespace_v1']);
    expect(STATEFUL_RESOURCES.filter((e) => e.protectionAttribute).map((e) => e.type)).toEqual(['hcloud_volume', 'hcloud_primary_ip']);
  });

  it('reads the type from any address form', () => {
    expect(addressType('hcloud_volume.data')).toBe('hcloud_volume');
    expect(addressType('module.a.module.b.hcloud_primary_ip.ip["v4"]')).toBe('hcloud_primary_ip');
    expect(addressType('data.hcloud_image.x')).toBe('hcloud_image');
  });
});
