/**
 * The three forms of a diff: terminal text, Markdown for a pull request comment, and JSON.
 * Everything printed here has already been masked by stack-diff/text-diff/compare; this module
 * only lays it out.
 */
import { COST_BASIS, describeCost, money } from './cost';
import { DOWNTIME_KINDS, downtimeLabel, type Downtime, type DowntimeKind } from './downtime';
import { objectLabel } from './kubernetes';
import { countChanges, sumCounts, type AddressChange, type AttributeChange, type ChangeCounts, type DeploymentDiff, type DiffResult, type StackDiff } from './model';
import { unifiedTextDiff } from './text-diff';

export const FORMATS = ['terminal', 'markdown', 'json'] as const;
export type Format = (typeof FORMATS)[number];

/** The first line of the Markdown; CI finds its own comment by it (one sticky comment per PR). */
export const MARKDOWN_MARKER = '<!-- sovereign-matrix-diff -->';

/** What is printed when the sides are the same. */
export const NO_CHANGES = 'no changes';

/** Version of the JSON document's shape; bumped on any incompatible change. */
export const JSON_SCHEMA = 'sovereign-matrix-diff/v2';

/** GitHub refuses comments over 65,536 characters; stay below with room for the CI's own text. */
export const MARKDOWN_LIMIT = 60_000;

export function hasChanges(result: DiffResult): boolean {
  return result.deployments.length > 0;
}

// ---------------------------------------------------------------------------------------------
// Values

/** Compact JSON of a value; long single-line strings cut around the part that differs. */
function show(value: unknown): string {
  return JSON.stringify(value) ?? 'null';
}

const LONG = 120;

/** Lines describing one attribute change, in the diff's own +/- notation. */
function attributeLines(attribute: AttributeChange): string[] {
  const name = attribute.path === '' ? '(value)' : attribute.path;
  if (attribute.action === 'add') return [`+   ${name} = ${clip(show(attribute.new))}`];
  if (attribute.action === 'remove') return [`-   ${name} = ${clip(show(attribute.old))}`];
  const { old: before, new: after } = attribute;
  if (typeof before === 'string' && typeof after === 'string' && (before.includes('\n') || after.includes('\n'))) {
    // A multi-line string (cloud-init, a script): a line diff reads better than two blobs.
    const patch = unifiedTextDiff(before, after);
    if (patch === '') return [`~   ${name}: (only sensitive lines changed)`];
    return [`~   ${name}:`, ...patch.split('\n').map((line) => `    ${line}`)];
  }
  let oldText = show(before);
  let newText = show(after);
  if (oldText.length > LONG || newText.length > LONG) [oldText, newText] = aroundDifference(oldText, newText);
  return [`-   ${name} = ${oldText}`, `+   ${name} = ${newText}`];
}

function clip(text: string): string {
  return text.length > LONG * 2 ? `${text.slice(0, LONG * 2)}… (${text.length} characters)` : text;
}

/** Two long texts cut to the part that differs, with some context each side. */
function aroundDifference(a: string, b: string): [string, string] {
  const context = 40;
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let end = 0;
  while (end < a.length - start && end < b.length - start && a[a.length - 1 - end] === b[b.length - 1 - end]) end++;
  const cut = (text: string) => {
    const from = Math.max(0, start - context);
    const to = Math.min(text.length, text.length - end + context);
    return `${from > 0 ? '…' : ''}${text.slice(from, to)}${to < text.length ? '…' : ''}`;
  };
  return [cut(a), cut(b)];
}

/** Terraform's plan notation; `-/+` is a replacement (destroy, then create). */
const SYMBOL = { added: '+', removed: '-', changed: '~', replaced: '-/+' } as const;

/** The body of a stack's change list, in `diff` notation (used by both terminal and Markdown). */
function stackLines(stack: StackDiff): string[] {
  const lines: string[] = [];
  for (const change of stack.changes) {
    lines.push(`${SYMBOL[change.status]} ${headline(change)}`);
    lines.push(...addressBody(change));
  }
  return lines;
}

/**
 * The first line of a change: the address and what happens to it. A Kubernetes object applied by
 * kubernetes_manifest is named as Kubernetes names it, with its address in parentheses:
 * `Deployment matrix-x/synapse (kubernetes_manifest.deployment_matrix-x_synapse)`.
 */
