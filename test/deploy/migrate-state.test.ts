import { Testing } from 'cdktf';
import { AppsStack } from '../../stacks/apps';
import { importId, isLegacyAddress, planMigration } from '../../src/deploy/migrate-state';
import { specOf, VALID_YAML } from '../helpers';

/** The shape of `tofu show -json` for a state written by the typed resources of kit 0.1. */
function legacyState(resources: { address: string; values: Record<string, unknown> }[]): string {
  return JSON.stringify({
    format_version: '1.0',
    values: {
      root_module: {
        resources: resources.map((r) => ({ ...r, mode: 'managed', type: r.address.split('.')[0], name: r.address.split('.')[1], provider_name: 'registry.opentofu.org/hashicorp/kubernetes' })),
      },
    },
  });
}

const spec = specOf(VALID_YAML);
const stack = JSON.parse(Testing.synth(new AppsStack(Testing.app(), spec)));
const ns = 'matrix-ministry';

describe('moving state of the typed Kubernetes resources', () => {
  const state = legacyState([
    { address: 'kubernetes_namespace_v1.namespace', values: { metadata: [{ name: ns }] } },
    { address: 'kubernetes_persistent_volume_claim_v1.synapse-data', values: { metadata: [{ name: 'synapse-data', namespace: ns }] } },
    { address: 'kubernetes_stateful_set_v1.postgres', values: { metadata: [{ name: 'postgres', namespace: ns }] } },
    { address: 'kubernetes_secret_v1.turn-secret-for-coturn', values: { metadata: [{ name: 'turn-shared-secret', namespace: `${ns}-turn` }] } },
    { address: 'kubernetes_config_map_v1.obsolete', values: { metadata: [{ name: 'gone-config', namespace: ns }] } },
    {
      address: 'kubernetes_manifest.traefik-acme',
      values: { manifest: { apiVersion: 'helm.cattle.io/v1', kind: 'HelmChartConfig', metadata: { name: 'traefik', namespace: 'kube-system' } } },
    },
    { address: 'random_password.postgres-superuser-value', values: { length: 48 } },
  ]);
  const migration = planMigration(state, stack)!;

  it('forgets each old address without destroying it and imports the same object at its new one', () => {
    expect(migration.file.removed).toEqual([
      { from: 'kubernetes_namespace_v1.namespace', lifecycle: [{ destroy: false }] },
      { from: 'kubernetes_persistent_volume_claim_v1.synapse-data', lifecycle: [{ destroy: false }] },
      { from: 'kubernetes_stateful_set_v1.postgres', lifecycle: [{ destroy: false }] },
      { from: 'kubernetes_secret_v1.turn-secret-for-coturn', lifecycle: [{ destroy: false }] },
    ]);
    expect(migration.file.import).toEqual([
      { to: `kubernetes_manifest.namespace_${ns}`, id: `apiVersion=v1,kind=Namespace,name=${ns}` },
      { to: `kubernetes_manifest.persistentvolumeclaim_${ns}_synapse-data`, id: `apiVersion=v1,kind=PersistentVolumeClaim,namespace=${ns},name=synapse-data` },
      { to: `kubernetes_manifest.statefulset_${ns}_postgres`, id: `apiVersion=apps/v1,kind=StatefulSet,namespace=${ns},name=postgres` },
      { to: `kubernetes_manifest.secret_${ns}-turn_turn-shared-secret`, id: `apiVersion=v1,kind=Secret,namespace=${ns}-turn,name=turn-shared-secret` },
    ]);
    // Every target exists in the new stack.
    for (const { to } of migration.file.import as { to: string }[]) expect(stack.resource.kubernetes_manifest).toHaveProperty([to.split('.')[1]]);
  });

  it('moves an old kubernetes_manifest to its new name', () => {
    expect(migration.file.moved).toEqual([{ from: 'kubernetes_manifest.traefik-acme', to: 'kubernetes_manifest.helmchartconfig_kube-system_traefik' }]);
  });

  it('leaves objects the deployment no longer has to the plan (deleted as any removal), and generated values where they are', () => {
    const all = JSON.stringify(migration.file);
    expect(all).not.toContain('kubernetes_config_map_v1.obsolete');
    expect(all).not.toContain('random_password');
    expect(stack.resource.random_password).toHaveProperty(['postgres-superuser-value']); // same address as in 0.1: values kept
  });

  it('is nothing for a state of the current form', () => {
    const current = legacyState([
      { address: `kubernetes_manifest.namespace_${ns}`, values: { manifest: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } } },
    ]);
    expect(planMigration(current, stack)).toBeUndefined();
    expect(isLegacyAddress(`kubernetes_manifest.namespace_${ns}`, stack)).toBe(false);
    expect(isLegacyAddress('kubernetes_deployment_v1.synapse', stack)).toBe(true);
    expect(isLegacyAddress('random_password.x', stack)).toBe(false);
  });

  it("takes a counted object's instance (`name[0]`, a monitoring stack of auto) for the current form", () => {
    const counted = { resource: { kubernetes_manifest: { 'servicemonitor_matrix-x_synapse': { count: '${1}', manifest: { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: { name: 'synapse', namespace: 'matrix-x' } } } } } };
    expect(isLegacyAddress('kubernetes_manifest.servicemonitor_matrix-x_synapse[0]', counted)).toBe(false);
    expect(isLegacyAddress('kubernetes_manifest.servicemonitor_matrix-x_gone[0]', counted)).toBe(true);
    const state = legacyState([{ address: 'kubernetes_manifest.servicemonitor_matrix-x_synapse[0]', values: { manifest: counted.resource.kubernetes_manifest['servicemonitor_matrix-x_synapse'].manifest } }]);
    expect(planMigration(state, counted)).toBeUndefined();
  });

  it('writes import IDs as the kubernetes provider reads them', () => {
    expect(importId({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace: ns, name: 'matrix' })).toBe(
      `apiVersion=networking.k8s.io/v1,kind=Ingress,namespace=${ns},name=matrix`,
    );
  });
});
