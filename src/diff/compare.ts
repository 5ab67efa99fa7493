import YAML from 'yaml';
import { MANIFEST_TYPE, objectLabel } from './kubernetes';
import type { AddressChange, DeploymentDiff, DeploymentSnapshot, DiffResult, FileDiff, SideSnapshot, StackDiff, Status, Warning } from './model';
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
  const stackNames = [...new Set([...(before?.stacks.keys() ?? []), ...(after?.stacks.keys() ?? [])])].sort(byApplyOrder);
  const stacks: StackDiff[] = [];
  for (const stack of stackNames) {
    const result = diffStack(stack, before?.stacks.get(stack), after?.stacks.get(stack));
    if (!result) continue;
    stacks.push(result.diff);
    warnings.push(...stackWarnings(name, stack, result.blocks));
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
  if (before && after) warnings.push(...settingWarnings(name, before, after));
  if (stacks.length === 0 && files.length === 0) return undefined;
  const status: Status = !before ? 'added' : !after ? 'removed' : 'changed';
  return { diff: { name, file: (after ?? before)!.file, status, stacks, files }, warnings };
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

function stackWarnings(deployment: string, stack: string, blocks: readonly BlockChange[]): Warning[] {
  const warnings: Warning[] = [];
  for (const { change, type, raw } of blocks) {
    if (change.block !== 'resource' || !type) continue;
    const kind = change.kubernetes?.kind;
    const stateful = statefulResource(type, kind);
    const name = changeName(change);
    const about = { deployment, stack, address: change.address, ...(change.kubernetes ? { kubernetes: change.kubernetes } : {}) };
    if (change.status === 'removed') {
      // An object whose state moves to its new address (kit 0.1's typed resources) stays.
      if (stateful && !change.movedTo) warnings.push({ kind: 'irreversible', ...about, message: `${name} is deleted: ${stateful.reason}` });
      continue;
    }
    if (change.status !== 'changed') continue;
    const causes: string[] = [];
    let refused = false;
    for (const attribute of raw) {
      // Rules for kubernetes_manifest name Kubernetes paths: the object's fields, not the Terraform arguments.
      if (type === MANIFEST_TYPE && !attribute.manifest) continue;
      const last = attribute.path.split(/[.[\]"]+/).filter(Boolean).pop() ?? attribute.path;
      for (const rule of replacementRulesFor(type, attribute.path, attribute.old, attribute.new, kind)) {
        const oldText = brief(attribute.old, last);
        const newText = brief(attribute.new, last);
        const values = oldText !== undefined && newText !== undefined ? ` ${oldText} → ${newText}` : ' changes';
        causes.push(`${attribute.path}${values} (${rule.reason})`);
        refused ||= rule.refused === true;
      }
    }
    if (causes.length === 0) continue;
    const unique = [...new Set(causes)];
    // The engine replaces the resource itself, or (an immutable Kubernetes field) the apply fails until it is replaced.
    const verb = refused ? 'must be replaced' : 'is replaced';
    warnings.push(
      stateful
        ? { kind: 'irreversible', ...about, message: `${name} ${verb}, ${stateful.reason}: ${unique.join('; ')}` }
        : { kind: 'replacement', ...about, message: `${name} ${verb}: ${unique.join('; ')}` },
    );
  }
  return warnings;
}

/** How a warning names a changed address: a kubernetes_manifest by its object, with the address. */
function changeName(change: AddressChange): string {
  if (change.kubernetes && change.address.startsWith(`${MANIFEST_TYPE}.`)) return `${objectLabel(change.kubernetes)} (${change.address})`;
  return change.address;
}

/** Settings in rendered files that can never change after the first start. */
function settingWarnings(deployment: string, before: DeploymentSnapshot, after: DeploymentSnapshot): Warning[] {
  const warnings: Warning[] = [];
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
  }
  return warnings;
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
