import { MANIFEST_TYPE } from '../components/k8s/terraform-identity';
import { statefulEntry, STATEFUL_RESOURCES, type StatefulResource } from '../operations/stateful-resources';

/** What one stack's plan does, by resource address (from `show -json <planfile>`). */
export interface PlanSummary {
  readonly create: string[];
  readonly update: string[];
  readonly replace: string[];
  readonly destroy: string[];
  /** Existing objects adopted at an address (import blocks: the state move from kit 0.1). */
  readonly import: string[];
  /** Addresses dropped from state without touching what they managed (removed blocks). */
  readonly forget: string[];
  /** Replacements and destructions of stateful resources, loudly reported. */
  readonly warnings: StatefulWarning[];
}

export interface StatefulWarning {
  readonly address: string;
  readonly type: string;
  /** For a kubernetes_manifest: the object it applies (`StatefulSet matrix-x/postgres`). */
  readonly object?: KubeObjectName;
  readonly action: 'replace' | 'destroy';
  readonly reason: string;
}

/** What identifies a Kubernetes object; `namespace` is absent for cluster-scoped kinds. */
export interface KubeObjectName {
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}

/** A resource's values in the plan: a kubernetes_manifest has the object as `manifest` (configuration) and `object` (the API's). */
interface PlannedValues {
  readonly manifest?: unknown;
  readonly object?: unknown;
}

interface ShowJson {
  resource_changes?: {
    address: string;
    type: string;
    mode?: string;
    change: { actions: string[]; before?: PlannedValues | null; after?: PlannedValues | null; importing?: unknown };
  }[];
}

/**
 * Reads the machine-readable plan. Only addresses and actions are kept: the JSON also holds every
 * variable's value (sensitive ones included), so it is never logged or printed itself.
 */
export function summarizePlan(showJson: string | ShowJson, stateful: readonly StatefulResource[] = STATEFUL_RESOURCES): PlanSummary {
  const plan: ShowJson = typeof showJson === 'string' ? JSON.parse(showJson) : showJson;
  const summary: PlanSummary = emptySummary();
  for (const change of plan.resource_changes ?? []) {
    if (change.mode === 'data') continue;
    if (change.change.importing) summary.import.push(change.address);
    if (change.change.actions.length === 1 && change.change.actions[0] === 'forget') summary.forget.push(change.address);
    const action = classify(change.change.actions);
    if (!action) continue;
    summary[action].push(change.address);
    if (action === 'replace' || action === 'destroy') {
      const object = change.type === MANIFEST_TYPE ? manifestObject(change.change) : undefined;
      const entry = statefulEntry(change.type, stateful, object?.kind);
      if (entry) summary.warnings.push({ address: change.address, type: change.type, ...(object ? { object } : {}), action, reason: entry.reason });
    }
  }
  for (const list of [summary.create, summary.update, summary.replace, summary.destroy, summary.import, summary.forget]) list.sort();
  summary.warnings.sort((a, b) => a.address.localeCompare(b.address));
  return summary;
}

/**
 * The Kubernetes object of a kubernetes_manifest change: from the configuration (`manifest`) on
 * either side, else from the object the API returned (`object`). A replacement's old side names
 * the object that is deleted.
 */
function manifestObject(change: { before?: PlannedValues | null; after?: PlannedValues | null }): KubeObjectName | undefined {
  for (const values of [change.before, change.after]) {
    for (const candidate of [values?.manifest, values?.object]) {
      const object = candidate as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } } | null | undefined;
      if (typeof object?.kind !== 'string' || typeof object.metadata?.name !== 'string') continue;
      const namespace = typeof object.metadata.namespace === 'string' && object.metadata.namespace !== '' ? object.metadata.namespace : undefined;
      return { kind: object.kind, ...(namespace ? { namespace } : {}), name: object.metadata.name };
    }
  }
  return undefined;
}

/** `StatefulSet matrix-x/postgres`, `Namespace matrix-x`. */
export function objectName(object: KubeObjectName): string {
  return `${object.kind} ${object.namespace ? `${object.namespace}/` : ''}${object.name}`;
}

function classify(actions: readonly string[]): 'create' | 'update' | 'replace' | 'destroy' | undefined {
  const key = [...actions].sort().join(',');
  switch (key) {
    case 'create':
      return 'create';
    case 'update':
      return 'update';
    case 'create,delete':
      return 'replace';
    case 'delete':
      return 'destroy';
    default:
      return undefined; // no-op, read, forget
  }
}

/** A plan that does nothing. */
export function emptySummary(): PlanSummary {
  return { create: [], update: [], replace: [], destroy: [], import: [], forget: [], warnings: [] };
}

export function hasChanges(summary: PlanSummary): boolean {
  const moves = summary.import.length + summary.forget.length;
  return summary.create.length + summary.update.length + summary.replace.length + summary.destroy.length + moves > 0;
}

/** Human-readable lines for one stack; stateful warnings first and impossible to miss. */
export function formatPlanSummary(stack: string, summary: PlanSummary): string[] {
  const lines: string[] = [];
  const moves = summary.import.length + summary.forget.length > 0 ? `, ${summary.import.length} to import, ${summary.forget.length} to forget (left in place)` : '';
  const counts = `${summary.create.length} to add, ${summary.update.length} to change, ${summary.replace.length} to replace, ${summary.destroy.length} to destroy${moves}`;
  lines.push(`${stack}: ${hasChanges(summary) ? counts : 'no changes'}`);
  for (const w of summary.warnings) {
    const object = w.object ? ` (${objectName(w.object)})` : '';
    lines.push(`  !!! WARNING: ${w.action === 'replace' ? 'REPLACES' : 'DESTROYS'} ${w.address}${object}: ${w.reason}`);
  }
  const section = (sign: string, addresses: readonly string[]) => addresses.forEach((a) => lines.push(`  ${sign} ${a}`));
  section('+', summary.create);
  section('~', summary.update);
  section('-/+', summary.replace);
  section('-', summary.destroy);
  section('<= import', summary.import);
  section('forget', summary.forget);
  return lines;
}
