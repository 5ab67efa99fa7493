import YAML from 'yaml';
import { monthlyCost } from './cost';
import { expectedDowntime, type ChangeFacts } from './downtime';
import { MANIFEST_TYPE, objectLabel } from './kubernetes';
import type { AddressChange, DeploymentDiff, DeploymentSnapshot, DiffResult, FileDiff, Replacement, SideSnapshot, StackDiff, Status, Warning } from './model';
import { diffStack, jsonEqual, type BlockChange } from './stack-diff';
import { IRREVERSIBLE_SETTINGS, replacementRulesFor, statefulResource } from './stateful';
import { maskJson } from './sensitive';
import { unifiedTextDiff } from './text-diff';

/** Compares two synthesized sides deployment by deployment (matched by deployment name). */
export function compareSnapshots(base: SideSnapshot, head: SideSnapshot, notes: readonly string[] = []): DiffResult {
  const names = [...new Set([...base.deployments.keys(), ...head.deployments.keys()])].sort();
  const deployments: DeploymentDiff[] = [];
  const warnings: Warning[] = [];
  for (const name of names) {
    const before = base.deployments.get(name);
    const after = head.deployments.get(name);
    const result = compareDeployment(name, before, after);
    if (!result) continue;
    deployments.push(result.diff);
    warnings.push(...result.warnings);
  }
  // Irreversible first, then replacements; stable within each kind.
  warnings.sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'irreversible' ? -1 : 1));
  return { base: base.label, head: head.label, deployments, warnings, notes };
}

function compareDeployment(
  name: string,
  before: DeploymentSnapshot | undefined,
  after: DeploymentSnapshot | undefined,
): { diff: DeploymentDiff; warnings: Warning[] } | undefined {
  const warnings: Warning[] = [];
  const facts: ChangeFacts[] = [];
  const stackNames = [...new Set([...(before?.stacks.keys() ?? []), ...(after?.stacks.keys() ?? [])])].sort(byApplyOrder);
  const stacks: StackDiff[] = [];
  for (const stack of stackNames) {
    const result = diffStack(stack, before?.stacks.get(stack), after?.stacks.get(stack));
    if (!result) continue;
    const judged = judgeStack(name, stack, result.blocks);
    stacks.push({ ...result.diff, changes: judged.changes });
    warnings.push(...judged.warnings);
    facts.push(...judged.facts);
  }
  const paths = [...new Set([...(before?.files.keys() ?? []), ...(after?.files.keys() ?? [])])].sort();
  const files: FileDiff[] = [];
  for (const path of paths) {
    const oldText = before?.files.get(path);
    const newText = after?.files.get(path);
    if (oldText === newText) continue;
    const status: Status = oldText === undefined ? 'added' : newText === undefined ? 'removed' : 'changed';
    files.push({ path, status, patch: unifiedTextDiff(oldText ?? '', newText ?? '') });
  }
  if (before && after) {
    const settings = settingWarnings(name, before, after);
    warnings.push(...settings.warnings);
    facts.push(...settings.facts);
  }
  if (stacks.length === 0 && files.length === 0) return undefined;
  const status: Status = !before ? 'added' : !after ? 'removed' : 'changed';
  const cost = monthlyCost(before?.stacks, after?.stacks);
  const diff: DeploymentDiff = { name, file: (after ?? before)!.file, status, stacks, files, downtime: expectedDowntime(facts), ...(cost ? { cost } : {}) };
  return { diff, warnings };
}

/** infra before apps (the apply order), then anything else by name. */
const LAYER_ORDER = ['infra', 'apps'];
function byApplyOrder(a: string, b: string): number {
  const rank = (stack: string) => {
    const i = LAYER_ORDER.indexOf(stack.slice(stack.lastIndexOf('-') + 1));
    return i === -1 ? LAYER_ORDER.length : i;
  };
  return rank(a) - rank(b) || a.localeCompare(b);
}

/** A short, masked, printable form of a value for a warning; undefined when too long to be useful. */
function brief(value: unknown, key: string): string | undefined {
  const text = JSON.stringify(maskJson(value, key));
  return text !== undefined && text.length <= 80 ? text : undefined;
}

/**
 * The warnings of a stack's changes, each changed address that the rules replace marked as
 * `replaced` with its reasons, and what the downtime table reads of every change.
 */
