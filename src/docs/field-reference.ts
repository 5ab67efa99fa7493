import schema from '../config/deployment.schema.json';

/**
 * The deployment-file field reference (docs/deployment-file.md), generated from the JSON Schema:
 * descriptions, allowed values, patterns' explanations and defaults live in the schema only, so
 * the reference, the editor's hover text and the validator cannot disagree.
 * test/docs/field-reference.test.ts fails when the committed page is stale.
 */

type Schema = Record<string, any>;

interface Row {
  readonly path: string;
  readonly required: boolean;
  readonly type: string;
  readonly description: string;
}

/** Resolves `#/definitions/x` references, keeping the referring schema's own description. */
function resolve(node: Schema): Schema {
  if (typeof node.$ref !== 'string') return node;
  const name = node.$ref.replace('#/definitions/', '');
  const target = (schema as Schema).definitions[name];
  if (!target) throw new Error(`unknown $ref ${node.$ref}`);
  const { $ref: _ref, ...own } = node;
  return { ...resolve(target), ...own };
}

function typeOf(node: Schema): string {
  if (Array.isArray(node.enum)) return node.enum.map((v: unknown) => `\`${String(v)}\``).join(', ');
  if (node.type === 'array') {
    const items = resolve(node.items ?? {});
    return `list of ${typeOf(items)}${node.minItems ? ` (at least ${node.minItems})` : ''}`;
  }
  if (node.type === 'integer' && (node.minimum !== undefined || node.maximum !== undefined)) {
    return `integer ${node.minimum ?? ''}–${node.maximum ?? ''}`;
  }
  if (node.type === 'string' && node.patternErrorMessage) return `string: ${node.patternErrorMessage}`;
  if (node.type === 'object' && !node.properties) return 'mapping';
  return Array.isArray(node.type) ? node.type.join(' or ') : String(node.type ?? 'any');
}

/** A schema `default` as YAML flow style, the way a deployment file would write it: `{ mode: closed }`, `[profile, email]`. */
function shown(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(shown).join(', ')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{ ${Object.entries(value)
      .map(([k, v]) => `${k}: ${shown(v)}`)
      .join(', ')} }`;
  }
  return String(value);
}

function rows(node: Schema, prefix: string, required: readonly string[], out: Row[]): void {
  for (const [key, raw] of Object.entries<Schema>(node.properties ?? {})) {
    const child = resolve(raw);
    const path = prefix ? `${prefix}.${key}` : key;
    const isObject = child.type === 'object' && child.properties;
    const description = [child.description ?? '', child.default !== undefined ? `Default: \`${shown(child.default)}\`.` : '']
      .filter(Boolean)
      .join(' ');
    out.push({ path, required: required.includes(key), type: isObject ? 'section' : typeOf(child), description });
    if (isObject) rows(child, path, child.required ?? [], out);
  }
}

/** Markdown table cells cannot hold `|` or line breaks. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function fieldReference(): string {
  const all: Row[] = [];
  rows(schema as Schema, '', (schema as Schema).required ?? [], all);
  return [
    '# The deployment file: every field',
    '',
    '<!-- Generated from src/config/deployment.schema.json by `npm run docs:fields`; do not edit. -->',
    '',
    (schema as Schema).description,
    '',
    'Editors that use the YAML language server check and complete a file that starts with',
    '`# yaml-language-server: $schema=<path to src/config/deployment.schema.json>`. `sovereign-matrix validate`',
    'enforces the same schema, plus the cross-field rules of `src/config/rules.ts`, and prints every problem',
    'with its file, line and column. "required: yes" means required whenever its section is present.',
    '',
    '| field | required | type | meaning |',
    '|---|---|---|---|',
    ...all.map((r) => `| \`${r.path}\` | ${r.required ? 'yes' : ''} | ${cell(r.type)} | ${cell(r.description)} |`),
    '',
  ].join('\n');
}
