import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tree } from './helpers';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { generate, HCLOUD, PROVIDERS_DIR } = require('../scripts/generate-providers.js') as {
  generate: (dir: string) => Promise<void>;
  HCLOUD: { dir: string; constraint: string; fqpn: string };
  PROVIDERS_DIR: string;
};


describe('generated Hetzner Cloud bindings', () => {
  it('match the committed provider schema (run `npm run providers:generate` after updating it)', async () => {
    const work = mkdtempSync(join(tmpdir(), 'sm-providers-'));
    await generate(work);
    const fresh = tree(join(work, 'providers', HCLOUD.dir));
    const committed = tree(join(PROVIDERS_DIR, HCLOUD.dir, 'bindings'));
    expect([...committed.keys()].sort()).toEqual([...fresh.keys()].sort());
    const stale = [...fresh].filter(([path, content]) => committed.get(path) !== content).map(([path]) => path);
    expect(stale).toEqual([]);
  }, 60_000);

  it('come from a schema of the pinned provider version', () => {
    const schema = JSON.parse(readFileSync(join(PROVIDERS_DIR, HCLOUD.dir, 'schema.json'), 'utf8'));
    expect(Object.keys(schema.provider_schemas)).toEqual([HCLOUD.fqpn]);
    const provider = readFileSync(join(PROVIDERS_DIR, HCLOUD.dir, 'bindings', 'provider', 'index.ts'), 'utf8');
    expect(provider).toContain(`providerVersionConstraint: '${HCLOUD.constraint.split('@')[1]}'`);
  });
});