function judgeStack(deployment: string, stack: string, blocks: readonly BlockChange[]): { changes: AddressChange[]; warnings: Warning[]; facts: ChangeFacts[] } {
  const warnings: Warning[] = [];
  const changes: AddressChange[] = [];
  const facts: ChangeFacts[] = [];
  for (const { change, type, raw } of blocks) {
    const replaced = change.block === 'resource' && type && change.status === 'changed' ? replacementOf(type, change, raw) : undefined;
    const replacement = replaced?.replacement;
    const judged: AddressChange = replacement ? { ...change, status: 'replaced', replacement } : change;
    changes.push(judged);
    const withoutIndices = (path: string) => path.replace(/\[\d+\]/g, '');
    facts.push({
      name: change.kubernetes && change.address.startsWith(`${MANIFEST_TYPE}.`) ? objectLabel(change.kubernetes) : change.address,
      address: change.address,
      ...(type ? { type } : {}),
      ...(change.kubernetes ? { kind: change.kubernetes.kind } : {}),
      status: judged.status,
      moved: Boolean(change.movedTo || change.movedFrom),
      paths: change.attributes.map((a) => withoutIndices(a.path)),
      ...(replacement ? { replacedBy: replacement.reasons.map((r) => withoutIndices(r.path)) } : {}),
    });
    if (change.block !== 'resource' || !type) continue;
    const stateful = statefulResource(type, change.kubernetes?.kind);
    const name = changeName(change);
    const about = { deployment, stack, address: change.address, ...(change.kubernetes ? { kubernetes: change.kubernetes } : {}) };
    if (change.status === 'removed') {
      // An object whose state moves to its new address (kit 0.1's typed resources) stays.
      if (stateful && !change.movedTo) warnings.push({ kind: 'irreversible', ...about, message: `${name} is deleted: ${stateful.reason}` });
      continue;
    }
    if (!replacement) continue;
    const causes = replaced!.texts;
    // The engine replaces the resource itself, or (an immutable Kubernetes field) the apply fails until it is replaced.
    const verb = replacement.refused ? 'must be replaced' : 'is replaced';
    warnings.push(
      stateful
        ? { kind: 'irreversible', ...about, message: `${name} ${verb}, ${stateful.reason}: ${causes.join('; ')}` }
        : { kind: 'replacement', ...about, message: `${name} ${verb}: ${causes.join('; ')}` },
    );
  }
  return { changes, warnings, facts };
}

/**
 * The replacement rules a changed resource matches, or undefined when it changes in place; with
 * each reason as the warnings print it (masked values included).
 */
function replacementOf(type: string, change: AddressChange, raw: BlockChange['raw']): { replacement: Replacement; texts: string[] } | undefined {
  const reasons: { path: string; reason: string }[] = [];
  const texts: string[] = [];
  let refused = false;
  for (const attribute of raw) {
    // Rules for kubernetes_manifest name Kubernetes paths: the object's fields, not the Terraform arguments.
    if (type === MANIFEST_TYPE && !attribute.manifest) continue;
    const last = attribute.path.split(/[.[\]"]+/).filter(Boolean).pop() ?? attribute.path;
    for (const rule of replacementRulesFor(type, attribute.path, attribute.old, attribute.new, change.kubernetes?.kind)) {
      const oldText = brief(attribute.old, last);
      const newText = brief(attribute.new, last);
      const values = oldText !== undefined && newText !== undefined ? ` ${oldText} → ${newText}` : ' changes';
      if (!reasons.some((r) => r.path === attribute.path && r.reason === rule.reason)) {
        reasons.push({ path: attribute.path, reason: rule.reason });
        texts.push(`${attribute.path}${values} (${rule.reason})`);
      }
      refused ||= rule.refused === true;
    }
  }
  return reasons.length === 0 ? undefined : { replacement: { refused, reasons }, texts };
}

/** How a warning names a changed address: a kubernetes_manifest by its object, with the address. */
function changeName(change: AddressChange): string {
  if (change.kubernetes && change.address.startsWith(`${MANIFEST_TYPE}.`)) return `${objectLabel(change.kubernetes)} (${change.address})`;
  return change.address;
}

/** Settings in rendered files that can never change after the first start. */
function settingWarnings(deployment: string, before: DeploymentSnapshot, after: DeploymentSnapshot): { warnings: Warning[]; facts: ChangeFacts[] } {
  const warnings: Warning[] = [];
  const facts: ChangeFacts[] = [];
  const parsed = new Map<string, [unknown, unknown]>();
  for (const setting of IRREVERSIBLE_SETTINGS) {
    const oldText = before.files.get(setting.file);
    const newText = after.files.get(setting.file);
    if (oldText === undefined || newText === undefined || oldText === newText) continue;
    if (!parsed.has(setting.file)) parsed.set(setting.file, [parseConfig(oldText), parseConfig(newText)]);
    const [oldDoc, newDoc] = parsed.get(setting.file)!;
    const oldValue = at(oldDoc, setting.path);
    const newValue = at(newDoc, setting.path);
    if (jsonEqual(oldValue, newValue)) continue;
    const key = setting.path[setting.path.length - 1];
    const values = `${brief(oldValue, key) ?? '(long value)'} → ${brief(newValue, key) ?? '(long value)'}`;
    warnings.push({
      kind: 'irreversible',
      deployment,
      file: setting.file,
      message: `${setting.path.join('.')} in ${setting.file} changes ${values}: ${setting.reason}`,
    });
    const name = `${setting.path.join('.')} in ${setting.file}`;
    facts.push({ name, status: 'changed', paths: [], setting: name, file: setting.file });
  }
  return { warnings, facts };
}

function parseConfig(text: string): unknown {
  try {
    return YAML.parse(text); // JSON is YAML too
  } catch {
    return undefined;
  }
}

function at(doc: unknown, path: readonly string[]): unknown {
  let value = doc;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value ?? null;
}
