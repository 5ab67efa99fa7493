#!/usr/bin/env node
'use strict';
/**
 * Generates typed cdktf bindings for the Hetzner Cloud and OpenStack providers from their
 * committed schemas (src/providers/<dir>/schema.json, written by scripts/provider-schema.sh from
 * the provider binaries built by scripts/tools.sh). There is no prebuilt cdktf package for either
 * on npm at the pinned versions, and `cdktf get` needs the Terraform registry, which we do not rely on.
 *
 *   npm run providers:generate        regenerate src/providers/<dir>/bindings for every provider
 *   generate(dir, provider)            write one provider's bindings under dir (the staleness test)
 */
const { mkdtempSync, readFileSync, rmSync, renameSync, existsSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const PROVIDERS_DIR = join(__dirname, '..', 'src', 'providers');

/** Provider source and the exact version the stacks require; the schema was read from that build. */
const HCLOUD = { dir: 'hcloud', constraint: 'hetznercloud/hcloud@1.68.0', fqpn: 'registry.terraform.io/hetznercloud/hcloud' };
const OPENSTACK = {
  dir: 'openstack',
  constraint: 'terraform-provider-openstack/openstack@3.4.0',
  fqpn: 'registry.terraform.io/terraform-provider-openstack/openstack',
};
const PROVIDERS = [HCLOUD, OPENSTACK];

/** Writes the bindings of one provider (default hcloud) under outdir/providers/<dir>. */
async function generate(outdir, provider = HCLOUD) {
  const { TerraformProviderGenerator, CodeMaker } = require('@cdktf/provider-generator');
  const { ConstructsMakerProviderTarget, TerraformProviderConstraint, LANGUAGES } = require('@cdktf/commons');
  const schema = JSON.parse(readFileSync(join(PROVIDERS_DIR, provider.dir, 'schema.json'), 'utf8'));
  const code = new CodeMaker();
  const generator = new TerraformProviderGenerator(code, schema);
  generator.generate(new ConstructsMakerProviderTarget(new TerraformProviderConstraint(provider.constraint), LANGUAGES[0]));
  await code.save(outdir);
}

module.exports = { generate, HCLOUD, OPENSTACK, PROVIDERS, PROVIDERS_DIR };

if (require.main === module) {
  (async () => {
    for (const provider of PROVIDERS) {
      const work = mkdtempSync(join(tmpdir(), 'sm-providers-'));
      await generate(work, provider);
      const target = join(PROVIDERS_DIR, provider.dir, 'bindings');
      if (existsSync(target)) rmSync(target, { recursive: true });
      renameSync(join(work, 'providers', provider.dir), target);
      rmSync(work, { recursive: true, force: true });
      console.log(`providers: wrote ${target}`);
    }
  })().catch((error) => {
    console.error(`providers: generation failed: ${error.message}`);
    process.exit(1);
  });
}
