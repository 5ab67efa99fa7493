import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { emptySummary, formatPlanSummary, hasChanges, summarizePlan, type PlanSummary } from './plan-summary';
import { elapsed, runEngine, runEngineOk, type RunContext } from './runner';
import { isLegacyAddress, MIGRATION_FILE, planMigration } from './migrate-state';
import { statefulEntry, STATEFUL_RESOURCES, type StatefulResource } from '../operations/stateful-resources';
import { addressType, statefulEntryForAddress } from './stateful';
import { variableEnv } from '../../stacks/contract';

/** A stack's outputs as `output -json` gives them. */
export type Outputs = Record<string, { value: unknown; sensitive?: boolean }>;

/**
 * One stack the orchestrator runs. Production builds these from the synthesized stacks
 * (src/deploy/stacks.ts); tests pass small fixture stacks, so the same code runs against the
 * real engine without a cloud.
 */
export interface StackDefinition {
  readonly name: string;
  readonly layer: string;
  /** Directory holding the stack's `*.tf.json`; the engine runs there. */
  readonly dir: string;
  /** `-backend-config=...` arguments for init (the state location). */
  readonly backendArgs: readonly string[];
  /** Variables taken from an earlier stack's outputs, passed as TF_VAR_<name> in the environment. */
  readonly inputs?: { readonly from: string; readonly variables: Readonly<Record<string, string>> };
  /** Further TF_VAR_* the stack needs from the operator's environment (the OIDC client secret). */
  readonly env?: Readonly<Record<string, string>>;
  /** Runs after the stack is applied (or found unchanged): wait until what it built answers. */
  readonly afterApply?: (outputs: Outputs) => Promise<void>;
}

export interface Orchestration {
  readonly ctx: RunContext;
  /** In apply order; destroy runs them in reverse. */
  readonly stacks: readonly StackDefinition[];
  /** Private directory (0700) for plan files; they hold variable values and are encrypted with OpenTofu. */
  readonly planDir: string;
  readonly stateful?: readonly StatefulResource[];
}

export interface StackPlan {
  readonly stack: StackDefinition;
  readonly status: 'planned' | 'deferred';
  readonly planFile?: string;
  readonly summary?: PlanSummary;
  /** Why the stack can only be planned after an earlier one is applied. */
  readonly deferredBecause?: string;
  /** destroy: addresses kept (removed from state instead of destroyed). */
  readonly kept?: readonly string[];
}

/** The operator declined, or could not be asked. */
export class NotConfirmed extends Error {}

const NO_COLOR = ['-no-color'];

function progress(o: Orchestration, stack: string, step: string): void {
  o.ctx.output.err(`[${elapsed(o.ctx.started).padStart(6)}] ${stack}: ${step}`);
}

async function init(o: Orchestration, stack: StackDefinition): Promise<void> {
  progress(o, stack.name, 'init');
  await runEngineOk(o.ctx, { stack: stack.name, step: 'init', cwd: stack.dir, args: ['init', '-input=false', '-reconfigure', ...NO_COLOR, ...stack.backendArgs] });
}

/** init, then `output -json`: a stack's outputs in a fresh working directory. */
export async function initAndReadOutputs(o: Orchestration, stack: StackDefinition): Promise<Outputs> {
  await init(o, stack);
  return readOutputs(o, stack);
}

/** `output -json`; {} when the stack has no state yet. Values never reach the log. */
export async function readOutputs(o: Orchestration, stack: StackDefinition): Promise<Outputs> {
  const result = await runEngine(o.ctx, { stack: stack.name, step: 'output', cwd: stack.dir, args: ['output', '-json', ...NO_COLOR], privateStdout: true });
  if (result.code !== 0) return {};
  const text = result.stdout.trim();
  const outputs = (text ? JSON.parse(text.slice(text.indexOf('{'))) : {}) as Outputs;
  for (const o2 of Object.values(outputs)) if (o2.sensitive && typeof o2.value === 'string') o.ctx.redactor.add(o2.value);
  return outputs;
}

