#!/usr/bin/env node
'use strict';
// The CLI is compiled by `npm ci` (the prepare script); say so plainly if that has not happened.
let cli;
try {
  cli = require('../dist/src/cli/main.js');
} catch (error) {
  if (error && error.code === 'MODULE_NOT_FOUND' && String(error.message).includes('dist/src/cli/main.js')) {
    process.stderr.write('sovereign-matrix: the kit is not built yet; run `npm ci` (or `npm run build`) in its directory first.\n');
    process.exit(70);
  }
  throw error;
}
cli.main();