function headline(change: AddressChange): string {
  const manifest = change.kubernetes !== undefined && change.address.startsWith('kubernetes_manifest.');
  const notes: string[] = manifest ? [change.address] : [];
  if (change.movedTo) notes.push(`state moves to ${change.movedTo}, the object stays`);
  else if (change.movedFrom) notes.push(`state moves from ${change.movedFrom}, the object stays`);
  else if (change.status === 'replaced') notes.push(change.replacement?.refused ? 'must be replaced: the update is refused' : 'replace');
  else if (change.status !== 'changed') notes.push(change.status === 'added' ? 'create' : 'destroy');
  if (!manifest && change.kubernetes && change.status === 'removed' && !change.movedTo) notes.push(objectLabel(change.kubernetes));
  const name = manifest ? objectLabel(change.kubernetes!) : change.address;
  return notes.length === 0 ? name : `${name} (${notes.join('; ')})`;
}

function addressBody(change: AddressChange): string[] {
  if (change.status === 'removed') return [];
  // Terraform's `# forces replacement`, with the rule's reason.
  const why = (change.replacement?.reasons ?? []).map((r) => `#   ${r.path === '' ? '(value)' : r.path} forces replacement: ${r.reason}`);
  return [...why, ...change.attributes.flatMap(attributeLines)];
}

/** `+0 ~3 -/+1 -0`, with `(2 moved)` when objects only move their state. */
function countText(c: ChangeCounts): string {
  return `+${c.added} ~${c.changed} -/+${c.replaced} -${c.removed}${c.moved > 0 ? ` (${c.moved} moved)` : ''}`;
}

function counts(stack: StackDiff): string {
  return countText(countChanges(stack));
}

function totalCounts(result: DiffResult): ChangeCounts {
  return sumCounts(result.deployments.flatMap((d) => d.stacks.map(countChanges)));
}

/** The sum of the priced deployments' cost changes; undefined when none is priced. */
function totalCostChange(result: DiffResult): number | undefined {
  const changes = result.deployments.map((d) => d.cost?.change).filter((c): c is number => c !== undefined);
  return changes.length === 0 ? undefined : Math.round(changes.reduce((sum, c) => sum + c, 0) * 100) / 100;
}

/** The worst expected downtime over all deployments. */
function worstDowntime(result: DiffResult): DowntimeKind {
  const rank = Math.max(0, ...result.deployments.map((d) => DOWNTIME_KINDS.indexOf(d.downtime.kind)));
  return DOWNTIME_KINDS[rank];
}

/** The causes of a downtime as `name reason`, at most `max` (then `… and N more`). */
function downtimeCauses(downtime: Downtime, max: number): string[] {
  const shown = downtime.causes.slice(0, max).map((c) => `${c.name} ${c.reason}`);
  return downtime.causes.length > max ? [...shown, `… and ${downtime.causes.length - max} more`] : shown;
}

function summaryLine(result: DiffResult): string {
  const by = (status: DeploymentDiff['status']) => result.deployments.filter((d) => d.status === status).length;
  const c = totalCounts(result);
  const files = result.deployments.reduce((sum, d) => sum + d.files.length, 0);
  const cost = totalCostChange(result);
  return (
    `${result.deployments.length} deployment${result.deployments.length === 1 ? ' differs' : 's differ'} ` +
    `(${by('added')} added, ${by('changed')} changed, ${by('removed')} removed); ` +
    `Terraform: ${c.added} to add, ${c.changed} to change, ${c.replaced} to replace, ${c.removed} to destroy${c.moved > 0 ? `, ${c.moved} to move` : ''}; ` +
    `${files} rendered file${files === 1 ? '' : 's'} changed; ` +
    `expected downtime: ${downtimeLabel(worstDowntime(result))}; ` +
    (cost === undefined ? '' : `monthly cost change: EUR ${money(cost, true)}; `) +
    `${result.warnings.length} warning${result.warnings.length === 1 ? '' : 's'}`
  );
}

// ---------------------------------------------------------------------------------------------
// Terminal

const ANSI = { red: '\x1b[31m', green: '\x1b[32m', yellow: '\x1b[33m', cyan: '\x1b[36m', bold: '\x1b[1m', reset: '\x1b[0m' };

