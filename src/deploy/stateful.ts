import { MANIFEST_TYPE } from '../components/k8s/terraform-identity';
import { statefulEntry, STATEFUL_RESOURCES, type StatefulResource } from '../operations/stateful-resources';

/**
 * What `destroy` reads of the stateful-resource table (src/operations/stateful-resources.ts):
 * `state list` gives only addresses, so the entry is found by an address's type, and for a
 * kubernetes_manifest by the kind the kit's naming puts into the address.
 */

/**
 * The entry for a resource address. A kubernetes_manifest's kind is read from the kit's naming,
 * `kubernetes_manifest.<kind lowercased>_<namespace>_<name>` (`statefulset_matrix-x_postgres`),
 * matched against the kinds the list names.
 */
export function statefulEntryForAddress(address: string, list: readonly StatefulResource[] = STATEFUL_RESOURCES): StatefulResource | undefined {
  const type = addressType(address);
  if (type !== MANIFEST_TYPE) return statefulEntry(type, list);
  const name = address.replace(/\[[^\]]*\]$/, '').split('.').pop() ?? '';
  const prefix = name.split('_')[0];
  const kind = list.find((entry) => entry.type === MANIFEST_TYPE && entry.kind?.toLowerCase() === prefix)?.kind;
  return statefulEntry(type, list, kind);
}

/** Type of a resource address (`module.x.hcloud_volume.data[0]` -> `hcloud_volume`). */
export function addressType(address: string): string {
  const parts = address.replace(/\[[^\]]*\]/g, '').split('.');
  // Skip `module.<name>` pairs and `data.` sources.
  let i = 0;
  while (parts[i] === 'module') i += 2;
  if (parts[i] === 'data') i += 1;
  return parts[i] ?? address;
}
