import { LEGACY_KINDS, MANIFEST_TYPE } from '../components/k8s/terraform-identity';

/**
 * The resources that hold something a new one cannot bring back: data, a public address, a
 * secret or a credential others depend on. One table for every command that judges a change:
 * `plan`/`deploy` flag their replacement loudly and `destroy` keeps some of them (src/deploy);
 * `diff` calls their deletion or replacement irreversible (src/diff). Extend it here when a stack
 * gains a new stateful resource.
 *
 * The apps stack applies every Kubernetes object as a `kubernetes_manifest`; its entries name the
 * object's `kind` (from the plan's `manifest`, or from the kit's address convention
 * `kubernetes_manifest.<kind lowercased>_<namespace>_<name>` where only an address is known).
 * The typed resources of earlier kits (`kubernetes_stateful_set_v1`, and `kubernetes_stateful_set`
 * before the provider's _v1 names) stay listed: a state that was not migrated yet still holds them,
 * and a diff against a checkout of that version still reads them.
 */
export interface StatefulResource {
  /** Terraform resource type; a trailing `*` matches a prefix (`tls_*`). */
  readonly type: string;
  /** For `kubernetes_manifest`: the Kubernetes kind (`StatefulSet`) the entry is about. */
  readonly kind?: string;
  /** What is lost, in words for the operator. */
  readonly reason: string;
  /**
   * Losing it cannot be undone (data, an address, a key). False where a replacement costs
   * downtime or a renewal only: deploy still flags it, diff reports it as a replacement.
   */
  readonly irreversible: boolean;
  /** `destroy` removes it from state (so it survives) unless --delete-data. */
  readonly keepOnDestroy: boolean;
  /** Attribute that stops the cloud deleting it; `destroy --delete-data` sets it to false first. */
  readonly protectionAttribute?: string;
}

/** Kubernetes objects that hold data. */
const KUBERNETES_OBJECTS = [
  { kind: 'StatefulSet', reason: 'a StatefulSet holds PostgreSQL or another service with data: its pods own persistent volumes' },
  { kind: 'PersistentVolumeClaim', reason: 'a persistent volume claim: deleting it deletes its volume (reclaim policy Delete)' },
  { kind: 'Namespace', reason: 'deleting the namespace deletes everything in it, persistent volume claims included' },
  {
    kind: 'Cluster',
    reason: "a CloudNativePG Cluster holds PostgreSQL: its instances' persistent volume claims are the operator's and go with it (owner references)",
  },
];

/** The typed resources earlier kits applied a kind as: kit 0.1's `_v1` names and the provider's older names without `_v1`. */
function legacyTypes(kind: string): string[] {
  return Object.entries(LEGACY_KINDS)
    .filter(([, legacy]) => legacy.kind === kind)
    .flatMap(([type]) => [type, type.replace(/_v1$/, '')]);
}

export const STATEFUL_RESOURCES: readonly StatefulResource[] = [
  {
    type: 'hcloud_server',
    reason: 'the data-bearing k3s node: replacing it reinstalls the node (cluster state and data stay on the volume, but every pod restarts and the node is down meanwhile)',
    irreversible: false,
    keepOnDestroy: false,
  },
  {
    type: 'hcloud_volume',
    reason: 'the data volume: PostgreSQL (every account, room and message), media and the k3s cluster state live on it',
    irreversible: true,
    keepOnDestroy: true,
    protectionAttribute: 'delete_protection',
  },
  {
    type: 'hcloud_primary_ip',
    reason: 'a public address: DNS records, federation peers and TURN clients point at it; a new one needs DNS changes',
    irreversible: true,
    keepOnDestroy: true,
    protectionAttribute: 'delete_protection',
  },
  {
    type: 'openstack_compute_instance_v2',
    reason: 'the data-bearing k3s node: replacing it reinstalls the node (cluster state and data stay on the volume, but every pod restarts and the node is down meanwhile)',
    irreversible: false,
    keepOnDestroy: false,
  },
  {
    // Cinder has no delete protection: destroy keeps the volume by taking it out of state.
    type: 'openstack_blockstorage_volume_v3',
    reason: 'the data volume: PostgreSQL (every account, room and message), media and the k3s cluster state live on it',
    irreversible: true,
    keepOnDestroy: true,
  },
  {
    type: 'openstack_networking_floatingip_v2',
    reason: 'a public address: DNS records, federation peers and TURN clients point at it; a new one needs DNS changes',
    irreversible: true,
    keepOnDestroy: true,
  },
  ...KUBERNETES_OBJECTS.flatMap(({ kind, reason }) => [
    { type: MANIFEST_TYPE, kind, reason, irreversible: true, keepOnDestroy: true },
    ...legacyTypes(kind).map((type) => ({ type, reason, irreversible: true, keepOnDestroy: true })),
  ]),
  {
    type: 'random_password',
    reason: 'a generated secret: replacing it rotates it (database passwords, signing and shared secrets); components that stored the old one lose access',
    irreversible: true,
    keepOnDestroy: false,
  },
  {
    type: 'tls_private_key',
    reason: 'a cluster key: a new CA or client key invalidates every certificate it signed and every kubeconfig of the k3s cluster',
    irreversible: true,
    keepOnDestroy: false,
  },
  {
    type: 'tls_self_signed_cert',
    reason: 'a cluster CA: a new CA certificate invalidates every kubeconfig of the k3s cluster and the certificates it signed',
    irreversible: true,
    keepOnDestroy: false,
  },
  {
    // The kit's client certificate is renewed before it expires; a renewal is expected, not a loss.
    type: 'tls_*',
    reason: 'a cluster credential: replacing it changes the client certificate the kit reaches the k3s API with',
    irreversible: false,
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
