import { identityKey, MANIFEST_TYPE, resourceIdentity, unescapeManifestValue, type KubeIdentity } from './kubernetes';
import type { AddressChange, AttributeChange, StackDiff, Status } from './model';
import { isSecretKey, isSecretPath, isSafeSecretValue, maskAll, maskJson, maskManifest, MASK } from './sensitive';

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
  /** The Kubernetes object a resource applies (kubernetes_manifest, or a typed resource of kit 0.1). */
  readonly kubernetes?: KubeIdentity;
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
          const kubernetes = section === 'resource' ? resourceIdentity(type, value) : undefined;
          add({ address: `${section === 'data' ? 'data.' : ''}${type}.${name}`, block: section, type, value, sensitive: false, ...(kubernetes ? { kubernetes } : {}) });
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
  // A Secret's data (a typed resource of kit 0.1): every value, whatever its key.
  if (block.kubernetes?.kind === 'Secret' && /^(data|binary_data|string_data)(\.|\[|$)/.test(path)) return maskAll(value);
  if (isSecretPath(path) && !isSafeSecretValue(value)) return MASK;
  const last = path.split(/[.[\]"]+/).filter(Boolean).pop();
  return maskJson(value, last !== undefined && isSecretKey(last) ? last : undefined);
}

function wholeBlock(block: Block): AttributeChange[] {
  if (!isObject(block.value)) return [{ path: '', action: 'change', new: maskBlock(block, block.value, '') }];
  const manifest = manifestOf(block);
  if (manifest) {
    // The object's own fields by their Kubernetes names, then the resource's Terraform arguments.
    const shown = maskManifest(manifest) as JsonObject;
    return [
      ...Object.keys(manifest).map((key) => ({ path: attributePath('', key), action: 'add' as const, new: unescapeManifestValue(shown[key]) })),
      ...Object.entries(block.value)
        .filter(([key]) => key !== 'manifest')
        .map(([key, value]) => ({ path: key, action: 'add' as const, new: maskBlock(block, value, key) })),
    ];
  }
  return Object.entries(block.value).map(([key, value]) => ({ path: key, action: 'add' as const, new: maskBlock(block, value, key) }));
}

/** The Kubernetes object of a kubernetes_manifest block, if it has one. */
function manifestOf(block: Block): JsonObject | undefined {
  if (block.type !== MANIFEST_TYPE || !isObject(block.value) || !isObject(block.value.manifest)) return undefined;
  return block.value.manifest;
}

/** `a.b`, or `a["homeserver.yaml"]` for a key that is not an identifier (Terraform's own notation). */
function attributePath(path: string, key: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) return path === '' ? key : `${path}.${key}`;
  return `${path}[${JSON.stringify(key)}]`;
}

/** One differing attribute: the real values (for the rules, never printed) and what may be shown of them. */
interface RawChange {
  path: string;
  action: AttributeChange['action'];
  old?: Json;
  new?: Json;
  /** The same position in an already masked copy of each side (a kubernetes_manifest's object). */
  shownOld?: Json;
  shownNew?: Json;
  /** A field of the Kubernetes object (path in Kubernetes' terms), not a Terraform argument. */
  manifest?: boolean;
}

/** The value at `key` of a masked copy; a masked subtree (MASK) stands for everything under it. */
function shownChild(shown: Json, key: string | number): Json {
  if (Array.isArray(shown)) return shown[key as number];
  if (isObject(shown)) return shown[key as string];
  return shown;
}

/**
 * Attribute-level differences of two values; arrays of equal length compare element by element.
 * `oldShown`/`newShown`, when given, are masked copies of the same shape, read at each difference.
 */
function attributeChanges(oldValue: Json, newValue: Json, path: string, out: RawChange[], oldShown?: Json, newShown?: Json): void {
  const shown = oldShown !== undefined || newShown !== undefined;
  if (isObject(oldValue) && isObject(newValue)) {
    const keys = [...new Set([...Object.keys(oldValue), ...Object.keys(newValue)])].sort();
    for (const key of keys) {
      const inner = attributePath(path, key);
      const o = shown ? shownChild(oldShown, key) : undefined;
      const n = shown ? shownChild(newShown, key) : undefined;
      if (!(key in newValue)) out.push({ path: inner, action: 'remove', old: oldValue[key], ...(shown ? { shownOld: o } : {}) });
      else if (!(key in oldValue)) out.push({ path: inner, action: 'add', new: newValue[key], ...(shown ? { shownNew: n } : {}) });
      else attributeChanges(oldValue[key], newValue[key], inner, out, o, n);
    }
    return;
  }
  if (Array.isArray(oldValue) && Array.isArray(newValue) && oldValue.length === newValue.length) {
    oldValue.forEach((item, i) =>
      attributeChanges(item, newValue[i], `${path}[${i}]`, out, shown ? shownChild(oldShown, i) : undefined, shown ? shownChild(newShown, i) : undefined),
    );
    return;
  }
  if (!jsonEqual(oldValue, newValue)) out.push({ path, action: 'change', old: oldValue, new: newValue, ...(shown ? { shownOld: oldShown, shownNew: newShown } : {}) });
}

/**
 * The differences of two versions of a kubernetes_manifest: the object's fields by Kubernetes
 * field paths (`spec.template.spec.containers[0].image`, `data["homeserver.yaml"]`), shown masked
 * and as Kubernetes receives them (Terraform's template escapes undone); then the resource's own
 * Terraform arguments (`depends_on`, `field_manager`, ...) by their names.
 */
function manifestChanges(before: Block, oldManifest: JsonObject, after: Block, newManifest: JsonObject): RawChange[] {
  const fields: RawChange[] = [];
  attributeChanges(oldManifest, newManifest, '', fields, maskManifest(oldManifest), maskManifest(newManifest));
  const withoutManifest = (value: Json) => Object.fromEntries(Object.entries(value as JsonObject).filter(([key]) => key !== 'manifest'));
  const args: RawChange[] = [];
  attributeChanges(withoutManifest(before.value), withoutManifest(after.value), '', args);
  return [...fields.map((f) => ({ ...f, manifest: true })), ...args];
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
  /**
   * Raw (unmasked) attribute changes, for rules such as "size decreased"; never printed. For a
   * kubernetes_manifest, `manifest` marks the object's fields, whose paths are Kubernetes paths.
   */
  readonly raw: readonly { path: string; old?: Json; new?: Json; manifest?: boolean }[];
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
      const oldManifest = manifestOf(before);
      const newManifest = manifestOf(after);
      let raw: RawChange[] = [];
      if (oldManifest && newManifest) raw = manifestChanges(before, oldManifest, after, newManifest);
      else attributeChanges(before.value, after.value, '', raw);
      // Either side sensitive makes the value sensitive (un-marking a secret must not reveal it).
      const masker: Block = { ...after, sensitive: before.sensitive || after.sensitive };
      const attributes = raw.map((r) => {
        const show = (value: Json, shownValue: Json) => (r.manifest ? unescapeManifestValue(shownValue) : maskBlock(masker, value, r.path));
        return {
          path: r.path,
          action: r.action,
          ...('old' in r ? { old: show(r.old, r.shownOld) } : {}),
          ...('new' in r ? { new: show(r.new, r.shownNew) } : {}),
        };
      });
      const kubernetes = after.kubernetes ?? before.kubernetes;
      blocks.push({ change: { address, block: after.block, status: 'changed', attributes, ...(kubernetes ? { kubernetes } : {}) }, type: after.type, raw });
    } else {
      const block = (before ?? after) as Block;
      const status: Status = before ? 'removed' : 'added';
      const kubernetes = block.kubernetes;
      blocks.push({ change: { address, block: block.block, status, attributes: wholeBlock(block), ...(kubernetes ? { kubernetes } : {}) }, type: block.type, raw: [] });
    }
  }
  linkMovedObjects(blocks);
  if (blocks.length === 0 && (oldTf === undefined) === (newTf === undefined)) return undefined;
  const status: Status = oldTf === undefined ? 'added' : newTf === undefined ? 'removed' : 'changed';
  return { diff: { stack, status, changes: blocks.map((b) => b.change) }, blocks };
}

