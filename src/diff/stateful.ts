import { MANIFEST_TYPE } from '../components/k8s/terraform-identity';
import { statefulEntry, STATEFUL_RESOURCES, type StatefulResource } from '../operations/stateful-resources';

/**
 * What the diff flags at the top: changes that replace a stateful resource or change something
 * that cannot be changed back. This is data, one entry per fact, each with the reason a reviewer
 * reads; the code below only evaluates it. Add an entry when the kit starts managing a new kind
 * of state.
 *
 * Sources for the "forces replacement" entries: the hcloud provider's resource schemas
 * (`ForceNew` in terraform-provider-hcloud internal/server, internal/volume, internal/primaryip;
 * the generated schema.json in src/providers/hcloud does not carry ForceNew), the Hetzner Cloud
 * API documentation (volumes can only grow), the kubernetes provider's kubernetes_manifest
 * (manifest/provider/plan.go: a different apiVersion, kind, name or namespace requires
 * replacement; every other field is applied in place, server-side), the Kubernetes API (a
 * StatefulSet's volumeClaimTemplates, selector and serviceName, a Deployment's selector, a claim's
 * storage class and access modes are immutable: the API server refuses the update), and Synapse's
 * documentation (server_name and the signing key can never change).
 *
 * The apps stack applies every Kubernetes object as a `kubernetes_manifest`; its rules name the
 * object's `kind` and Kubernetes field paths (`spec.volumeClaimTemplates`). The typed resources of
 * kit 0.1 (`kubernetes_stateful_set_v1`, snake_case paths) keep their rules: a diff against a
 * checkout of that version still reads them.
 */

export type WarningKind =
  /** Data or identity is lost or changed for good (a volume deleted, server_name changed). */
  | 'irreversible'
  /** The resource is destroyed and created again (downtime; new ID, maybe new address). */
  | 'replacement';

/** An attribute whose change Terraform cannot apply in place. */
export interface ReplacementRule {
  readonly type: string;
  /** For `kubernetes_manifest`: the object's kind the rule is about; absent, every kind. */
  readonly kind?: string;
  /** Attribute path prefix (`user_data`, `spec.volume_claim_template`; Kubernetes paths for kubernetes_manifest). */
  readonly attribute: string;
  /** Only a change for which this holds forces replacement (`size` only when it shrinks). */
  readonly when?: (oldValue: unknown, newValue: unknown) => boolean;
  /**
   * The engine plans an in-place update that the Kubernetes API server refuses (an immutable
   * field): the apply fails until the object is deleted and created again.
   */
  readonly refused?: boolean;
  readonly reason: string;
}


