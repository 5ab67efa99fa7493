/**
 * What destroy reads of the stateful-resource table (src/deploy/stateful.ts): `state list` gives
 * only addresses, so the entry is found by the address's type, and for a kubernetes_manifest by
 * the kind the kit's naming puts into the address.
 */
import { Testing } from 'cdktf';
import { addressType, statefulEntryForAddress } from '../../src/deploy/stateful';
import { STATEFUL_RESOURCES, type StatefulResource } from '../../src/operations/stateful-resources';
import { AppsStack } from '../../stacks/apps';
import { specOf, VALID_YAML } from '../helpers';

const NS = 'matrix-ministry';

describe('the stateful entry of a `state list` address', () => {
  it('finds the entry of a `state list` address; a kubernetes_manifest by the kind its name starts with', () => {
    expect(statefulEntryForAddress('hcloud_volume.data')?.keepOnDestroy).toBe(true);
    expect(statefulEntryForAddress('kubernetes_stateful_set_v1.postgres')?.keepOnDestroy).toBe(true);
    expect(statefulEntryForAddress(`kubernetes_manifest.namespace_${NS}`)?.kind).toBe('Namespace');
    expect(statefulEntryForAddress(`kubernetes_manifest.deployment_${NS}_synapse`)).toBeUndefined();
    // The naming holds for every object of the synthesized apps stack: the address says the kind.
    const apps = JSON.parse(Testing.synth(new AppsStack(Testing.app(), specOf(VALID_YAML)))) as { resource: { kubernetes_manifest: Record<string, { manifest: { kind: string } }> } };
    const kept: string[] = [];
    for (const [name, { manifest }] of Object.entries(apps.resource.kubernetes_manifest)) {
      const entry = statefulEntryForAddress(`kubernetes_manifest.${name}`);
      expect({ name, kind: entry?.kind }).toEqual({ name, kind: ['StatefulSet', 'PersistentVolumeClaim', 'Namespace'].includes(manifest.kind) ? manifest.kind : undefined });
      if (entry?.keepOnDestroy) kept.push(manifest.kind);
    }
    expect([...new Set(kept)].sort()).toEqual(['Namespace', 'PersistentVolumeClaim', 'StatefulSet']);
  });

  it('finds the entries of kit 0.1’s typed resources and the provider’s older names (legacy state)', () => {
    for (const [address, kind] of [
      ['kubernetes_stateful_set_v1.postgres', 'StatefulSet'],
      ['kubernetes_stateful_set.postgres', 'StatefulSet'],
      ['kubernetes_persistent_volume_claim_v1.media', 'PersistentVolumeClaim'],
      ['kubernetes_persistent_volume_claim.media', 'PersistentVolumeClaim'],
      ['kubernetes_namespace_v1.matrix', 'Namespace'],
      ['kubernetes_namespace.matrix', 'Namespace'],
    ] as const) {
      const entry = statefulEntryForAddress(address);
      expect({ address, keep: entry?.keepOnDestroy, irreversible: entry?.irreversible }).toEqual({ address, keep: true, irreversible: true });
      expect(entry?.reason).toBe(STATEFUL_RESOURCES.find((e) => e.type === 'kubernetes_manifest' && e.kind === kind)?.reason);
    }
    expect(statefulEntryForAddress('kubernetes_deployment_v1.synapse')).toBeUndefined();
    expect(statefulEntryForAddress('kubernetes_config_map_v1.synapse-config')).toBeUndefined();
  });

  it('reads the kind of an indexed or module-nested kubernetes_manifest, and of no prefix the list names', () => {
    expect(statefulEntryForAddress(`kubernetes_manifest.statefulset_${NS}_postgres["a"]`)?.kind).toBe('StatefulSet');
    expect(statefulEntryForAddress(`module.apps.kubernetes_manifest.persistentvolumeclaim_${NS}_synapse-data`)?.kind).toBe('PersistentVolumeClaim');
    expect(statefulEntryForAddress('kubernetes_manifest.configmap_x_statefulset')).toBeUndefined();
    expect(statefulEntryForAddress('kubernetes_manifest.postgres')).toBeUndefined();
  });

  it('finds the entries of other address forms by their type: indices, modules, wildcards', () => {
    expect(statefulEntryForAddress('module.infra.hcloud_volume.data[0]')?.type).toBe('hcloud_volume');
    expect(statefulEntryForAddress('hcloud_primary_ip.ip["v6"]')?.protectionAttribute).toBe('delete_protection');
    // The client certificate matches `tls_*`: a renewal, not a loss.
    expect(statefulEntryForAddress('tls_locally_signed_cert.client')).toMatchObject({ type: 'tls_*', irreversible: false, keepOnDestroy: false });
    expect(statefulEntryForAddress('hcloud_firewall.firewall')).toBeUndefined();
  });

  it('reads only the list it is given', () => {
    const list: StatefulResource[] = [{ type: 'kubernetes_manifest', kind: 'ConfigMap', reason: 'test-only entry', irreversible: false, keepOnDestroy: true }];
    expect(statefulEntryForAddress(`kubernetes_manifest.configmap_${NS}_synapse-config`, list)?.reason).toBe('test-only entry');
    expect(statefulEntryForAddress(`kubernetes_manifest.statefulset_${NS}_postgres`, list)).toBeUndefined();
    expect(statefulEntryForAddress('hcloud_volume.data', list)).toBeUndefined();
  });
});

describe('the type of an address (addressType)', () => {
  it('reads the type from any address form', () => {
    expect(addressType('hcloud_volume.data')).toBe('hcloud_volume');
    expect(addressType('module.a.module.b.hcloud_primary_ip.ip["v4"]')).toBe('hcloud_primary_ip');
    expect(addressType('data.hcloud_image.x')).toBe('hcloud_image');
  });

  it('is the address itself when it has no type part', () => {
    expect(addressType('module.x')).toBe('module.x');
    expect(addressType('kubernetes_manifest.statefulset_a_b["k.with.dots"]')).toBe('kubernetes_manifest');
  });
});
