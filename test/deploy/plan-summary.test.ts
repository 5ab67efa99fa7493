import { formatPlanSummary, hasChanges, summarizePlan } from '../../src/deploy/plan-summary';

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

/**
 * `show -json` of the apps stack, shaped as OpenTofu writes it for kubernetes_manifest: `manifest`
 * is the configured object, `object` the one the API returned (with server-filled fields), values
 * of a Secret's data included (the summary must never print them).
 */
function manifestChange(address: string, actions: string[], manifest: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const values = { computed_fields: null, field_manager: [{ force_conflicts: true, name: 'sovereign-matrix' }], manifest, object: { ...manifest, status: null }, timeouts: [], wait: [], wait_for: null };
  const deletes = actions.includes('delete');
  const creates = actions.includes('create') || actions.includes('update');
  return {
    address,
    mode: 'managed',
    type: 'kubernetes_manifest',
    name: address.split('.')[1],
    provider_name: 'registry.opentofu.org/hashicorp/kubernetes',
    change: {
      actions,
      before: deletes || actions.includes('update') ? values : null,
      after: creates ? { ...values, object: null } : null,
      after_unknown: creates ? { object: true } : {},
      before_sensitive: {},
      after_sensitive: {},
      ...extra,
    },
  };
}
const object = (apiVersion: string, kind: string, name: string, namespace?: string, rest: Record<string, unknown> = {}) => ({
  apiVersion,
  kind,
  metadata: { name, ...(namespace ? { namespace } : {}) },
  ...rest,
});
const NS = 'matrix-ministry';
const appsPlan = {
  resource_changes: [
    manifestChange(`kubernetes_manifest.persistentvolumeclaim_${NS}_synapse-data`, ['delete'], object('v1', 'PersistentVolumeClaim', 'synapse-data', NS)),
    manifestChange(`kubernetes_manifest.statefulset_${NS}_postgres`, ['delete', 'create'], object('apps/v1', 'StatefulSet', 'postgres', NS), {
      action_reason: 'replace_because_cannot_update',
      replace_paths: [['manifest', 'apiVersion']],
    }),
    manifestChange(`kubernetes_manifest.namespace_${NS}`, ['delete'], object('v1', 'Namespace', NS)),
    manifestChange(`kubernetes_manifest.deployment_${NS}_synapse`, ['create', 'delete'], object('apps/v1', 'Deployment', 'synapse', NS)),
    manifestChange(`kubernetes_manifest.statefulset_${NS}_other`, ['update'], object('apps/v1', 'StatefulSet', 'other', NS)),
    manifestChange(`kubernetes_manifest.secret_${NS}_synapse-secrets`, ['delete'], object('v1', 'Secret', 'synapse-secrets', NS, { data: { 'macaroon-secret-key': 'U0VDUkVULVZBTFVFLUlOLVBMQU4=' } })),
    manifestChange(`kubernetes_manifest.configmap_${NS}_synapse-config`, ['create'], object('v1', 'ConfigMap', 'synapse-config', NS)),
    // A migration from kit 0.1: OpenTofu forgets the typed resource (`removed`, destroy = false) and imports the object.
    { address: 'kubernetes_stateful_set_v1.postgres', mode: 'managed', type: 'kubernetes_stateful_set_v1', change: { actions: ['forget'], before: {}, after: null } },
  ],
};