export const REPLACEMENT_RULES: readonly ReplacementRule[] = [
  // The k3s node. Its state is on the volume and its addresses are primary IPs, so a replacement
  // costs downtime, not data; server_type and name change in place (server_type with a reboot).
  { type: 'hcloud_server', attribute: 'user_data', reason: 'cloud-init user data is only read at creation; the provider replaces the server (ForceNew)' },
  { type: 'hcloud_server', attribute: 'image', reason: 'a different OS image means a new server (ForceNew)' },
  { type: 'hcloud_server', attribute: 'location', reason: 'a server cannot move between locations (ForceNew)' },
  { type: 'hcloud_server', attribute: 'datacenter', reason: 'a server cannot move between datacenters (ForceNew)' },
  { type: 'hcloud_server', attribute: 'ssh_keys', reason: 'SSH keys are only injected at creation; the provider replaces the server (ForceNew)' },
  // The data volume: PostgreSQL, media, k3s cluster state.
  { type: 'hcloud_volume', attribute: 'location', reason: 'a volume cannot move between locations (ForceNew)' },
  {
    type: 'hcloud_volume',
    attribute: 'size',
    when: (oldValue, newValue) => typeof oldValue === 'number' && typeof newValue === 'number' && newValue < oldValue,
    reason: 'Hetzner volumes can only grow; a smaller size needs a new volume',
  },
  { type: 'hcloud_volume', attribute: 'format', reason: 'the filesystem is only made at creation' },
  // Public addresses: DNS records, federation peers' caches and TURN clients point at them.
  { type: 'hcloud_primary_ip', attribute: 'type', reason: 'an IPv4 address cannot become IPv6 (ForceNew)' },
  { type: 'hcloud_primary_ip', attribute: 'location', reason: 'a primary IP is bound to its location (ForceNew)' },
  { type: 'hcloud_primary_ip', attribute: 'datacenter', reason: 'a primary IP is bound to its datacenter (ForceNew)' },
  // The private network: every attribute of a subnet is ForceNew.
  { type: 'hcloud_network_subnet', attribute: 'ip_range', reason: 'a subnet cannot change its range (ForceNew)' },
  { type: 'hcloud_network_subnet', attribute: 'network_zone', reason: 'a subnet cannot change its network zone (ForceNew)' },
  // OpenStack (terraform-provider-openstack 3.4.0, ForceNew in its schema): the node, its volume and address.
  { type: 'openstack_compute_instance_v2', attribute: 'user_data', reason: 'cloud-init user data is only read at creation; the provider replaces the server (ForceNew)' },
  { type: 'openstack_compute_instance_v2', attribute: 'key_pair', reason: 'the key pair is only injected at creation; the provider replaces the server (ForceNew)' },
  { type: 'openstack_compute_instance_v2', attribute: 'block_device', reason: 'the boot image and the attached volume are fixed at creation (ForceNew)' },
  { type: 'openstack_compute_instance_v2', attribute: 'network', reason: 'the server’s port is fixed at creation (ForceNew)' },
  { type: 'openstack_compute_instance_v2', attribute: 'region', reason: 'a server cannot move between regions (ForceNew)' },
  { type: 'openstack_blockstorage_volume_v3', attribute: 'region', reason: 'a volume cannot move between regions (ForceNew)' },
  {
    type: 'openstack_blockstorage_volume_v3',
    attribute: 'size',
    when: (oldValue, newValue) => typeof oldValue === 'number' && typeof newValue === 'number' && newValue < oldValue,
    reason: 'Cinder volumes can only be extended; a smaller size needs a new volume',
  },
  { type: 'openstack_networking_floatingip_v2', attribute: 'pool', reason: 'a floating IP belongs to its external network (ForceNew)' },
  { type: 'openstack_networking_floatingip_v2', attribute: 'region', reason: 'a floating IP cannot move between regions (ForceNew)' },
  { type: 'openstack_networking_subnet_v2', attribute: 'cidr', reason: 'a subnet cannot change its range (ForceNew)' },
  // Cluster credentials: a new CA key invalidates every kubeconfig and the apps stack's access.
  { type: 'tls_private_key', attribute: 'algorithm', reason: 'a different key algorithm generates a new key (ForceNew)' },
  { type: 'tls_private_key', attribute: 'rsa_bits', reason: 'a different key size generates a new key (ForceNew)' },
  { type: 'tls_private_key', attribute: 'ecdsa_curve', reason: 'a different curve generates a new key (ForceNew)' },
  // Kubernetes objects (kubernetes_manifest): the provider replaces an object whose identity changes.
  { type: MANIFEST_TYPE, attribute: 'apiVersion', reason: 'a different apiVersion is another object to the provider, which deletes and creates it' },
  { type: MANIFEST_TYPE, attribute: 'kind', reason: 'a different kind is another object to the provider, which deletes and creates it' },
  { type: MANIFEST_TYPE, attribute: 'metadata.name', reason: 'a Kubernetes object cannot be renamed; it is replaced' },
  { type: MANIFEST_TYPE, attribute: 'metadata.namespace', reason: 'a Kubernetes object cannot change namespace; it is replaced' },
  // Immutable fields of objects holding data: the API server refuses the update.
  ...[
    { kind: 'StatefulSet', attribute: 'spec.volumeClaimTemplates', reason: 'volumeClaimTemplates are immutable' },
    { kind: 'StatefulSet', attribute: 'spec.selector', reason: 'the selector of a StatefulSet is immutable' },
    { kind: 'StatefulSet', attribute: 'spec.serviceName', reason: 'serviceName is immutable' },
    { kind: 'StatefulSet', attribute: 'spec.podManagementPolicy', reason: 'podManagementPolicy is immutable' },
    { kind: 'Deployment', attribute: 'spec.selector', reason: 'the selector of a Deployment is immutable' },
    { kind: 'PersistentVolumeClaim', attribute: 'spec.storageClassName', reason: 'the storage class of a claim is immutable' },
    { kind: 'PersistentVolumeClaim', attribute: 'spec.accessModes', reason: 'access modes of a claim are immutable' },
    { kind: 'PersistentVolumeClaim', attribute: 'spec.volumeMode', reason: 'the volume mode of a claim is immutable' },
    { kind: 'PersistentVolumeClaim', attribute: 'spec.volumeName', reason: 'the volume a claim is bound to is immutable' },
    {
      kind: 'PersistentVolumeClaim',
      attribute: 'spec.resources.requests.storage',
      when: (oldValue: unknown, newValue: unknown) => {
        const [before, after] = [quantity(oldValue), quantity(newValue)];
        return before !== undefined && after !== undefined && after < before;
      },
      reason: 'a claim can only grow, never shrink',
    },
  ].map((rule) => ({
    type: MANIFEST_TYPE,
    refused: true,
    ...rule,
    reason: `${rule.reason}: the API server refuses the update; the ${rule.kind} has to be deleted and created again`,
  })),
  // The same for the typed resources of kit 0.1, which the provider replaces itself (ForceNew).
  ...['kubernetes_stateful_set', 'kubernetes_stateful_set_v1'].flatMap((type) => [
    { type, attribute: 'spec.volume_claim_template', reason: 'volumeClaimTemplates are immutable; the StatefulSet is replaced' },
    { type, attribute: 'spec.selector', reason: 'the selector is immutable; the StatefulSet is replaced' },
    { type, attribute: 'spec.service_name', reason: 'serviceName is immutable; the StatefulSet is replaced' },
  ]),
  ...['kubernetes_persistent_volume_claim', 'kubernetes_persistent_volume_claim_v1'].flatMap((type) => [
    { type, attribute: 'spec.storage_class_name', reason: 'the storage class of a claim is immutable; the claim is replaced' },
    { type, attribute: 'spec.access_modes', reason: 'access modes of a bound claim are immutable; the claim is replaced' },
  ]),
  // Renaming any Kubernetes object (or moving it to another namespace) is delete and create.
  ...kubernetesTypesWithMetadata().map((type) => ({ type, attribute: 'metadata.name', reason: 'a Kubernetes object cannot be renamed; it is replaced' })),
  ...kubernetesTypesWithMetadata().map((type) => ({ type, attribute: 'metadata.namespace', reason: 'a Kubernetes object cannot change namespace; it is replaced' })),
];

