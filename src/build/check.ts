import { join } from 'node:path';
import { loadDeploymentFiles } from '../config/load';
import { EngineInitError, findEngine, validateStack } from '../shared/engine';
import { EXIT, ExitStatus } from '../shared/exit-codes';
import type { Output } from '../shared/output';
import { synthesize, type StackSummary } from '../../stacks/synth';

type Verdict = 'valid' | 'rejected' | 'not checked';

/**
 * `check`: synthesize, then let the engine (`init` + `validate`) judge every stack. A rejected
 * stack ends with EXIT.stackRejected; a stack the engine could not even initialise (a provider
 * not installable) with EXIT.engineInitFailed, because that is the engine's set-up, not the file.
 */
export function runCheckCommand(files: readonly string[], options: { out: string; engine?: string }, output: Output): void {
  const loaded = loadDeploymentFiles(files);
  const engine = findEngine(options.engine);
  const stacks = synthesize(
    loaded.map((d) => d.spec),
    options.out,
  );
  const fileOf = new Map(loaded.map((d) => [d.spec.name, d.file]));
  const verdicts = stacks.map((stack) => checkStack(stack));
  const count = (verdict: Verdict) => verdicts.filter((v) => v === verdict).length;
  const [rejected, unchecked] = [count('rejected'), count('not checked')];
  output.out(
    `${engine.name} ${engine.version}: ${count('valid')} of ${stacks.length} stacks valid${rejected ? `, ${rejected} rejected` : ''}${unchecked ? `, ${unchecked} not checked (init failed)` : ''}`,
  );
  if (unchecked > 0) {
    output.err(
      `sovereign-matrix check: ${engine.name} init failed on ${unchecked} stack${unchecked === 1 ? '' : 's'}, so ${unchecked === 1 ? 'it was' : 'they were'} not judged: a provider could not be installed (missing from the provider mirror or registry, or the registry is unreachable). This is the engine's set-up, not the deployment; see docs/contributing.md, Toolchain.`,
    );
  }
  if (rejected > 0) throw new ExitStatus(EXIT.stackRejected);
  if (unchecked > 0) throw new ExitStatus(EXIT.engineInitFailed);

  function checkStack(stack: StackSummary): Verdict {
    let diagnostics;
    try {
      diagnostics = validateStack(engine, join(options.out, 'stacks', stack.stack));
    } catch (error) {
      if (!(error instanceof EngineInitError)) throw error;
      output.err(`${fileOf.get(stack.deployment)}: ${stack.stack}: not checked: ${engine.name} init failed:`);
      error.detail.split('\n').forEach((line) => output.err(`  ${line}`));
      return 'not checked';
    }
    for (const d of diagnostics) {
      const where = d.address ? ` (${d.address})` : '';
      const line = `${fileOf.get(stack.deployment)}: ${stack.stack}: ${d.severity}: ${d.summary}${where}${d.detail ? `: ${d.detail}` : ''}`;
      if (d.severity === 'error') output.err(line);
      else output.out(line);
    }
    const ok = diagnostics.every((d) => d.severity !== 'error');
    if (ok) output.out(`  ok  ${stack.stack}`);
    return ok ? 'valid' : 'rejected';
  }
}
