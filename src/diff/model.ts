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

/** A Terraform address that differs: `hcloud_server.node`, `output.kube_host`, `var.kube_host`. */
export interface AddressChange {
  readonly address: string;
  /** `resource`, `data`, `output`, `variable`, `provider`, `terraform`, `locals`, `module`. */
  readonly block: string;
  readonly status: Status;
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

/** Counts of one stack's changes: addresses added, changed, removed. */
export function countChanges(stack: StackDiff): { added: number; changed: number; removed: number } {
  const count = (status: Status) => stack.changes.filter((c) => c.status === status).length;
  return { added: count('added'), changed: count('changed'), removed: count('removed') };
}
