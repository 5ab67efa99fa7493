#!/usr/bin/env node
'use strict';
// The CLI is compiled by `npm ci` (the prepare script); say so plainly if that has not happened.
function load(module) {
  try {
    return require(`../dist/src/cli/${module}.js`);
  } catch (error) {
    if (error && error.code === 'MODULE_NOT_FOUND' && String(error.message).includes(`dist/src/cli/${module}.js`)) {
      process.stderr.write('sovereign-matrix: the kit is not built yet; run `npm ci` (or `npm run build`) in its directory first.\n');
      process.exit(70);
    }
    throw error;
  }
}
// `--version` alone is answered without loading the commands (and cdktf with them): it stays instant.
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${load('version').versionText()}\n`);
} else {
  load('main').main();
}
