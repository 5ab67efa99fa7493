#!/usr/bin/env node
'use strict';
/**
 * Generates typed cdktf bindings for the Hetzner Cloud provider from its committed schema
 * (src/providers/hcloud/schema.json, written by scripts/provider-schema.sh from the provider
 * binary built by scripts/tools.sh). There is no prebuilt cdktf package for hcloud on npm, and
 * `cdktf get` needs the Terraform registry, which we do not rely on.
 *
 *   npm run providers:generate        regenerate src/providers/hcloud/bindings
 *   generate(dir)                      write the bindings under dir (used by the staleness test)
 */
const { mkdtempSync, readFileSync, rmSync, renameSync, existsSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const PROVIDERS_DIR = join(__dirname, '..', 'src', 'providers');

/** Provider source and the exact version the stacks require; the schema was read from that build. */
const HCLOUD = { dir: 'hcloud', constraint: 'hetznercloud/hcloud@1.68.0', fqpn: 'registry.terraform.io/hetznercloud/hcloud' };

async function generate(outdir) {
  const { TerraformProviderGenerator, CodeMaker } = require('@cdktf/provider-generator');
  const { ConstructsMakerProviderTarget, TerraformProviderConstraint, LANGUAGES } = require('@cdktf/commons');
  const schema = JSON.parse(readFileSync(join(PROVIDERS_DIR, HCLOUD.dir, 'schema.json'), 'utf8'));
  const code = new CodeMaker();
  const generator = new TerraformProviderGenerator(code, schema);
  generator.generate(new ConstructsMakerProviderTarget(new TerraformProviderConstraint(HCLOUD.constraint), LANGUAGES[0]));
  await code.save(outdir);
}

module.exports = { generate, HCLOUD, PROVIDERS_DIR };

if (require.main === module) {
  (async () => {
    const work = mkdtempSync(join(tmpdir(), 'sm-providers-'));
    await generate(work);
    const target = join(PROVIDERS_DIR, HCLOUD.dir, 'bindings');
    if (existsSync(target)) rmSync(target, { recursive: true });
    renameSync(join(work, 'providers', HCLOUD.dir), target);
    rmSync(work, { recursive: true, force: true });
    console.log(`providers: wrote ${target}`);
  })().catch((error) => {
    console.error(`providers: generation failed: ${error.message}`);
    process.exit(1);
  });
}
