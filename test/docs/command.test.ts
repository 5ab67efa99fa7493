import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runDocsCommand } from '../../src/docs/command';
import { DeploymentFileError } from '../../src/config/problems';
import { tempDir, VALID_YAML } from '../helpers';

jest.setTimeout(60_000);

describe('the docs command', () => {
  it('writes the three documents of each deployment into --out, creating it, and lists them', async () => {
    const dir = tempDir();
    const file = join(dir, 'ministry.yaml');
    writeFileSync(file, VALID_YAML);
    const out = join(dir, 'nested', 'out');
    const lines: string[] = [];
    await runDocsCommand([file], { out }, { out: (l) => lines.push(l), err: (l) => lines.push(`ERR ${l}`) });
    expect(readdirSync(out).sort()).toEqual(['ministry.html', 'ministry.md', 'ministry.svg']);
    expect(lines.slice(0, 3).sort()).toEqual(['ministry.html', 'ministry.md', 'ministry.svg'].map((n) => `  ${join(out, n)}`));
    expect(lines[3]).toBe(`Wrote the reference architecture of 1 deployment into ${out}`);
  });

  it('validates every file first: one bad file, nothing written', async () => {
    const dir = tempDir();
    const good = join(dir, 'good.yaml');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(good, VALID_YAML);
    writeFileSync(bad, 'name: x\n');
    const out = join(dir, 'out');
    await expect(runDocsCommand([good, bad], { out }, { out: () => undefined, err: () => undefined })).rejects.toBeInstanceOf(DeploymentFileError);
    expect(existsSync(out)).toBe(false);
  });
});
