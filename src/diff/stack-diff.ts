import type { AddressChange, AttributeChange, StackDiff, Status } from './model';
import { isSecretKey, isSecretPath, isSafeSecretValue, maskJson, MASK } from './sensitive';

type Json = unknown;
type JsonObject = { [key: string]: Json };

/** A Terraform JSON block with its address, ready to compare. */
interface Block {
  readonly address: string;
  readonly block: string;
  /** Type of a resource or data source, for the stateful rules. */
  readonly type?: string;
  readonly value: Json;
  /** Output/variable marked `sensitive`: its value/default is masked whatever its name. */
  readonly sensitive: boolean;
}

const isObject = (value: Json): value is JsonObject => value !== null && typeof value === 'object' && !Array.isArray(value);

/** A copy without cdktf's `//` metadata keys, at any depth. */
export function stripMetadata(value: Json): Json {
  if (Array.isArray(value)) return value.map(stripMetadata);
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [key, inner] of Object.entries(value)) {
    if (key === '//') continue;
    out[key] = stripMetadata(inner);
  }
  return out;
}

/** Every addressable block of a stack's Terraform JSON. */
export function addressBlocks(tf: Json): Map<string, Block> {
  const blocks = new Map<string, Block>();
  const doc = stripMetadata(tf);
  if (!isObject(doc)) return blocks;
  const add = (block: Block) => blocks.set(block.address, block);
  for (const [section, content] of Object.entries(doc)) {
    if (section === 'resource' || section === 'data') {
      if (!isObject(content)) continue;
      for (const [type, byName] of Object.entries(content)) {
        if (!isObject(byName)) continue;
        for (const [name, value] of Object.entries(byName)) {
          add({ address: `${section === 'data' ? 'data.' : ''}${type}.${name}`, block: section, type, value, sensitive: false });
        }
      }
    } else if (section === 'output' || section === 'variable' || section === 'module' || section === 'provider') {
      if (!isObject(content)) continue;
      const prefix = section === 'variable' ? 'var' : section;
      for (const [name, value] of Object.entries(content)) {
        const sensitive = (section === 'output' || section === 'variable') && isObject(value) && value.sensitive === true;
        add({ address: `${prefix}.${name}`, block: section, value, sensitive });
      }
    } else {
      // terraform (required providers, backend), locals, moved, import, check: one block each.
      add({ address: section, block: section, value: content, sensitive: false });
    }
  }
  return blocks;
}

