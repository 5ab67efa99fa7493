import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Scripts and SQL the kit renders live as real files under src/render/templates/ (so an editor,
 * `bash -n` and shellcheck see them as what they are), not as strings in TypeScript.
 *
 * They are read from next to this module: src/render/templates under ts-jest, and
 * dist/src/render/templates when running the build, where scripts/copy-assets.js copies them
 * (tsc copies only what it compiles). Each file is read once per process.
 *
 * Placeholders are `{{NAME}}` (upper case, digits and `_`): a syntax neither sh nor SQL uses, and
 * distinct from the `@@NAME@@` runtime placeholders of files.ts, which containers fill in.
 * fillTemplate refuses a placeholder without a value and a value without a placeholder, so a
 * renamed or forgotten placeholder fails the render instead of shipping `{{NAME}}` in a script.
 */

const PLACEHOLDER = /\{\{([A-Z][A-Z0-9_]*)\}\}/g;

const cache = new Map<string, string>();

/** The text of templates/<path> (path with forward slashes, e.g. `keycloak/reconcile.sh`). */
export function templateText(path: string): string {
  let text = cache.get(path);
  if (text === undefined) {
    text = readFileSync(join(__dirname, 'templates', ...path.split('/')), 'utf8');
    cache.set(path, text);
  }
  return text;
}

/** `text` (named `name` in errors) with every `{{NAME}}` replaced by values[NAME]. */
export function fillTemplate(name: string, text: string, values: Readonly<Record<string, string>>): string {
  // Anything that looks like a placeholder but is not one is a typo ({{name}}, {{ NAME }}).
  const stray = /\{\{[^}]*\}\}/.exec(text.replace(PLACEHOLDER, ''));
  if (stray) throw new Error(`template ${name}: malformed placeholder ${stray[0]}`);
  const used = new Set<string>();
  const filled = text.replace(PLACEHOLDER, (_match, key: string) => {
    if (!Object.prototype.hasOwnProperty.call(values, key)) throw new Error(`template ${name}: no value for placeholder {{${key}}}`);
    used.add(key);
    return values[key];
  });
  const unused = Object.keys(values).filter((key) => !used.has(key));
  if (unused.length > 0) throw new Error(`template ${name}: no placeholder for ${unused.map((key) => `{{${key}}}`).join(', ')}`);
  return filled;
}

/** templates/<path> with its placeholders filled: see fillTemplate. */
export function renderTemplate(path: string, values: Readonly<Record<string, string>> = {}): string {
  return fillTemplate(path, templateText(path), values);
}
