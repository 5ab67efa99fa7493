import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildProgram } from '../../src/cli/main';
import { cliReference } from '../../src/cli/reference';

const ROOT = join(__dirname, '..', '..');

test('docs/cli.md is the CLI’s own help and up to date (regenerate with: npm run docs:cli)', () => {
  expect(readFileSync(join(ROOT, 'docs', 'cli.md'), 'utf8')).toBe(cliReference());
});

describe('cliReference', () => {
  const reference = cliReference();

  it('has a section for every command of the program but help, in the program’s order', () => {
    const program = buildProgram({ out: () => undefined, err: () => undefined });
    const names = program.commands.map((c) => c.name()).filter((n) => n !== 'help');
    expect(names.length).toBeGreaterThan(5);
    const headings = [...reference.matchAll(/^## (\S+)$/gm)].map((m) => m[1]);
    expect(headings).toEqual(names);
  });

  it('is the same whatever the width of the terminal that generates it, and ends with one newline', () => {
    const saved = process.stdout.columns;
    const savedTty = process.stdout.isTTY;
    try {
      Object.defineProperty(process.stdout, 'columns', { value: 40, configurable: true });
      Object.defineProperty(process.stdout, 'isTTY', { value: true, configurable: true });
      expect(cliReference()).toBe(reference);
    } finally {
      Object.defineProperty(process.stdout, 'columns', { value: saved, configurable: true });
      Object.defineProperty(process.stdout, 'isTTY', { value: savedTty, configurable: true });
    }
    expect(reference.endsWith('```\n')).toBe(true);
  });
});
