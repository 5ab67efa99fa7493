import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_FILE_BYTES } from '../src/config/load';
import { cli, tempDir } from './helpers';

/**
 * Every broken deployment file must give one clear, located error, exit code 1, and write
 * nothing. Each fixture's first line says what it must report: `# expect: LINE:COL: field: text`.
 */
const CORPUS = join(__dirname, 'fixtures', 'invalid');
const fixtures = readdirSync(CORPUS).filter((f) => f.endsWith('.yaml')).sort();

function expectationOf(file: string): string {
  const match = /^# expect: (.*)$/m.exec(readFileSync(file, 'utf8'));
  if (!match) throw new Error(`${file} has no '# expect:' line`);
  return match[1];
}

/** Runs validate and synth on a broken file and checks the contract for user errors. */
async function expectRefused(file: string, expected: string): Promise<void> {
  const out = join(tempDir(), 'out');
  for (const argv of [['validate', file], ['synth', file, '--out', out]]) {
    const result = await cli(...argv);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    const lines = result.stderr.split('\n');
    expect(lines.some((line) => line.startsWith(`${file}${expected.startsWith(':') ? '' : ':'}${expected}`))).toBe(true);
    expect(lines[lines.length - 1]).toMatch(/^\d+ problems? in 1 file; nothing was written\.$/);
    expect(result.stderr).not.toMatch(/\n\s+at .*:\d+:\d+/); // no stack trace
    expect(result.stderr).not.toMatch(/internal error/);
  }
  expect(existsSync(out)).toBe(false);
}

describe('broken deployment corpus', () => {
  it('has at least 25 files', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(25);
  });

  it.each(fixtures)('%s is refused with its expected message', async (name) => {
    const file = join(CORPUS, name);
    await expectRefused(file, expectationOf(file));
  });
});

describe('files that are not deployment text', () => {
  const dir = tempDir();

  it('refuses a huge file before parsing it', async () => {
    const file = join(dir, 'huge.yaml');
    writeFileSync(file, `name: x\ncomment: "${'a'.repeat(MAX_FILE_BYTES)}"\n`);
    await expectRefused(file, `: is ${MAX_FILE_BYTES + 20} bytes (expected a deployment file of at most ${MAX_FILE_BYTES} bytes)`);
  });

  it('refuses a binary file', async () => {
    const file = join(dir, 'binary.yaml');
    writeFileSync(file, Buffer.from([0x6e, 0x61, 0x00, 0x01, 0x02]));
    await expectRefused(file, ': is not a text file (it contains NUL bytes)');
  });

  it('refuses text that is not UTF-8', async () => {
    const file = join(dir, 'latin1.yaml');
    writeFileSync(file, Buffer.from('name: caf\xe9\n', 'latin1'));
    await expectRefused(file, ': is not valid UTF-8 text');
  });

  it('refuses a missing file', async () => {
    await expectRefused(join(dir, 'absent.yaml'), ': no such file');
  });

  it('refuses a directory', async () => {
    const sub = join(dir, 'a-directory.yaml');
    mkdirSync(sub);
    await expectRefused(sub, ': is a directory (expected a deployment YAML file)');
  });
});