/** TF_VAR_* for a stack's inputs, or the outputs that do not exist yet. */
async function inputEnv(o: Orchestration, stack: StackDefinition, known: Map<string, Outputs>): Promise<{ env: NodeJS.ProcessEnv; missing: string[] }> {
  const env: NodeJS.ProcessEnv = { ...stack.env };
  const missing: string[] = [];
  if (!stack.inputs) return { env, missing };
  const from = o.stacks.find((s) => s.name === stack.inputs!.from);
  if (!from) throw new Error(`stack ${stack.name} takes inputs from unknown stack ${stack.inputs.from}`);
  let outputs = known.get(from.name);
  if (!outputs) {
    outputs = await readOutputs(o, from);
    known.set(from.name, outputs);
  }
  for (const [variable, output] of Object.entries(stack.inputs.variables)) {
    const value = outputs[output]?.value;
    if (value === undefined || value === null) missing.push(output);
    else env[variableEnv(variable)] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return { env, missing };
}

async function planStack(o: Orchestration, stack: StackDefinition, known: Map<string, Outputs>, destroy: boolean, initialised = false): Promise<StackPlan> {
  // Inputs first: a stack whose inputs do not exist yet is not even initialised.
  const { env, missing } = await inputEnv(o, stack, known);
  if (missing.length > 0) {
    const because = `needs ${missing.join(', ')} from ${stack.inputs!.from}, which ${destroy ? 'has' : 'does not have'} ${destroy ? 'no state' : 'them yet'}`;
    return { stack, status: 'deferred', deferredBecause: because };
  }
  if (!initialised) await init(o, stack);
  if (!destroy) await prepareMigration(o, stack);
  progress(o, stack.name, destroy ? 'plan (destroy)' : 'plan');
  const planFile = join(o.planDir, `${stack.name}.tfplan`);
  await runEngineOk(o.ctx, {
    stack: stack.name,
    step: 'plan',
    cwd: stack.dir,
    env,
    args: ['plan', '-input=false', ...NO_COLOR, ...(destroy ? ['-destroy'] : []), `-out=${planFile}`],
  });
  const show = await runEngineOk(o.ctx, { stack: stack.name, step: 'show', cwd: stack.dir, args: ['show', '-json', ...NO_COLOR, planFile], privateStdout: true });
  return { stack, status: 'planned', planFile, summary: summarizePlan(show.stdout, o.stateful ?? STATEFUL_RESOURCES) };
}

/**
 * When the stack's state was written by an older kit version (typed Kubernetes resources), writes
 * the blocks that move its objects to their current addresses without recreating them (see
 * migrate-state.ts); the plan then shows them as imports. Otherwise makes sure no such file is left.
 */
async function prepareMigration(o: Orchestration, stack: StackDefinition): Promise<void> {
  const file = join(stack.dir, MIGRATION_FILE);
  const stackFile = join(stack.dir, 'cdk.tf.json');
  rmSync(file, { force: true });
  if (!existsSync(stackFile)) return;
  const stackJson = JSON.parse(readFileSync(stackFile, 'utf8'));
  const addresses = await stateList(o, stack);
  if (!addresses.some((a) => isLegacyAddress(a, stackJson))) return;
  const state = await runEngineOk(o.ctx, { stack: stack.name, step: 'show state', cwd: stack.dir, args: ['show', '-json', ...NO_COLOR], privateStdout: true });
  const migration = planMigration(state.stdout, stackJson);
  if (!migration) return;
  writeFileSync(file, `${JSON.stringify(migration.file, null, 2)}\n`);
  progress(o, stack.name, `state of an older kit version: ${migration.moves.length} objects move to their new addresses in place (imported, nothing recreated)`);
}

/** Plans every stack in apply order; a stack whose inputs do not exist yet is deferred. */
export async function planAll(o: Orchestration): Promise<StackPlan[]> {
  const known = new Map<string, Outputs>();
  const plans: StackPlan[] = [];
  for (const stack of o.stacks) {
    const upstreamDeferred = stack.inputs && plans.some((p) => p.stack.name === stack.inputs!.from && p.status === 'deferred');
    if (upstreamDeferred) {
      plans.push({ stack, status: 'deferred', deferredBecause: `needs ${stack.inputs!.from}, which is itself planned later` });
      continue;
    }
    plans.push(await planStack(o, stack, known, false));
  }
  return plans;
}

/** Lines for the operator: per stack what changes, stateful warnings first, deferred stacks said plainly. */
export function formatPlans(plans: readonly StackPlan[]): string[] {
  const lines: string[] = [];
  for (const plan of plans) {
    if (plan.status === 'deferred') {
      lines.push(`${plan.stack.name}: planned after ${plan.stack.inputs?.from ?? 'the earlier stacks'} is applied (${plan.deferredBecause}); deploy plans and shows it then`);
      continue;
    }
    lines.push(...formatPlanSummary(plan.stack.name, plan.summary!));
    for (const address of plan.kept ?? []) lines.push(`  = KEPT ${address}: removed from state, not destroyed (protected data; --delete-data destroys it)`);
  }
  return lines;
}

export function plansJson(plans: readonly StackPlan[]): unknown {
  return plans.map((p) => ({
    stack: p.stack.name,
    layer: p.stack.layer,
    status: p.status,
    ...(p.deferredBecause ? { deferred_because: p.deferredBecause, after: p.stack.inputs?.from } : {}),
    ...(p.summary
      ? {
          create: p.summary.create,
          update: p.summary.update,
          replace: p.summary.replace,
          destroy: p.summary.destroy,
          import: p.summary.import,
          forget: p.summary.forget,
          stateful_warnings: p.summary.warnings,
        }
      : {}),
    ...(p.kept ? { kept: p.kept } : {}),
  }));
}

export interface DeployHooks {
  /**
   * Asked once after the whole plan is shown, and again for a stack planned only after an
   * earlier one was applied if that plan replaces or destroys anything.
   */
  confirm(lines: readonly string[], question: string): Promise<boolean>;
}

/**
 * Applies the stacks in order: plan all, confirm, then per stack apply its plan, read its outputs
 * and wait for what it built (afterApply). A stack planned before an earlier stack changed, or
 * deferred, is planned again with the fresh outputs. Idempotent: a rerun plans from state and
 * applies only what is missing.
 */
export async function deployStacks(o: Orchestration, hooks: DeployHooks): Promise<StackPlan[]> {
  const plans = await planAll(o);
  const lines = formatPlans(plans);
  const anything = plans.some((p) => p.status === 'deferred' || hasChanges(p.summary!));
  if (anything) {
    if (!(await hooks.confirm(lines, 'Apply these changes?'))) throw new NotConfirmed('not confirmed; nothing was changed');
  } else {
    lines.forEach((l) => o.ctx.output.out(l));
  }
  const known = new Map<string, Outputs>();
  const applied: StackPlan[] = [];
  let upstreamChanged = false;
  for (let plan of plans) {
    const stack = plan.stack;
    if (plan.status === 'deferred' || (upstreamChanged && stack.inputs)) {
      plan = await planStack(o, stack, known, false, plan.status === 'planned');
      if (plan.status === 'deferred') throw new Error(`${stack.name} still lacks its inputs after ${stack.inputs?.from} was applied: ${plan.deferredBecause}`);
      const again = formatPlanSummary(stack.name, plan.summary!);
      const risky = plan.summary!.replace.length + plan.summary!.destroy.length > 0;
      if (risky) {
        if (!(await hooks.confirm(again, `Apply ${stack.name} (planned now that ${stack.inputs?.from} exists)?`))) {
          throw new NotConfirmed(`${stack.name} not confirmed; the stacks before it were applied`);
        }
      } else {
        again.forEach((l) => o.ctx.output.out(l));
      }
    }
    if (hasChanges(plan.summary!)) {
      progress(o, stack.name, 'apply');
      const started = Date.now();
      await runEngineOk(o.ctx, { stack: stack.name, step: 'apply', cwd: stack.dir, args: ['apply', '-input=false', ...NO_COLOR, plan.planFile!] });
      progress(o, stack.name, `applied in ${elapsed(started)}`);
      upstreamChanged = true;
    } else {
      progress(o, stack.name, 'up to date');
    }
    rmSync(plan.planFile!, { force: true });
    const outputs = await readOutputs(o, stack);
    known.set(stack.name, outputs);
    if (stack.afterApply) await stack.afterApply(outputs);
    applied.push(plan);
  }
  return applied;
}

export interface DestroyOptions {
  /** Destroy protected data too (lifting delete protection first). */
  readonly deleteData: boolean;
  confirm(lines: readonly string[], question: string): Promise<boolean>;
}

/** Resource addresses in a stack's state. */
async function stateList(o: Orchestration, stack: StackDefinition): Promise<string[]> {
  const result = await runEngine(o.ctx, { stack: stack.name, step: 'state list', cwd: stack.dir, args: ['state', 'list', ...NO_COLOR] });
  if (result.code !== 0) return [];
  return result.stdout.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('data.'));
}

