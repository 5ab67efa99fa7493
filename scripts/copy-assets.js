#!/usr/bin/env node
'use strict';
/**
 * Copies the template files (every `templates` directory under src/, such as
 * src/render/templates) to the same place under dist/, after tsc: tsc emits only what it compiles,
 * and the built kit reads its templates from next to the compiled module
 * (src/render/template-files.ts). Run by `npm run build` and `prepare`.
 *
 * The copy replaces the old one, so a template deleted from src/ does not linger in dist/.
 */
const { cpSync, readdirSync, rmSync } = require('node:fs');
const { join, relative } = require('node:path');

const root = join(__dirname, '..');

/** Every directory named `templates` under dir (not looking inside them). */
function templateDirs(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((entry) => (entry.name === 'templates' ? [join(dir, entry.name)] : templateDirs(join(dir, entry.name))));
}

for (const source of templateDirs(join(root, 'src'))) {
  const target = join(root, 'dist', relative(root, source));
  rmSync(target, { recursive: true, force: true });
  cpSync(source, target, { recursive: true });
  process.stdout.write(`copied ${relative(root, source)} to ${relative(root, target)}\n`);
}
