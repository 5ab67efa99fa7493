import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tree } from './helpers';

interface GeneratedProvider {
  dir: string;
  constraint: string;
  fqpn: string;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { generate, PROVIDERS, PROVIDERS_DIR } = require('../scripts/generate-providers.js') as {
  generate: (dir: string, provider: GeneratedProvider) => Promise<void>;
  PROVIDERS: GeneratedProvider[];
  PROVIDERS_DIR: string;
};

describe.each(PROVIDERS.map((p) => [p.dir, p] as const))('generated %s bindings', (_dir, provider) => {
  it('match the committed provider schema (run `npm run providers:generate` after updating it)', async () => {
    const work = mkdtempSync(join(tmpdir(), 'sm-providers-'));
    await generate(work, provider);
    const fresh = tree(join(work, 'providers', provider.dir));
    const committed = tree(join(PROVIDERS_DIR, provider.dir, 'bindings'));
    expect([...committed.keys()].sort()).toEqual([...fresh.keys()].sort());
    const stale = [...fresh].filter(([path, content]) => committed.get(path) !== content).map(([path]) => path);
    expect(stale).toEqual([]);
  }, 60_000);

  it('come from a schema of the pinned provider version', () => {
    const schema = JSON.parse(readFileSync(join(PROVIDERS_DIR, provider.dir, 'schema.json'), 'utf8'));
    expect(Object.keys(schema.provider_schemas)).toEqual([provider.fqpn]);
    const bindings = readFileSync(join(PROVIDERS_DIR, provider.dir, 'bindings', 'provider', 'index.ts'), 'utf8');
    expect(bindings).toContain(`providerVersionConstraint: '${provider.constraint.split('@')[1]}'`);
  });
});

describe('the OpenStack schema', () => {
  // scripts/provider-schema.sh keeps only the resources the kit uses; a stack that needs another
  // one must add it there, so the bindings and this list stay what the stack imports.
  it('holds the resources stacks/openstack-infra.ts uses, and only the provider schema', () => {
    const schema = JSON.parse(readFileSync(join(PROVIDERS_DIR, 'openstack', 'schema.json'), 'utf8'));
    const provider = schema.provider_schemas['registry.terraform.io/terraform-provider-openstack/openstack'];
    const stack = readFileSync(join(__dirname, '..', 'stacks', 'openstack-infra.ts'), 'utf8');
    const used = [...stack.matchAll(/providers\/openstack\/bindings\/([a-z0-9-]+)'/g)].map((m) => m[1]).filter((d) => d !== 'provider');
    const generated = [
      ...Object.keys(provider.resource_schemas).map((name: string) => name.replace(/^openstack_/, '').replace(/_/g, '-')),
      ...Object.keys(provider.data_source_schemas).map((name: string) => `data-${name.replace(/_/g, '-')}`),
    ];
    expect(used.length).toBeGreaterThan(5);
    for (const dir of used) expect(generated).toContain(dir);
    expect(provider.provider.block.attributes.password.sensitive).toBe(true);
  });
});
