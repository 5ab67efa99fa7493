#!/usr/bin/env node
'use strict';
/**
 * Writes docs/deployment-file.md, the field reference generated from the deployment JSON Schema
 * (src/docs/field-reference.ts). Run through `npm run docs:fields`, which builds first;
 * test/docs/field-reference.test.ts fails when the committed page is stale.
 */
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { fieldReference } = require('../dist/src/docs/field-reference');

const target = join(__dirname, '..', 'docs', 'deployment-file.md');
writeFileSync(target, fieldReference());
console.log(`wrote ${target}`);
