import { EXIT, ExitStatus } from '../shared/exit-codes';
import { processOutput, type Output } from '../shared/output';
import { compareSnapshots } from './compare';
import { format, FORMATS, hasChanges, type Format } from './format';
import type { DiffResult } from './model';
import { chooseFiles, Cleanup, DiffUsageError, openFileSide, openSide, synthesizeSides } from './sides';

export interface DiffOptions {
  /** A git ref or directory; absent, `files` are the two deployment files to compare (old, new). */
  readonly base?: string;
  readonly head?: string;
  readonly format?: string;
  readonly exitCode?: boolean;
}

/**
 * Synthesizes both sides and compares them; temporary worktrees are removed whatever happens.
 * With `base`, the sides are refs or directories and `files` are taken from both; without it,
 * `files` are exactly two deployment files, old and new.
 */
export function computeDiff(files: readonly string[], options: DiffOptions, cwd = process.cwd()): DiffResult {
  if (options.base === undefined) return compareFiles(files, options, cwd);
  const cleanup = new Cleanup();
  try {
    const base = openSide(options.base, cwd, cleanup);
    const head = openSide(options.head, cwd, cleanup);
    chooseFiles(base, head, files, cwd);
    const sides = synthesizeSides(base, head, cleanup);
    return compareSnapshots(sides.base, sides.head, sides.notes);
  } finally {
    cleanup.run();
  }
}

/** `diff OLD.yaml NEW.yaml`: two deployment files, both synthesized by the running kit. */
function compareFiles(files: readonly string[], options: DiffOptions, cwd: string): DiffResult {
  if (files.length !== 2 || options.head !== undefined) {
    throw new DiffUsageError('name two deployment files (diff OLD.yaml NEW.yaml), or a git ref or directory to compare against (diff --base REF [--head REF] [files...])');
  }
  const [base, head] = files.map((file) => openFileSide(file, cwd));
  const sides = synthesizeSides(base, head, new Cleanup());
  const result = compareSnapshots(sides.base, sides.head, sides.notes);
  // Deployments are matched by name: two files with different names are two deployments.
  const removed = result.deployments.find((d) => d.status === 'removed');
  const added = result.deployments.find((d) => d.status === 'added');
  if (!removed || !added) return result;
  const note = `${files[0]} and ${files[1]} name different deployments (${removed.name}, ${added.name}): shown as one removed and one added; deploying one does not change the other`;
  return { ...result, notes: [...result.notes, note] };
}

/**
 * `sovereign-matrix diff`: prints the difference; with --exit-code, throws ExitStatus(EXIT.changes)
 * when there is one (exit code 5, see src/shared/exit-codes.ts).
 */
export async function runDiffCommand(files: readonly string[], options: DiffOptions, output: Output): Promise<void> {
  const form = (options.format ?? 'terminal') as Format;
  if (!FORMATS.includes(form)) {
    throw new DiffUsageError(`--format must be one of ${FORMATS.join(', ')} (got '${options.format}')`);
  }
  const result = computeDiff(files, options);
  // Colour only for a person at a terminal: stdout is a TTY and NO_COLOR (no-color.org) is unset.
  const colour = output === processOutput && Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
  if (!hasChanges(result) && form === 'terminal') {
    for (const note of result.notes) output.err(`note: ${note}`);
  }
  output.out(format(result, form, colour));
  if (options.exitCode && hasChanges(result)) throw new ExitStatus(EXIT.changes);
}

export { DiffUsageError };
