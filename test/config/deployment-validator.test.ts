import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { compile } = require('../../scripts/compile-schema.js') as { compile: () => string };

describe('the precompiled schema validator', () => {
  it('is up to date with deployment.schema.json (run `npm run schema:compile` after editing the schema)', () => {
    const committed = readFileSync(join(__dirname, '..', '..', 'src', 'config', 'deployment-validator.js'), 'utf8');
    expect(committed === compile()).toBe(true);
  });
});
