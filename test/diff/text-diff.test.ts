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