describe('plan summary of the apps stack (kubernetes_manifest)', () => {
  const summary = summarizePlan(JSON.stringify(appsPlan));

  it('reads the kind of each object from its manifest and flags a StatefulSet, a claim and a namespace only', () => {
    expect(summary.warnings.map((w) => [w.action, w.address, w.object])).toEqual([
      ['destroy', `kubernetes_manifest.namespace_${NS}`, { kind: 'Namespace', name: NS }],
      ['destroy', `kubernetes_manifest.persistentvolumeclaim_${NS}_synapse-data`, { kind: 'PersistentVolumeClaim', namespace: NS, name: 'synapse-data' }],
      ['replace', `kubernetes_manifest.statefulset_${NS}_postgres`, { kind: 'StatefulSet', namespace: NS, name: 'postgres' }],
    ]);
    expect(summary.replace).toEqual([`kubernetes_manifest.deployment_${NS}_synapse`, `kubernetes_manifest.statefulset_${NS}_postgres`]);
    expect(summary.update).toEqual([`kubernetes_manifest.statefulset_${NS}_other`]);
    // A forgotten (migrated) resource is neither destroyed nor counted.
    expect([...summary.create, ...summary.update, ...summary.replace, ...summary.destroy]).not.toContain('kubernetes_stateful_set_v1.postgres');
  });

  it('names the object in the warning, and never prints a value of the plan', () => {
    const lines = formatPlanSummary(`ministry-apps`, summary);
    expect(lines[0]).toBe('ministry-apps: 1 to add, 1 to change, 2 to replace, 3 to destroy, 0 to import, 1 to forget (left in place)');
    expect(lines).toContain(`  !!! WARNING: REPLACES kubernetes_manifest.statefulset_${NS}_postgres (StatefulSet ${NS}/postgres): a StatefulSet holds PostgreSQL or another service with data: its pods own persistent volumes`);
    expect(lines).toContain(`  !!! WARNING: DESTROYS kubernetes_manifest.namespace_${NS} (Namespace ${NS}): deleting the namespace deletes everything in it, persistent volume claims included`);
    expect(lines.join('\n')).not.toContain('U0VDUkVU');
  });

  it('reads the object from `object` when the configuration is not in the plan', () => {
    const change = manifestChange('kubernetes_manifest.x', ['delete'], object('v1', 'PersistentVolumeClaim', 'data', NS));
    const fromObject = { ...change, change: { ...change.change, before: { ...change.change.before!, manifest: null } } };
    expect(summarizePlan({ resource_changes: [fromObject] }).warnings.map((w) => w.object)).toEqual([{ kind: 'PersistentVolumeClaim', namespace: NS, name: 'data' }]);
  });
});

describe('moving state in place (import and removed blocks)', () => {
  // The shape OpenTofu 1.12 gives for `import` and `removed { lifecycle { destroy = false } }` blocks.
  const plan = {
    resource_changes: [
      { address: 'kubernetes_deployment_v1.synapse', type: 'kubernetes_deployment_v1', mode: 'managed', change: { actions: ['forget'] } },
      {
        address: 'kubernetes_manifest.deployment_matrix-x_synapse',
        type: 'kubernetes_manifest',
        mode: 'managed',
        change: { actions: ['update'], importing: { id: 'apiVersion=apps/v1,kind=Deployment,namespace=matrix-x,name=synapse' } },
      },
      { address: 'kubernetes_manifest.namespace_matrix-x', type: 'kubernetes_manifest', mode: 'managed', change: { actions: ['no-op'], importing: { id: 'apiVersion=v1,kind=Namespace,name=matrix-x' } } },
    ],
  };

  it('counts imports and forgets as changes, never as destructions', () => {
    const summary = summarizePlan(plan);
    expect(summary.import).toEqual(['kubernetes_manifest.deployment_matrix-x_synapse', 'kubernetes_manifest.namespace_matrix-x']);
    expect(summary.forget).toEqual(['kubernetes_deployment_v1.synapse']);
    expect(summary.destroy).toEqual([]);
    expect(summary.warnings).toEqual([]);
    expect(hasChanges(summary)).toBe(true);
    const lines = formatPlanSummary('x-apps', summary);
    expect(lines[0]).toBe('x-apps: 0 to add, 1 to change, 0 to replace, 0 to destroy, 2 to import, 1 to forget (left in place)');
    expect(lines).toContain('  forget kubernetes_deployment_v1.synapse');
  });
});
