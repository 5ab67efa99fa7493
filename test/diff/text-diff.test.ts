import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONTEXT_LINES, unifiedTextDiff } from '../../src/diff/text-diff';
import { MASK } from '../../src/diff/sensitive';

const lines = (n: number, change?: [number, string]) => Array.from({ length: n }, (_, i) => (change && change[0] === i + 1 ? change[1] : `line ${i + 1}`)).join('\n') + '\n';

describe('the unified diff of a rendered file', () => {
  it('is empty for equal texts', () => {
    expect(unifiedTextDiff('a\nb\n', 'a\nb\n')).toBe('');
  });

  it('is one hunk with three lines of context and no header', () => {
    expect(CONTEXT_LINES).toBe(3);
    const diff = unifiedTextDiff(lines(20), lines(20, [10, 'line ten']));
    expect(diff.split('\n')).toEqual(['@@ -7,7 +7,7 @@', ' line 7', ' line 8', ' line 9', '-line 10', '+line ten', ' line 11', ' line 12', ' line 13']);
  });

  it('writes a one-line range without a count, and separates distant changes into hunks', () => {
    expect(unifiedTextDiff('a\n', 'b\n').split('\n')).toEqual(['@@ -1 +1 @@', '-a', '+b']);
    const diff = unifiedTextDiff(lines(40), lines(40, [5, 'x']).replace('line 35\n', 'y\n'));
    expect(diff.split('\n').filter((l) => l.startsWith('@@'))).toEqual(['@@ -2,7 +2,7 @@', '@@ -32,7 +32,7 @@']);
  });

  it('shows a changed secret as a changed line, its values masked on both sides', () => {
    const diff = unifiedTextDiff('a: 1\nsigning_key: sk-old-value\n', 'a: 1\nsigning_key: sk-new-value\n');
    expect(diff).not.toMatch(/sk-old-value|sk-new-value/);
    expect(diff.split('\n')).toEqual(['@@ -1,2 +1,2 @@', ' a: 1', `-signing_key: ${MASK}`, `+signing_key: ${MASK}`]);
  });
});

describe('empty ranges, numbered as diff -u numbers them', () => {
  it('writes a pure insertion after line 2 as -2,0 and a deletion of line 3 as +2,0', () => {
    expect(unifiedTextDiff('a\nb\nc\nd\n', 'a\nb\nX\nc\nd\n').split('\n')[0]).toBe('@@ -1,4 +1,5 @@');
    const insertionOnly = unifiedTextDiff('', 'x\n');
    expect(insertionOnly.split('\n')).toEqual(['@@ -0,0 +1 @@', '+x']);
    expect(unifiedTextDiff('x\n', '').split('\n')).toEqual(['@@ -1 +0,0 @@', '-x']);
  });

  it('agrees with GNU diff -u on the hunk headers of an insertion at the top, in the middle and a removal at the end', () => {
    const dir = mkdtempSync(join(tmpdir(), 'text-diff-'));
    const long = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`);
    const cases: [string[], string[]][] = [
      [[], ['new']],
      [['only'], []],
      [long, ['top', ...long]],
      [long, [...long.slice(0, 10), 'middle', ...long.slice(10)]],
      [long, long.slice(0, 19)],
    ];
    for (const [before, after] of cases) {
      const a = before.map((l) => `${l}\n`).join('');
      const b = after.map((l) => `${l}\n`).join('');
      writeFileSync(join(dir, 'a'), a);
      writeFileSync(join(dir, 'b'), b);
      const gnu = spawnSync('diff', ['-u', join(dir, 'a'), join(dir, 'b')], { encoding: 'utf8' }).stdout;
      const headers = (text: string) => text.split('\n').filter((l) => l.startsWith('@@'));
      expect(headers(unifiedTextDiff(a, b))).toEqual(headers(gnu));
    }
  });
});
