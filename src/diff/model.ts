import type { MonthlyCost } from './cost';
import type { Downtime } from './downtime';
import type { KubeIdentity } from './kubernetes';
import type { WarningKind } from './stateful';

/** Everything the diff needs from one side for one deployment. */
export interface DeploymentSnapshot {
  readonly name: string;
  /** Deployment file, relative to the side's root (deployments/ministry.yaml). */
  readonly file: string;
  /** Stack name -> synthesized Terraform JSON (cdk.tf.json parsed). */
  readonly stacks: ReadonlyMap<string, unknown>;
  /** Rendered file path (synapse/homeserver.yaml) -> content. */
  readonly files: ReadonlyMap<string, string>;
}

/** One side of the comparison, synthesized. */
export interface SideSnapshot {
  /** What the user named: `origin/main`, `../old-checkout`, `working tree`. */
  readonly label: string;
  readonly deployments: ReadonlyMap<string, DeploymentSnapshot>;
}

export type Status = 'added' | 'removed' | 'changed';

/** One attribute of a changed address; values are already masked. */
export interface AttributeChange {
  /**
   * `location`, `labels.component`, `rule[3].source_ips`; '' for the whole block. For a Kubernetes
   * object (kubernetes_manifest) a Kubernetes field path: `spec.template.spec.containers[0].image`,
   * `data["homeserver.yaml"]`; its Terraform arguments (`depends_on`, `field_manager`) keep their names.
   */
  readonly path: string;
  readonly action: 'add' | 'remove' | 'change';
  readonly old?: unknown;
  readonly new?: unknown;
}

/**
 * What happens to an address: `replaced` is a changed address that the engine destroys and
 * creates again (or, for an immutable Kubernetes field, that must be), never counted as changed.
 */
export type AddressStatus = Status | 'replaced';

/** Why an address is replaced: each attribute that forces it, with the rule's reason. */
export interface Replacement {
  /** The engine plans an update the Kubernetes API server refuses: the object has to be deleted and created. */
  readonly refused: boolean;
  readonly reasons: readonly { readonly path: string; readonly reason: string }[];
}

/** A Terraform address that differs: `hcloud_server.node`, `output.kube_host`, `var.kube_host`. */
export interface AddressChange {
  readonly address: string;
  /** `resource`, `data`, `output`, `variable`, `provider`, `terraform`, `locals`, `module`. */
  readonly block: string;
  readonly status: AddressStatus;
  /** Set exactly when status is `replaced`. */
  readonly replacement?: Replacement;
  /** For changed addresses, each changed attribute; for added/removed, the whole (masked) block. */
  readonly attributes: readonly AttributeChange[];
  /** The Kubernetes object the resource applies (`Deployment matrix-x/synapse`), if it is one. */
  readonly kubernetes?: KubeIdentity;
  /**
   * The same Kubernetes object at another address on the other side: a removed address whose object
   * is `movedTo` a new one, an added address `movedFrom` an old one. Deploy moves the state; the
   * object is neither deleted nor created.
   */
  readonly movedTo?: string;
  readonly movedFrom?: string;
}

export interface StackDiff {
  readonly stack: string;
  readonly status: Status;
  readonly changes: readonly AddressChange[];
}

export interface FileDiff {
  readonly path: string;
  readonly status: Status;
  /** Unified diff (masked), without the ---/+++ header lines. */
  readonly patch: string;
}

export interface Warning {
  readonly kind: WarningKind;
  readonly deployment: string;
  readonly stack?: string;
  readonly address?: string;
  /** The Kubernetes object at `address`, if it is one. */
  readonly kubernetes?: KubeIdentity;
  readonly file?: string;
  readonly message: string;
}

export interface DeploymentDiff {
  readonly name: string;
  /** The deployment file on the side that has it (head when both do). */
  readonly file: string;
  readonly status: Status;
  readonly stacks: readonly StackDiff[];
  readonly files: readonly FileDiff[];
  /** The expected downtime of applying the change, from what changes (src/diff/downtime.ts). */
  readonly downtime: Downtime;
  /** Monthly cost of each side (Hetzner list prices); undefined when neither side is priced (existing cluster). */
  readonly cost?: MonthlyCost;
}

export interface DiffResult {
  readonly base: string;
  readonly head: string;
  /** Only deployments with a difference, sorted by name. */
  readonly deployments: readonly DeploymentDiff[];
  readonly warnings: readonly Warning[];
  /** Remarks about how the sides were produced (which code synthesized them). */
  readonly notes: readonly string[];
}

export interface ChangeCounts {
  readonly added: number;
  /** Changed in place; replacements are not counted here. */
  readonly changed: number;
  readonly replaced: number;
  /** Destroyed (a removed address whose object only moves its state is counted as moved). */
  readonly removed: number;
  /** Kubernetes objects whose state moves to a new address (kit 0.1 -> 0.2), counted once. */
  readonly moved: number;
}

/** Counts of one stack's changes; a move is one `moved`, neither added nor removed. */
export function countChanges(stack: StackDiff): ChangeCounts {
  const count = (status: AddressStatus) => stack.changes.filter((c) => c.status === status && !c.movedTo && !c.movedFrom).length;
  return {
    added: count('added'),
    changed: count('changed'),
    replaced: count('replaced'),
    removed: count('removed'),
    moved: stack.changes.filter((c) => c.movedTo).length,
  };
}

/** The counts of several stacks added up. */
export function sumCounts(counts: readonly ChangeCounts[]): ChangeCounts {
  const sum = (key: keyof ChangeCounts) => counts.reduce((total, c) => total + c[key], 0);
  return { added: sum('added'), changed: sum('changed'), replaced: sum('replaced'), removed: sum('removed'), moved: sum('moved') };
}
