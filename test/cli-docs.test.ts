/** `sovereign-matrix docs`: files written, validation first, exit codes. */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, tempDir, VALID_YAML } from './helpers';

const EXAMPLE = join(__dirname, '..', 'deployments', 'example.yaml');

describe('sovereign-matrix docs', () => {
  it('writes <name>.md, <name>.html and <name>.svg per deployment and says so', async () => {
    const dir = tempDir();
    const second = join(dir, 'second.yaml');
    writeFileSync(second, VALID_YAML);
    const out = join(dir, 'out');
    const result = await cli('docs', EXAMPLE, second, '--out', out);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['ministry-example.html', 'ministry-example.md', 'ministry-example.svg', 'ministry.html', 'ministry.md', 'ministry.svg']);
    expect(result.stdout).toContain('Wrote the reference architecture of 2 deployments');
    expect(readFileSync(join(out, 'ministry-example.md'), 'utf8')).toContain('![Architecture diagram](ministry-example.svg)');
  });

  it('writes nothing when one file is invalid, and exits 1 with the problem', async () => {
    const dir = tempDir();
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, VALID_YAML.replace('fsn1', 'ash'));
    const out = join(dir, 'out');
    const result = await cli('docs', EXAMPLE, bad, '--out', out);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("'ash' is outside the EU");
    expect(existsSync(out)).toBe(false);
  });

  it('needs --out', async () => {
    const result = await cli('docs', EXAMPLE);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--out');
  });
});
