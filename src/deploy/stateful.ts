/**
 * Resource types whose replacement or destruction loses data, an address or a secret. The plan
 * summary flags them loudly; `destroy` keeps the ones marked `keepOnDestroy` unless
 * `--delete-data` is given. This list is the single place to extend when a stack gains a new
 * stateful resource.
 *
 * The apps stack applies every Kubernetes object as a `kubernetes_manifest`; its entries name the
 * object's `kind` (from the plan's `manifest`, or from the kit's address convention
 * `kubernetes_manifest.<kind lowercased>_<namespace>_<name>` where only an address is known).
 * The typed resources of kit 0.1 (`kubernetes_stateful_set_v1`) stay listed: a state that was not
 * migrated yet still holds them.
 */
export interface StatefulResource {
  /** Terraform resource type; a trailing `*` matches a prefix (`tls_*`). */
  readonly type: string;
  /** For `kubernetes_manifest`: the Kubernetes kind (`StatefulSet`) the entry is about. */
  readonly kind?: string;
  /** What is lost, in words for the operator. */
  readonly reason: string;
  /** `destroy` removes it from state (so it survives) unless --delete-data. */
  readonly keepOnDestroy: boolean;
  /** Attribute that stops the cloud deleting it; `destroy --delete-data` sets it to false first. */
  readonly protectionAttribute?: string;
}

const MANIFEST = 'kubernetes_manifest';

export const STATEFUL_RESOURCES: readonly StatefulResource[] = [
  {
    type: 'hcloud_server',
    reason: 'the data-bearing k3s node: replacing it reinstalls the node (cluster state and data stay on the volume, but every pod restarts and the node is down meanwhile)',
    keepOnDestroy: false,
  },
  {
    type: 'hcloud_volume',
    reason: 'the data volume: PostgreSQL (every account, room and message), media and the k3s cluster state live on it',
    keepOnDestroy: true,
    protectionAttribute: 'delete_protection',
  },
  {
    type: 'hcloud_primary_ip',
    reason: 'a public address: DNS records, federation peers and TURN clients point at it; a new one needs DNS changes',
    keepOnDestroy: true,
    protectionAttribute: 'delete_protection',
  },
  ...[
    { kind: 'StatefulSet', legacy: 'kubernetes_stateful_set_v1', reason: 'a stateful workload (PostgreSQL): its pods own persistent volumes' },
    { kind: 'PersistentVolumeClaim', legacy: 'kubernetes_persistent_volume_claim_v1', reason: 'a persistent volume claim: deleting it deletes the data with most storage classes' },
    { kind: 'Namespace', legacy: 'kubernetes_namespace_v1', reason: 'the namespace holding the persistent volume claims: deleting it deletes them with it' },
  ].flatMap(({ kind, legacy, reason }) => [
    { type: MANIFEST, kind, reason, keepOnDestroy: true },
    { type: legacy, reason, keepOnDestroy: true },
  ]),
  {
    type: 'random_password',
    reason: 'a generated secret: replacing it rotates it (database passwords, signing and shared secrets); components that stored the old one lose access',
    keepOnDestroy: false,
  },
  {
    type: 'tls_*',
    reason: 'a CA or cluster credential: replacing it invalidates every certificate it signed (the k3s API, the kit\'s client certificate)',
    keepOnDestroy: false,
  },
];

/**
 * The entry for a resource type, if it is stateful. A kubernetes_manifest is only stateful by its
 * object's `kind`; without one it matches no entry.
 */
export function statefulEntry(type: string, list: readonly StatefulResource[] = STATEFUL_RESOURCES, kind?: string): StatefulResource | undefined {
  return list.find(
    (entry) => (entry.type.endsWith('*') ? type.startsWith(entry.type.slice(0, -1)) : type === entry.type) && (entry.kind === undefined || entry.kind === kind),
  );
}

/**
 * The entry for a resource address (`state list` gives only addresses). A kubernetes_manifest's
 * kind is read from the kit's naming, `kubernetes_manifest.<kind lowercased>_<namespace>_<name>`
 * (`statefulset_matrix-x_postgres`), matched against the kinds the list names.
 */
export function statefulEntryForAddress(address: string, list: readonly StatefulResource[] = STATEFUL_RESOURCES): StatefulResource | undefined {
  const type = addressType(address);
  if (type !== MANIFEST) return statefulEntry(type, list);
  const name = address.replace(/\[[^\]]*\]$/, '').split('.').pop() ?? '';
  const prefix = name.split('_')[0];
  const kind = list.find((entry) => entry.type === MANIFEST && entry.kind?.toLowerCase() === prefix)?.kind;
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