/** Kubernetes resource types (both generations of the provider's names) that carry metadata. */
function kubernetesTypesWithMetadata(): string[] {
  return ['namespace', 'stateful_set', 'persistent_volume_claim', 'deployment', 'service', 'config_map', 'secret', 'ingress'].flatMap((kind) => [
    `kubernetes_${kind}`,
    `kubernetes_${kind}_v1`,
  ]);
}

/** A setting in a rendered configuration file that can never change once the service started. */
export interface IrreversibleSetting {
  readonly file: string;
  /** Path into the parsed file (YAML or JSON). */
  readonly path: readonly string[];
  readonly reason: string;
}

export const IRREVERSIBLE_SETTINGS: readonly IrreversibleSetting[] = [
  {
    file: 'synapse/homeserver.yaml',
    path: ['server_name'],
    reason: 'server_name is part of every user ID, room alias and event; Synapse refuses to start on a database made for another name',
  },
  {
    file: 'synapse/homeserver.yaml',
    path: ['signing_key_path'],
    reason: 'a new signing key path means a new (empty) key; other servers then reject events signed before unless the old key is listed in old_signing_keys',
  },
  { file: 'synapse/homeserver.yaml', path: ['database', 'name'], reason: 'a different database engine does not carry the existing data over' },
  { file: 'synapse/homeserver.yaml', path: ['database', 'args', 'database'], reason: 'Synapse points at a different (empty) database; history and accounts stay in the old one' },
  { file: 'synapse/homeserver.yaml', path: ['database', 'args', 'host'], reason: 'Synapse points at a different database server; the data does not move by itself' },
  { file: 'synapse/homeserver.yaml', path: ['database', 'args', 'user'], reason: 'a different database role does not own the existing tables' },
  { file: 'synapse/homeserver.yaml', path: ['media_store_path'], reason: 'existing media stays at the old path and is no longer served' },
];

/**
 * The rules that make a change of `attribute` (a path such as `rule[0].port`) on `type` a
 * replacement; for a kubernetes_manifest, `kind` is the object's and `attribute` a Kubernetes path.
 */
export function replacementRulesFor(type: string, attribute: string, oldValue: unknown, newValue: unknown, kind?: string): ReplacementRule[] {
  // Nested blocks are lists in Terraform JSON (`spec[0].selector`); the rules name them without indices.
  attribute = attribute.replace(/\[\d+\]/g, '');
  return REPLACEMENT_RULES.filter(
    (rule) =>
      rule.type === type &&
      (rule.kind === undefined || rule.kind === kind) &&
      (attribute === rule.attribute || attribute.startsWith(`${rule.attribute}.`) || attribute.startsWith(`${rule.attribute}[`)) &&
      (!rule.when || rule.when(oldValue, newValue)),
  );
}

/**
 * The entry of the stateful-resource table for a resource type (and, for kubernetes_manifest, the
 * object's kind) whose loss the diff calls irreversible; a resource whose replacement costs only
 * downtime (the k3s node) or is a routine renewal (the client certificate) is a plain replacement.
 */
export function statefulResource(type: string, kind?: string): StatefulResource | undefined {
  const entry = statefulEntry(type, STATEFUL_RESOURCES, kind);
  return entry?.irreversible ? entry : undefined;
}

const BINARY_SUFFIX: Readonly<Record<string, number>> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL_SUFFIX: Readonly<Record<string, number>> = { m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** A Kubernetes quantity (`25Gi`, `500M`, `1.5`) as a number; undefined when it is not one. */
export function quantity(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return undefined;
  const match = /^([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|[eE][-+]?[0-9]+|m|k|M|G|T|P|E)?$/.exec(value.trim());
  if (!match) return undefined;
  const [, number, suffix = ''] = match;
  const factor = BINARY_SUFFIX[suffix] ?? DECIMAL_SUFFIX[suffix] ?? (/^[eE]/.test(suffix) ? 10 ** Number(suffix.slice(1)) : undefined);
  return factor === undefined ? undefined : Number(number) * factor;
}