/** Masks what a block shows: secret-named attributes, and the value/default of sensitive outputs/variables. */
function maskBlock(block: Block, value: Json, path: string): Json {
  if (block.sensitive && /^(value|default)(\.|\[|$)/.test(path)) return isSafeSecretValue(value) && typeof value !== 'string' ? value : MASK;
  if (isSecretPath(path) && !isSafeSecretValue(value)) return MASK;
  const last = path.split(/[.[\]"]+/).filter(Boolean).pop();
  return maskJson(value, last !== undefined && isSecretKey(last) ? last : undefined);
}

function wholeBlock(block: Block): AttributeChange[] {
  if (!isObject(block.value)) return [{ path: '', action: 'change', new: maskBlock(block, block.value, '') }];
  return Object.entries(block.value).map(([key, value]) => ({ path: key, action: 'add' as const, new: maskBlock(block, value, key) }));
}

/** `a.b`, or `a["homeserver.yaml"]` for a key that is not an identifier (Terraform's own notation). */
function attributePath(path: string, key: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) return path === '' ? key : `${path}.${key}`;
  return `${path}[${JSON.stringify(key)}]`;
}

/** Attribute-level differences of two values; arrays of equal length compare element by element. */
function attributeChanges(oldValue: Json, newValue: Json, path: string, out: { path: string; old?: Json; new?: Json; action: AttributeChange['action'] }[]): void {
  if (isObject(oldValue) && isObject(newValue)) {
    const keys = [...new Set([...Object.keys(oldValue), ...Object.keys(newValue)])].sort();
    for (const key of keys) {
      const inner = attributePath(path, key);
      if (!(key in newValue)) out.push({ path: inner, action: 'remove', old: oldValue[key] });
      else if (!(key in oldValue)) out.push({ path: inner, action: 'add', new: newValue[key] });
      else attributeChanges(oldValue[key], newValue[key], inner, out);
    }
    return;
  }
  if (Array.isArray(oldValue) && Array.isArray(newValue) && oldValue.length === newValue.length) {
    oldValue.forEach((item, i) => attributeChanges(item, newValue[i], `${path}[${i}]`, out));
    return;
  }
  if (!jsonEqual(oldValue, newValue)) out.push({ path, action: 'change', old: oldValue, new: newValue });
}

export function jsonEqual(a: Json, b: Json): boolean {
  return stableStringify(a) === stableStringify(b);
}

/** JSON with object keys sorted at every depth: equal values give equal strings. */
export function stableStringify(value: Json): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (isObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${stableStringify(value[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** A changed block as masked attribute changes, plus what the stateful rules need (unmasked). */
export interface BlockChange {
  readonly change: AddressChange;
  readonly type?: string;
  /** Raw (unmasked) attribute changes, for rules such as "size decreased"; never printed. */
  readonly raw: readonly { path: string; old?: Json; new?: Json }[];
}

/** The semantic difference of two versions of one stack (either may be missing). */
export function diffStack(stack: string, oldTf: Json | undefined, newTf: Json | undefined): { diff: StackDiff; blocks: BlockChange[] } | undefined {
  const oldBlocks = oldTf === undefined ? new Map<string, Block>() : addressBlocks(oldTf);
  const newBlocks = newTf === undefined ? new Map<string, Block>() : addressBlocks(newTf);
  const rank = (address: string) => blockRank(newBlocks.get(address) ?? oldBlocks.get(address));
  const addresses = [...new Set([...oldBlocks.keys(), ...newBlocks.keys()])].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  const blocks: BlockChange[] = [];
  for (const address of addresses) {
    const before = oldBlocks.get(address);
    const after = newBlocks.get(address);
    if (before && after) {
      if (jsonEqual(before.value, after.value)) continue;
      const raw: { path: string; old?: Json; new?: Json; action: AttributeChange['action'] }[] = [];
      attributeChanges(before.value, after.value, '', raw);
      // Either side sensitive makes the value sensitive (un-marking a secret must not reveal it).
      const masker: Block = { ...after, sensitive: before.sensitive || after.sensitive };
      const attributes = raw.map((r) => ({
        path: r.path,
        action: r.action,
        ...('old' in r ? { old: maskBlock(masker, r.old, r.path) } : {}),
        ...('new' in r ? { new: maskBlock(masker, r.new, r.path) } : {}),
      }));
      blocks.push({ change: { address, block: after.block, status: 'changed', attributes }, type: after.type, raw });
    } else {
      const block = (before ?? after) as Block;
      const status: Status = before ? 'removed' : 'added';
      blocks.push({ change: { address, block: block.block, status, attributes: wholeBlock(block) }, type: block.type, raw: [] });
    }
  }
  if (blocks.length === 0 && (oldTf === undefined) === (newTf === undefined)) return undefined;
  const status: Status = oldTf === undefined ? 'added' : newTf === undefined ? 'removed' : 'changed';
  return { diff: { stack, status, changes: blocks.map((b) => b.change) }, blocks };
}

/** Resources first (by address), then data sources, outputs, variables, everything else: the order a reviewer reads. */
const BLOCK_ORDER = ['resource', 'data', 'output', 'variable', 'module', 'provider'];
function blockRank(block: Block | undefined): number {
  const i = BLOCK_ORDER.indexOf(block?.block ?? '');
  return i === -1 ? BLOCK_ORDER.length : i;
}
