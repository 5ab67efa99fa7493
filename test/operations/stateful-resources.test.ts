/**
 * deploy and diff judge stateful resources by one table (src/operations/stateful-resources.ts):
 * what deploy flags and diff calls irreversible are two readings of the same entries.
 */
import { statefulEntryForAddress } from '../../src/deploy/stateful';
import { statefulResource } from '../../src/diff/stateful';
import { statefulEntry, STATEFUL_RESOURCES } from '../../src/operations/stateful-resources';

describe('one stateful-resource table for deploy and diff', () => {
  it('diff calls irreversible exactly the entries the table marks so, with the same reason', () => {
    for (const entry of STATEFUL_RESOURCES) {
      const type = entry.type.endsWith('*') ? `${entry.type.slice(0, -1)}locally_signed_cert` : entry.type;
      const found = statefulEntry(type, STATEFUL_RESOURCES, entry.kind);
      expect({ type, kind: entry.kind, diff: statefulResource(type, entry.kind)?.reason }).toEqual({ type, kind: entry.kind, diff: found?.irreversible ? found.reason : undefined });
    }
  });

  it('a replaced node or a renewed client certificate is flagged by deploy, not irreversible to diff', () => {
    for (const type of ['hcloud_server', 'tls_locally_signed_cert']) {
      expect(statefulEntry(type)?.reason).toMatch(/\w{10}/);
      expect(statefulResource(type)).toBeUndefined();
    }
  });

  it('names each type (and kubernetes_manifest kind) once', () => {
    const keys = STATEFUL_RESOURCES.map((entry) => `${entry.type} ${entry.kind ?? ''}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('destroy reads the same entry from an address', () => {
    expect(statefulEntryForAddress('kubernetes_stateful_set.postgres')).toBe(statefulEntry('kubernetes_stateful_set'));
    expect(statefulEntryForAddress('kubernetes_manifest.persistentvolumeclaim_ns_data')).toBe(statefulEntry('kubernetes_manifest', STATEFUL_RESOURCES, 'PersistentVolumeClaim'));
  });
});

describe('stateful resources', () => {
  it('lists every type the issue names, each with a reason', () => {
    for (const type of ['hcloud_server', 'hcloud_volume', 'hcloud_primary_ip', 'openstack_compute_instance_v2', 'openstack_blockstorage_volume_v3', 'openstack_networking_floatingip_v2', 'kubernetes_stateful_set_v1', 'kubernetes_persistent_volume_claim_v1', 'random_password', 'tls_private_key', 'tls_self_signed_cert', 'tls_locally_signed_cert']) {
      expect(statefulEntry(type)?.reason).toMatch(/\w{10}/);
    }
    for (const kind of ['StatefulSet', 'PersistentVolumeClaim', 'Namespace', 'Cluster']) {
      expect(statefulEntry('kubernetes_manifest', STATEFUL_RESOURCES, kind)?.reason).toMatch(/\w{10}/);
    }
    expect(statefulEntry('kubernetes_config_map_v1')).toBeUndefined();
    // A kubernetes_manifest is stateful by its kind only.
    expect(statefulEntry('kubernetes_manifest')).toBeUndefined();
    expect(statefulEntry('kubernetes_manifest', STATEFUL_RESOURCES, 'Deployment')).toBeUndefined();
    expect(STATEFUL_RESOURCES.every((e) => e.reason.length > 20)).toBe(true);
  });

  it('keeps data, addresses and what holds the volumes on destroy; lifts delete protection only where there is one', () => {
    const kept = STATEFUL_RESOURCES.filter((e) => e.keepOnDestroy).map((e) => (e.kind ? `${e.type} ${e.kind}` : e.type));
    expect(kept).toEqual([
      'hcloud_volume',
      'hcloud_primary_ip',
      'openstack_blockstorage_volume_v3',
      'openstack_networking_floatingip_v2',
      'kubernetes_manifest StatefulSet',
      'kubernetes_stateful_set_v1',
      'kubernetes_stateful_set',
      'kubernetes_manifest PersistentVolumeClaim',
      'kubernetes_persistent_volume_claim_v1',
      'kubernetes_persistent_volume_claim',
      'kubernetes_manifest Namespace',
      'kubernetes_namespace_v1',
      'kubernetes_namespace',
      'kubernetes_manifest Cluster',
    ]);
    expect(STATEFUL_RESOURCES.filter((e) => e.protectionAttribute).map((e) => e.type)).toEqual(['hcloud_volume', 'hcloud_primary_ip']);
  });
});
