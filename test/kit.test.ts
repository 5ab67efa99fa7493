import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kitRoot, kitVersion } from '../src/kit';

describe('the running kit', () => {
  it('is installed at the directory of its package.json, found from the source file', () => {
    expect(kitRoot()).toBe(join(__dirname, '..'));
  });

  it('reports the version in its package.json', () => {
    expect(kitVersion()).toBe(JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')).version);
  });
});
