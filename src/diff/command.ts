import { EXIT, ExitStatus } from '../cli/exit-codes';
import { processOutput, type Output } from '../cli/output';
import { compareSnapshots } from './compare';
import { format, FORMATS, hasChanges, type Format } from './format';
import type { DiffResult } from './model';
import { chooseFiles, Cleanup, DiffUsageError, openSide, synthesizeSides } from './sides';

export interface DiffOptions {
  readonly base: string;
  readonly head?: string;
  readonly format?: string;
  readonly exitCode?: boolean;
}

/** Synthesizes both sides and compares them; temporary worktrees are removed whatever happens. */
export function computeDiff(files: readonly string[], options: DiffOptions, cwd = process.cwd()): DiffResult {
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

/**
 * `sovereign-matrix diff`: prints the difference; with --exit-code, throws ExitStatus(EXIT.changes)
 * when there is one (exit code 5, see src/cli/exit-codes.ts).
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
