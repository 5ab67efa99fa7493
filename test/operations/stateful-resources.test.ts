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
