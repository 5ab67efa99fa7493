import { structuredPatch } from 'diff';
import { maskTextLines } from './sensitive';

/** Lines of context around each change, as `diff -u` and git use. */
export const CONTEXT_LINES = 3;

/**
 * A unified diff (hunks only, no ---/+++ header) of two versions of a rendered file, with secrets
 * masked. The diff is computed on the real text, so a changed secret still shows as a changed
 * line, and each printed line is then taken from the masked text of its own side.
 * Returns '' when the texts are equal.
 */
export function unifiedTextDiff(oldText: string, newText: string): string {
  if (oldText === newText) return '';
  const oldMasked = maskTextLines(oldText);
  const newMasked = maskTextLines(newText);
  const patch = structuredPatch('a', 'b', oldText, newText, '', '', { context: CONTEXT_LINES });
  const out: string[] = [];
  for (const hunk of patch.hunks) {
    out.push(`@@ -${range(hunk.oldStart, hunk.oldLines)} +${range(hunk.newStart, hunk.newLines)} @@`);
    let oldLine = hunk.oldStart;
    let newLine = hunk.newStart;
    for (const line of hunk.lines) {
      const marker = line[0];
      if (marker === '-') out.push(`-${oldMasked[oldLine++ - 1] ?? ''}`);
      else if (marker === '+') out.push(`+${newMasked[newLine++ - 1] ?? ''}`);
      else if (marker === ' ') {
        out.push(` ${newMasked[newLine - 1] ?? ''}`);
        oldLine++;
        newLine++;
      } else out.push(line); // "\ No newline at end of file"
    }
  }
  return out.join('\n');
}

/**
 * A hunk's range as `diff -u` and git write it: a single line without a count, and an empty range
 * (a whole file added or removed, a pure insertion) numbered by the line before it, 0 at the top.
 * jsdiff's structured hunks number an empty range by the line after it, so it is shifted here.
 */
function range(start: number, lines: number): string {
  if (lines === 0) return `${start - 1},0`;
  return lines === 1 ? `${start}` : `${start},${lines}`;
}
