/**
 * The downtime a reviewer should expect from applying a deployment's change, derived from what
 * changes. This is a table: each rule names the changes it is about, the kind of downtime, and
 * the reason printed for it. A change takes the kind of the first rule it matches (the rules
 * run from the worst kind down); a deployment takes the worst kind of its changes, and anything
 * no rule names (labels, annotations outside the pod template, firewall rules, DNS records,
 * outputs, new objects, documents) is `none`.
 *
 * The kinds, from the least to the worst:
 * - none: nothing is restarted;
 * - restart: pods (or the server) restart; the service is back by itself within minutes;
 * - replacement: a resource is destroyed and created again (a new server, new addresses, an
 *   object deleted and recreated): longer downtime, maybe new IDs and addresses;
 * - data-at-risk: something that holds data or identity is destroyed or replaced, or a setting
 *   that cannot change after the first start changes: restore from backup may be needed.
 */
import { MANIFEST_TYPE } from './kubernetes';

export const DOWNTIME_KINDS = ['none', 'restart', 'replacement', 'data-at-risk'] as const;
export type DowntimeKind = (typeof DOWNTIME_KINDS)[number];

/** How a kind is written for people: `data at risk`. */
export function downtimeLabel(kind: DowntimeKind): string {
  return kind.replace(/-/g, ' ');
}

/** What the table reads of one changed address, or of a changed setting in a rendered file. */
export interface ChangeFacts {
  /** How the change is named in the output: `hcloud_server.node`, `StatefulSet matrix-x/postgres`. */
  readonly name: string;
  readonly address?: string;
  /** The resource type (`hcloud_volume`, `kubernetes_manifest`). */
  readonly type?: string;
  /** The Kubernetes kind, when the resource is a Kubernetes object. */
  readonly kind?: string;
  readonly status: 'added' | 'removed' | 'changed' | 'replaced';
  /** The object only moves its state to another address: nothing happens in the cluster. */
  readonly moved?: boolean;
  /** Changed attribute paths, without list indices (`spec.template.spec.containers.image`). */
  readonly paths: readonly string[];
  /** For a replacement, the paths that force it, without list indices. */
  readonly replacedBy?: readonly string[];
  /** A setting of a rendered file that can never change (`server_name in synapse/homeserver.yaml`). */
  readonly setting?: string;
  readonly file?: string;
}

export interface DowntimeRule {
  readonly kind: DowntimeKind;
  readonly applies: (change: ChangeFacts) => boolean;
  /** Printed after the change's name: `hcloud_server.node is destroyed and created again`. */
  readonly reason: string;
}

const WORKLOADS = ['Deployment', 'StatefulSet', 'DaemonSet'];
/** Resources whose data lives in them: deleting or replacing them loses it. */
const DATA_HOLDERS: readonly { type: string; kind?: string }[] = [
  { type: 'hcloud_volume' },
  { type: MANIFEST_TYPE, kind: 'PersistentVolumeClaim' },
  { type: MANIFEST_TYPE, kind: 'Namespace' },
  ...['persistent_volume_claim', 'namespace'].flatMap((k) => [{ type: `kubernetes_${k}` }, { type: `kubernetes_${k}_v1` }]),
];
/** Generated secrets and keys: a new one no longer opens what the old one encrypted or signed. */
const GENERATED_SECRETS = ['random_password', 'random_id', 'tls_private_key', 'tls_self_signed_cert'];

const isStatefulSet = (c: ChangeFacts) => c.kind === 'StatefulSet';
const holdsData = (c: ChangeFacts) => DATA_HOLDERS.some((d) => d.type === c.type && (d.kind === undefined || d.kind === c.kind));
const goes = (c: ChangeFacts) => !c.moved && (c.status === 'removed' || c.status === 'replaced');
const under = (paths: readonly string[] | undefined, ...prefixes: string[]) =>
  (paths ?? []).some((p) => prefixes.some((prefix) => p === prefix || p.startsWith(`${prefix}.`) || p.startsWith(`${prefix}[`)));

export const DOWNTIME_RULES: readonly DowntimeRule[] = [
  { kind: 'data-at-risk', applies: (c) => c.setting !== undefined, reason: 'changes, and can never change once the service started' },
  { kind: 'data-at-risk', applies: (c) => goes(c) && holdsData(c), reason: 'goes (destroyed or replaced) with the data it holds; it is lost unless restored from a backup' },
  {
    kind: 'data-at-risk',
    applies: (c) => goes(c) && isStatefulSet(c) && (c.status === 'removed' || under(c.replacedBy, 'spec.volumeClaimTemplates', 'spec.volume_claim_template')),
    reason: 'goes (destroyed, or replaced for its volume claim templates) with the claims that hold its data',
  },
  { kind: 'data-at-risk', applies: (c) => goes(c) && GENERATED_SECRETS.includes(c.type ?? ''), reason: 'is generated anew; what the old secret or key encrypted or signed can no longer be read or verified' },
  { kind: 'replacement', applies: (c) => c.status === 'replaced', reason: 'is destroyed and created again' },
  { kind: 'restart', applies: (c) => c.status === 'changed' && c.type === 'hcloud_server' && under(c.paths, 'server_type'), reason: 'is powered off to change its server type' },
  {
    kind: 'restart',
    applies: (c) => c.status === 'changed' && WORKLOADS.includes(c.kind ?? '') && under(c.paths, 'spec.template'),
    reason: 'changes its pod template; its pods are recreated',
  },
  {
    kind: 'restart',
    applies: (c) => c.status === 'changed' && (c.kind === 'ConfigMap' || c.kind === 'Secret') && under(c.paths, 'data', 'stringData', 'binaryData', 'binary_data', 'string_data'),
    reason: 'changes data its pods read at start; they are restarted',
  },
];

export interface DowntimeCause {
  readonly name: string;
  readonly address?: string;
  readonly file?: string;
  readonly reason: string;
}

export interface Downtime {
  readonly kind: DowntimeKind;
  /** The changes that make it this kind (only those of the worst kind); empty for `none`. */
  readonly causes: readonly DowntimeCause[];
}

/** The rule a change matches, if any. */
export function downtimeRuleFor(change: ChangeFacts): DowntimeRule | undefined {
  return DOWNTIME_RULES.find((rule) => rule.applies(change));
}

/** The expected downtime of a deployment's changes: the worst kind, with its causes. */
export function expectedDowntime(changes: readonly ChangeFacts[]): Downtime {
  let kind: DowntimeKind = 'none';
  let causes: DowntimeCause[] = [];
  for (const change of changes) {
    const rule = downtimeRuleFor(change);
    if (!rule) continue;
    const rank = DOWNTIME_KINDS.indexOf(rule.kind);
    if (rank < DOWNTIME_KINDS.indexOf(kind)) continue;
    if (rank > DOWNTIME_KINDS.indexOf(kind)) [kind, causes] = [rule.kind, []];
    causes.push({ name: change.name, ...(change.address ? { address: change.address } : {}), ...(change.file ? { file: change.file } : {}), reason: rule.reason });
  }
  return { kind, causes };
}
