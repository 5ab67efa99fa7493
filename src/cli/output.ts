import type { StackSummary } from '../synth';

/** Where the CLI writes; tests pass their own to capture output. */
export interface Output {
  out(line: string): void;
  err(line: string): void;
}

export const processOutput: Output = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** A short synth summary: one line per stack, then where the output is. */
export function printSynthSummary(output: Output, stacks: readonly StackSummary[], outdir: string): void {
  const width = Math.max(...stacks.map((s) => s.stack.length));
  for (const s of stacks) {
    output.out(`  ${s.stack.padEnd(width)}  ${String(s.resources).padStart(3)} resources  ${s.file}`);
  }
  const deployments = new Set(stacks.map((s) => s.deployment)).size;
  const total = stacks.reduce((sum, s) => sum + s.resources, 0);
  output.out(
    `Synthesized ${deployments} deployment${deployments === 1 ? '' : 's'}, ${stacks.length} stack${stacks.length === 1 ? '' : 's'}, ${total} resources into ${outdir}/stacks`,
  );
}
