/**
 * Moving the state of an apps stack written by kit versions before 0.2, where each Kubernetes
 * object was a typed resource (`kubernetes_deployment_v1.synapse`), to the current form, where
 * each is a `kubernetes_manifest` named after its identity in the cluster. Without this, OpenTofu
 * would plan to delete every object and create it again: the namespace (and with it the
 * PostgreSQL and media volumes) included.
 *
 * The move is declarative and shows in the plan: for every old resource whose object the new
 * stack still has, a `removed` block makes OpenTofu forget the old address without touching the
 * object, and an `import` block adopts the same object at its new address (old kubernetes_manifest
 * resources are `moved`). Objects the new stack no longer has are planned for deletion as any
 * other removal would be. `deploy` writes the blocks into the stack directory next to cdk.tf.json
 * when the state holds old resources, and never otherwise.
 */

import { type KubeIdentity, LEGACY_KINDS, legacyIdentity, MANIFEST_TYPE, manifestIdentity } from '../components/k8s/terraform-identity';

/** The file `deploy` writes into the stack directory; OpenTofu reads every *.tf.json there. */
export const MIGRATION_FILE = 'sovereign-matrix-migration.tf.json';

/** A resource of `tofu show -json` (state, not plan): only what identifies its object. */
interface StateResource {
  readonly address: string;
  readonly mode: string;
  readonly type: string;
  readonly values?: unknown;
}

/** Whether a `state list` address is of an older version's resource (so a migration is due). */
export function isLegacyAddress(address: string, stackJson: StackJson): boolean {
  const [type, instance] = address.split('.');
  if (type in LEGACY_KINDS) return true;
  // A counted object (one monitoring stack of `auto`) is in state as `name[0]`.
  const name = instance.replace(/\[\d+\]$/, '');
  return type === MANIFEST_TYPE && !(name in (stackJson.resource?.kubernetes_manifest ?? {}));
}

export interface StackJson {
  readonly resource?: { readonly kubernetes_manifest?: Readonly<Record<string, unknown>> };
}

export interface Migration {
  /** The blocks, as OpenTofu JSON: `removed`, `import` and `moved`. */
  readonly file: Record<string, unknown>;
  /** Old address -> new address, for the operator. */
  readonly moves: readonly { readonly from: string; readonly to: string }[];
}

/**
 * The migration for a state (`tofu show -json` of the stack's state) and the synthesized stack,
 * or undefined when the state holds nothing of an older version.
 */
export function planMigration(stateJson: string, stackJson: StackJson): Migration | undefined {
  const state = JSON.parse(stateJson) as { values?: { root_module?: { resources?: StateResource[] } } };
  const resources = (state.values?.root_module?.resources ?? []).filter((r) => r.mode === 'managed');
  const targets = new Map<string, string>();
  for (const [key, r] of Object.entries(stackJson.resource?.kubernetes_manifest ?? {})) {
    const identity = manifestIdentity(r);
    if (identity) targets.set(identityKey(identity), key);
  }

  const removed: unknown[] = [];
  const imports: unknown[] = [];
  const moved: unknown[] = [];
  const moves: { from: string; to: string }[] = [];
  for (const r of resources) {
    if (!isLegacyAddress(r.address, stackJson)) continue;
    const identity = r.type === MANIFEST_TYPE ? manifestIdentity(r.values) : legacyIdentity(r.type, r.values);
    const target = identity && targets.get(identityKey(identity));
    if (!identity || target === undefined) continue; // gone from the deployment: deleted as any removal
    const to = `kubernetes_manifest.${target}`;
    moves.push({ from: r.address, to });
    if (r.type === MANIFEST_TYPE) {
      moved.push({ from: r.address, to });
    } else {
      removed.push({ from: r.address, lifecycle: [{ destroy: false }] });
      imports.push({ to, id: importId(identity) });
    }
  }
  if (moves.length === 0) return undefined;
  return {
    file: {
      '//': 'Written by sovereign-matrix deploy: moves objects of an older kit version to their current addresses without touching them.',
      ...(removed.length ? { removed } : {}),
      ...(imports.length ? { import: imports } : {}),
      ...(moved.length ? { moved } : {}),
    },
    moves,
  };
}

function identityKey(o: KubeIdentity): string {
  return [o.apiVersion, o.kind, o.namespace ?? '', o.name].join(' ');
}

/** The import ID the kubernetes provider's kubernetes_manifest takes. */
export function importId(o: KubeIdentity): string {
  return [`apiVersion=${o.apiVersion}`, `kind=${o.kind}`, ...(o.namespace === undefined ? [] : [`namespace=${o.namespace}`]), `name=${o.name}`].join(',');
}