export function formatTerminal(result: DiffResult, colour: boolean): string {
  if (!hasChanges(result)) return NO_CHANGES;
  const paint = (code: keyof typeof ANSI, text: string) => (colour ? `${ANSI[code]}${text}${ANSI.reset}` : text);
  const diffLine = (line: string) => {
    const trimmed = line.trimStart();
    if (trimmed.startsWith('@@')) return paint('cyan', line);
    if (trimmed.startsWith('-/+')) return paint('bold', paint('red', line));
    if (trimmed.startsWith('+')) return paint('green', line);
    if (trimmed.startsWith('-')) return paint('red', line);
    if (trimmed.startsWith('~')) return paint('yellow', line);
    return line;
  };
  const out: string[] = [paint('bold', `sovereign-matrix diff: ${result.base} → ${result.head}`), ''];
  if (result.warnings.length > 0) {
    out.push(paint('bold', 'Warnings:'));
    for (const w of result.warnings) {
      const tag = w.kind === 'irreversible' ? paint('red', '! IRREVERSIBLE') : paint('yellow', '! replacement ');
      out.push(`  ${tag}  ${w.deployment}${w.stack ? ` (${w.stack})` : ''}: ${w.message}`);
    }
    out.push('');
  }
  for (const deployment of result.deployments) {
    out.push(paint('bold', `${deployment.name} (${deployment.file}): ${deployment.status}`));
    const downtime = deployment.downtime;
    const tone = downtime.kind === 'data-at-risk' ? 'red' : downtime.kind === 'none' ? undefined : 'yellow';
    const kind = downtimeLabel(downtime.kind);
    out.push(`  expected downtime: ${tone ? paint(tone, kind) : kind}`);
    out.push(...downtimeCauses(downtime, 5).map((cause) => `    ${cause}`));
    out.push(`  monthly cost: ${describeCost(deployment.cost)}`);
    for (const stack of deployment.stacks) {
      out.push(`  stack ${stack.stack}${stack.status === 'changed' ? '' : ` (${stack.status})`}: ${counts(stack)}`);
      out.push(...stackLines(stack).map((line) => `    ${diffLine(line)}`));
    }
    for (const file of deployment.files) {
      out.push(`  rendered ${file.path}${file.status === 'changed' ? '' : ` (${file.status})`}`);
      out.push(...file.patch.split('\n').map((line) => `    ${diffLine(line)}`));
    }
    out.push('');
  }
  for (const note of result.notes) out.push(`note: ${note}`);
  out.push(summaryLine(result));
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Markdown

const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escapeCell = (text: string) => escapeHtml(text).replace(/\|/g, '\\|');

/** A fenced block whose fence is longer than any backtick run inside (CommonMark). */
function fenced(language: string, body: string): string {
  const longest = Math.max(0, ...(body.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${language}\n${body}\n${fence}`;
}

function details(summary: string, body: string, maxLines: number): string {
  const lines = body.split('\n');
  const shown = lines.length > maxLines ? [...lines.slice(0, maxLines), `… ${lines.length - maxLines} more lines (run sovereign-matrix diff locally, or --format json)`] : lines;
  return `<details><summary>${summary}</summary>\n\n${fenced('diff', shown.join('\n'))}\n\n</details>`;
}

export function formatMarkdown(result: DiffResult): string {
  if (!hasChanges(result)) return `${MARKDOWN_MARKER}\n${NO_CHANGES}`;
  // Shrink the per-block bodies until the comment fits GitHub's limit.
  for (const maxLines of [Infinity, 400, 100, 25, 5, 0]) {
    const text = markdown(result, maxLines);
    if (text.length <= MARKDOWN_LIMIT || maxLines === 0) return text;
  }
  throw new Error('unreachable');
}

function markdown(result: DiffResult, maxLines: number): string {
  const out: string[] = [MARKDOWN_MARKER, `### sovereign-matrix diff: \`${escapeHtml(result.base)}\` → \`${escapeHtml(result.head)}\``, ''];
  if (result.warnings.length > 0) {
    out.push('**Review carefully:**', '');
    for (const w of result.warnings) {
      const tag = w.kind === 'irreversible' ? '🛑 **irreversible**' : '⚠️ **replacement**';
      out.push(`- ${tag} ${escapeHtml(w.deployment)}${w.stack ? ` (\`${escapeHtml(w.stack)}\`)` : ''}: ${escapeHtml(w.message)}`);
    }
    out.push('');
  }
  out.push(`| deployment | status | expected downtime | monthly cost (${escapeCell(COST_BASIS)}) |`, '|---|---|---|---|');
  for (const deployment of result.deployments) {
    const downtime = deployment.downtime;
    const causes = downtimeCauses(downtime, 3).join('; ');
    const kind = downtime.kind === 'none' ? 'none' : `**${downtimeLabel(downtime.kind)}**`;
    out.push(`| ${escapeCell(deployment.name)} | ${deployment.status} | ${kind}${causes ? `: ${escapeCell(causes)}` : ''} | ${escapeCell(describeCost(deployment.cost))} |`);
  }
  out.push('');
  out.push('| deployment | stack | added | changed | replaced | removed | warnings |', '|---|---|---:|---:|---:|---:|---:|');
  for (const deployment of result.deployments) {
    for (const stack of deployment.stacks) {
      const c = countChanges(stack);
      const warnings = result.warnings.filter((w) => w.deployment === deployment.name && w.stack === stack.stack).length;
      out.push(`| ${escapeCell(deployment.name)} | ${escapeCell(stack.stack)} | ${c.added} | ${c.changed} | ${c.replaced} | ${c.removed} | ${warnings} |`);
    }
    if (deployment.files.length > 0) {
      const n = (status: string) => deployment.files.filter((f) => f.status === status).length;
      const warnings = result.warnings.filter((w) => w.deployment === deployment.name && w.file !== undefined).length;
      out.push(`| ${escapeCell(deployment.name)} | rendered configs | ${n('added')} | ${n('changed')} | 0 | ${n('removed')} | ${warnings} |`);
    }
  }
  out.push('');
  for (const deployment of result.deployments) {
    for (const stack of deployment.stacks) {
      const status = stack.status === 'changed' ? '' : ` (${stack.status})`;
      out.push(details(`<code>${escapeHtml(stack.stack)}</code>${status}: ${counts(stack)}`, stackLines(stack).join('\n'), maxLines), '');
    }
    for (const file of deployment.files) {
      const status = file.status === 'changed' ? '' : ` (${file.status})`;
      out.push(details(`<code>${escapeHtml(deployment.name)}</code>: <code>${escapeHtml(file.path)}</code>${status}`, file.patch, maxLines), '');
    }
  }
  for (const note of result.notes) out.push(`> ${escapeHtml(note)}`, '');
  out.push(`<sub>${escapeHtml(summaryLine(result))}</sub>`);
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// JSON

/** The JSON document; its shape is documented in docs/reviewing-changes.md. */
export function formatJson(result: DiffResult): string {
  const totals = totalCounts(result);
  const side = (price: NonNullable<DeploymentDiff['cost']>['before']) => (price === undefined ? null : 'total' in price ? price.total : { unpriced: price.unpriced });
  const document = {
    schema: JSON_SCHEMA,
    base: result.base,
    head: result.head,
    changes: hasChanges(result),
    summary: {
      deployments: result.deployments.length,
      ...totals,
      files: result.deployments.reduce((sum, d) => sum + d.files.length, 0),
      warnings: result.warnings.length,
      downtime: worstDowntime(result),
      monthlyCostChange: totalCostChange(result) ?? null,
    },
    warnings: result.warnings.map((w) => ({
      kind: w.kind,
      deployment: w.deployment,
      stack: w.stack ?? null,
      address: w.address ?? null,
      kubernetes: w.kubernetes ?? null,
      file: w.file ?? null,
      message: w.message,
    })),
    deployments: result.deployments.map((d) => ({
      name: d.name,
      file: d.file,
      status: d.status,
      downtime: {
        kind: d.downtime.kind,
        causes: d.downtime.causes.map((c) => ({ name: c.name, address: c.address ?? null, file: c.file ?? null, reason: c.reason })),
      },
      monthlyCost: d.cost
        ? { currency: d.cost.currency, before: side(d.cost.before), after: side(d.cost.after), change: d.cost.change ?? null, basis: d.cost.basis }
        : null,
      stacks: d.stacks.map((s) => ({
        stack: s.stack,
        status: s.status,
        ...countChanges(s),
        changes: s.changes.map((c) => ({
          address: c.address,
          block: c.block,
          status: c.status,
          replacement: c.replacement ?? null,
          kubernetes: c.kubernetes ?? null,
          ...(c.movedTo ? { movedTo: c.movedTo } : {}),
          ...(c.movedFrom ? { movedFrom: c.movedFrom } : {}),
          attributes: c.attributes.map((a) => ({ path: a.path, action: a.action, old: a.old ?? null, new: a.new ?? null })),
        })),
      })),
      files: d.files.map((f) => ({ path: f.path, status: f.status, patch: f.patch })),
    })),
    notes: result.notes,
  };
  return JSON.stringify(document, null, 2);
}

export function format(result: DiffResult, form: Format, colour: boolean): string {
  switch (form) {
    case 'terminal':
      return formatTerminal(result, colour);
    case 'markdown':
      return formatMarkdown(result);
    case 'json':
      return formatJson(result);
  }
}