/**
 * Destroys the stacks in reverse order. Unless deleteData, protected data (volumes, addresses,
 * persistent volumes and what holds them) is removed from state first, so the engine forgets it
 * instead of deleting it; with deleteData, delete protection is lifted on exactly those resources
 * (an override file and a targeted apply) before the destroy.
 */
export async function destroyStacks(o: Orchestration, options: DestroyOptions): Promise<StackPlan[]> {
  const stateful = o.stateful ?? STATEFUL_RESOURCES;
  const reversed = [...o.stacks].reverse();
  const known = new Map<string, Outputs>();
  const previews: StackPlan[] = [];
  // Every stack is initialised first: a later layer reads an earlier one's outputs.
  for (const stack of o.stacks) await init(o, stack);
  for (const stack of reversed) {
    const addresses = await stateList(o, stack);
    if (addresses.length === 0) {
      previews.push({ stack, status: 'planned', summary: emptySummary() });
      continue;
    }
    const kept = options.deleteData ? [] : addresses.filter((a) => statefulEntryForAddress(a, stateful)?.keepOnDestroy);
    const plan = await planStack(o, stack, known, true, true);
    if (plan.status === 'deferred') {
      throw new Error(`${stack.name} has resources but ${plan.deferredBecause}; restore ${stack.inputs?.from} first`);
    }
    const summary = plan.summary!;
    const keptSet = new Set(kept);
    previews.push({
      ...plan,
      kept,
      summary: { ...summary, destroy: summary.destroy.filter((a) => !keptSet.has(a)), warnings: summary.warnings.filter((w) => !keptSet.has(w.address)) },
    });
  }
  const lines = formatPlans(previews);
  if (!options.deleteData && previews.some((p) => (p.kept ?? []).length > 0)) {
    lines.push('Protected data is kept: it is removed from state and stays in the cloud/cluster (unmanaged, still billed). Rerun with --delete-data to destroy it too.');
  }
  if (options.deleteData) lines.push('--delete-data: volumes, addresses and persistent volumes are DESTROYED with everything else; this cannot be undone.');
  if (!previews.some((p) => hasChanges(p.summary!) || (p.kept ?? []).length > 0)) {
    lines.forEach((l) => o.ctx.output.out(l));
    return previews;
  }
  if (!(await options.confirm(lines, 'Destroy?'))) throw new NotConfirmed('not confirmed; nothing was destroyed');

  for (const preview of previews) {
    const stack = preview.stack;
    if (!preview.planFile) continue;
    rmSync(preview.planFile, { force: true });
    for (const address of preview.kept ?? []) {
      progress(o, stack.name, `state rm ${address} (kept)`);
      await runEngineOk(o.ctx, { stack: stack.name, step: 'state rm', cwd: stack.dir, args: ['state', 'rm', ...NO_COLOR, address] });
    }
    const override = options.deleteData ? await liftProtection(o, stack, await stateList(o, stack), known) : undefined;
    try {
      const plan = await planStack(o, stack, known, true, true);
      if (plan.status !== 'planned') throw new Error(`${stack.name}: ${plan.deferredBecause}`);
      if (hasChanges(plan.summary!)) {
        progress(o, stack.name, 'destroy');
        const started = Date.now();
        await runEngineOk(o.ctx, { stack: stack.name, step: 'destroy', cwd: stack.dir, args: ['apply', '-input=false', ...NO_COLOR, plan.planFile!] });
        progress(o, stack.name, `destroyed in ${elapsed(started)}`);
      }
      rmSync(plan.planFile!, { force: true });
    } finally {
      if (override) rmSync(override, { force: true });
    }
  }
  return previews;
}

