import { distance } from 'fastest-levenshtein';

/** One thing wrong with a deployment file, located precisely enough for an editor to jump to. */
export interface Problem {
  readonly file: string;
  /** 1-based line and column; 0 when the problem concerns the file as a whole (unreadable). */
  readonly line: number;
  readonly col: number;
  /** Dotted field path such as `target.hetzner.location`, or '' for the file as a whole. */
  readonly path: string;
  readonly message: string;
}

/** `FILE:LINE:COL: field.path: what is wrong (expected ...)`, the form compilers use. */
export function formatProblem(p: Problem): string {
  const where = p.line > 0 ? `${p.file}:${p.line}:${p.col}` : p.file;
  return p.path ? `${where}: ${p.path}: ${p.message}` : `${where}: ${p.message}`;
}

/** Thrown for user mistakes in deployment files; the CLI prints it without a stack trace. */
export class DeploymentFileError extends Error {
  constructor(readonly problems: readonly Problem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'DeploymentFileError';
  }
}

export function sortProblems(problems: readonly Problem[]): Problem[] {
  return [...problems].sort(
    (a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col || a.path.localeCompare(b.path),
  );
}

/** Nearest candidate by edit distance, when it is close enough to be a likely typo. */
export function didYouMean(input: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = distance(input.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  const threshold = Math.max(2, Math.floor(input.length / 3));
  return bestDistance <= threshold ? best : undefined;
}
