import { loadDeploymentFiles } from '../config/load';
import type { Output } from '../shared/output';
import { synthesize, type StackSummary } from '../../stacks/synth';

/** `synth`: validate every file before writing anything (a bad file leaves the output untouched), then synthesize them all. */
export function runSynthCommand(files: readonly string[], options: { out: string }, output: Output): void {
  const loaded = loadDeploymentFiles(files);
  const stacks = synthesize(
    loaded.map((d) => d.spec),
    options.out,
  );
  printSynthSummary(output, stacks, options.out);
}

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
