'use strict';
/**
 * Generates src/config/deployment-file.generated.ts from deployment.schema.json: the TypeScript
 * type of a validated deployment file (json-schema-to-typescript) and DEPLOYMENT_DEFAULTS, the
 * schema's `default` values by dotted field path. The schema is the one home of the file's shape
 * and of its constant defaults; resolve.ts, the field reference and editors all read them there.
 *
 * Run by `npm run schema:compile` (scripts/compile-schema.js). The output is committed;
 * test/config/deployment-file.generated.test.ts fails when it is stale. That test runs
 * `node scripts/deployment-types.js` (which prints the module) in a child process, because the
 * Prettier 3 inside json-schema-to-typescript loads its plugins with import(), which Jest's
 * module sandbox refuses.
 */
const { compile } = require('json-schema-to-typescript');

const SCHEMA_PATH = '../src/config/deployment.schema.json';

const HEADER = [
  '// generated from deployment.schema.json by npm run schema:compile; do not edit.',
  '// Change the schema, then run `npm run schema:compile`.',
  '',
].join('\n');

/** The root type's name. The schema's own title is prose shown by editors, so it is not used. */
const ROOT_NAME = 'DeploymentFile';

/**
 * json-schema-to-typescript options, all explicit so the output does not depend on its defaults
 * or on a Prettier configuration found nearby.
 */
const OPTIONS = {
  bannerComment: '',
  declareExternallyReferenced: true,
  // `extra.*` sections without their own additionalProperties are open mappings, as in the schema.
  additionalProperties: true,
  unknownAny: true,
  strictIndexSignatures: false,
  enableConstEnums: false,
  format: true,
  style: { printWidth: 120, singleQuote: true, trailingComma: 'all', semi: true, tabWidth: 2, useTabs: false },
};

function loadSchema() {
  // A fresh copy: require's cache is shared with whoever else loaded the schema.
  return structuredClone(require(SCHEMA_PATH));
}

/** Follows a local `#/definitions/x` reference; the referring node's own keywords win. */
function deref(schema, node) {
  if (typeof node.$ref !== 'string') return node;
  const name = node.$ref.replace('#/definitions/', '');
  const target = schema.definitions && schema.definitions[name];
  if (!target) throw new Error(`unknown $ref ${node.$ref}`);
  const { $ref: _ref, ...own } = node;
  return { ...deref(schema, target), ...own };
}

/** Every `default` in the schema's property tree, in schema order, as [dotted path, keys, value]. */
function collectDefaults(schema) {
  const out = [];
  const walk = (node, keys) => {
    for (const [key, raw] of Object.entries(node.properties || {})) {
      const child = deref(schema, raw);
      const path = [...keys, key];
      if (child.default !== undefined) out.push([path.join('.'), path, child.default]);
      if (child.properties) walk(child, path);
    }
  };
  walk(schema, []);
  return out;
}

/** The TypeScript type of the field at `keys`, e.g. NonNullable<NonNullable<DeploymentFile['calls']>['turn']>. */
function fieldType(keys) {
  return keys.reduce((type, key) => `NonNullable<${type}[${quote(key)}]>`, ROOT_NAME);
}

function quote(text) {
  return `'${String(text).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** A default value as a TypeScript literal (values are JSON: scalars, arrays, plain objects). */
function literal(value) {
  if (typeof value === 'string') return quote(value);
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    return `{ ${Object.entries(value)
      .map(([k, v]) => `${/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(k) ? k : quote(k)}: ${literal(v)}`)
      .join(', ')} }`;
  }
  return JSON.stringify(value);
}

function defaultsSource(schema) {
  const defaults = collectDefaults(schema);
  return [
    '/** The type of each field that has a schema `default`, by dotted path. */',
    'export interface DeploymentDefaults {',
    ...defaults.map(([path, keys]) => `  readonly ${quote(path)}: ${fieldType(keys)};`),
    '}',
    '',
    '/**',
    " * The schema's `default` values by dotted field path: what a file that leaves the field out gets.",
    ' * Defaults that depend on other fields (hostnames from server_name, the server type from the size',
    ' * profile, the backup bucket from the location, ...) are code in src/config/resolve.ts.',
    ' */',
    'export const DEPLOYMENT_DEFAULTS: DeploymentDefaults = {',
    ...defaults.map(([path, , value]) => `  ${quote(path)}: ${literal(value)},`),
    '};',
    '',
  ].join('\n');
}

/** The whole generated module, deterministic for a given schema and library version. */
async function generate() {
  const schema = loadSchema();
  const forTypes = { ...loadSchema(), title: ROOT_NAME };
  const types = await compile(forTypes, ROOT_NAME, OPTIONS);
  return `${HEADER}\n${types.trimEnd()}\n\n${defaultsSource(schema)}`;
}

module.exports = { generate };

if (require.main === module) {
  generate().then(
    (source) => process.stdout.write(source),
    (error) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