/** The override file name `destroy --delete-data` writes next to a stack's JSON while it runs. */
export const DELETE_DATA_OVERRIDE = 'sovereign_matrix_delete_data_override.tf.json';

async function liftProtection(o: Orchestration, stack: StackDefinition, addresses: string[], known: Map<string, Outputs>): Promise<string | undefined> {
  const stateful = o.stateful ?? STATEFUL_RESOURCES;
  const protectedAddresses = addresses.filter((a) => statefulEntry(addressType(a), stateful)?.protectionAttribute);
  if (protectedAddresses.length === 0) return undefined;
  const resource: Record<string, Record<string, Record<string, boolean>>> = {};
  for (const address of protectedAddresses) {
    const type = addressType(address);
    const name = address.replace(/\[[^\]]*\]$/, '').split('.').pop()!;
    const attribute = statefulEntry(type, stateful)!.protectionAttribute!;
    ((resource[type] ??= {})[name] ??= {})[attribute] = false;
  }
  const file = join(stack.dir, DELETE_DATA_OVERRIDE);
  writeFileSync(file, `${JSON.stringify({ resource }, null, 2)}\n`);
  progress(o, stack.name, `lifting delete protection: ${protectedAddresses.join(', ')}`);
  const { env } = await inputEnv(o, stack, known);
  await runEngineOk(o.ctx, {
    stack: stack.name,
    step: 'lift delete protection',
    cwd: stack.dir,
    env,
    args: ['apply', '-input=false', '-auto-approve', ...NO_COLOR, ...protectedAddresses.map((a) => `-target=${a}`)],
  });
  return file;
}
