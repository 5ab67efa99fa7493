#!/usr/bin/env node
'use strict';
/** Writes docs/cli.md from the CLI's own help (src/cli/reference.ts); run through `npm run docs:cli`. */
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { cliReference } = require('../dist/src/cli/reference');

const target = join(__dirname, '..', 'docs', 'cli.md');
writeFileSync(target, cliReference());
console.log(`wrote ${target}`);