/**
 * An object removed at one address and added at another is the same object in the cluster (kit
 * 0.1's `kubernetes_stateful_set_v1.postgres` is now `kubernetes_manifest.statefulset_<ns>_postgres`):
 * deploy moves its state (src/deploy/migrate-state.ts), it is neither deleted nor created.
 */
function linkMovedObjects(blocks: BlockChange[]): void {
  const added = new Map<string, number>();
  blocks.forEach((b, i) => {
    if (b.change.status === 'added' && b.change.kubernetes) added.set(identityKey(b.change.kubernetes), i);
  });
  blocks.forEach((b, i) => {
    if (b.change.status !== 'removed' || !b.change.kubernetes) return;
    const j = added.get(identityKey(b.change.kubernetes));
    if (j === undefined) return;
    blocks[i] = { ...b, change: { ...b.change, movedTo: blocks[j].change.address } };
    blocks[j] = { ...blocks[j], change: { ...blocks[j].change, movedFrom: b.change.address } };
  });
}

/** Resources first (by address), then data sources, outputs, variables, everything else: the order a reviewer reads. */
const BLOCK_ORDER = ['resource', 'data', 'output', 'variable', 'module', 'provider'];
function blockRank(block: Block | undefined): number {
  const i = BLOCK_ORDER.indexOf(block?.block ?? '');
  return i === -1 ? BLOCK_ORDER.length : i;
}
