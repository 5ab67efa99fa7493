import { spawn } from 'node:child_process';
import { appendFileSync, chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Engine } from '../shared/engine';
import type { Output } from '../shared/output';

/** The run was interrupted (SIGINT); the engine was asked to stop and has exited. */
export class Interrupted extends Error {
  constructor(readonly stack?: string, readonly step?: string) {
    super(stack ? `interrupted during ${step} of ${stack}` : 'interrupted');
    this.name = 'Interrupted';
  }
}

/** An engine command failed on a stack; `detail` is the engine's error text. */
export class StackFailed extends Error {
  constructor(
    readonly stack: string,
    readonly step: string,
    readonly detail: string,
  ) {
    super(`${step} of ${stack} failed`);
    this.name = 'StackFailed';
  }
}

/**
 * Replaces every known secret value with `***` before text reaches the log or the terminal. The
 * engine already masks sensitive values; this is the second line of defence.
 */
export class Redactor {
  private readonly secrets = new Set<string>();
  add(...values: (string | undefined)[]): void {
    for (const v of values) if (v && v.length >= 4) this.secrets.add(v);
  }
  redact(text: string): string {
    let out = text;
    // Longest first, so a secret containing another is replaced whole.
    for (const s of [...this.secrets].sort((a, b) => b.length - a.length)) out = out.split(s).join('***');
    return out;
  }
}

/** The full engine output of one run, appended to a file (mode 0600). */
export class RunLog {
  constructor(
    readonly path: string,
    private readonly redactor: Redactor,
  ) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(path, '', { mode: 0o600 });
    chmodSync(path, 0o600);
  }
  write(text: string): void {
    appendFileSync(this.path, this.redactor.redact(text));
  }
}

/** Everything an engine command needs; shared by every step of a run. */
export interface RunContext {
  readonly engine: Engine;
  /** The engine's environment (TF_ENCRYPTION and the like); per-step variables are added to it. */
  readonly env: NodeJS.ProcessEnv;
  readonly log: RunLog;
  readonly redactor: Redactor;
  readonly output: Output;
  /** Stream the engine's output to the terminal as well. */
  readonly verbose: boolean;
  readonly signal?: AbortSignal;
  /** Start of the run, for elapsed times. */
  readonly started: number;
}

export interface EngineCall {
  readonly stack: string;
  readonly step: string;
  readonly cwd: string;
  readonly args: readonly string[];
  /** Added to the context's environment (TF_VAR_* from another stack's outputs). */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Keep stdout out of the log and the terminal (`output -json` and `show -json` carry secret
   * values); it is returned to the caller only.
   */
  readonly privateStdout?: boolean;
}

export interface EngineResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the engine in its own process group, so a Ctrl-C at the terminal reaches only this CLI,
 * which forwards exactly one SIGINT (a second one would make the engine abandon its work
 * mid-write) and waits for the engine to finish stopping.
 */
export function runEngine(ctx: RunContext, call: EngineCall): Promise<EngineResult> {
  if (ctx.signal?.aborted) return Promise.reject(new Interrupted(call.stack, call.step));
  const env: NodeJS.ProcessEnv = { ...ctx.env, ...call.env };
  ctx.log.write(`\n=== ${new Date().toISOString()} ${call.stack}: ${ctx.engine.name} ${call.args.join(' ')}\n`);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(ctx.engine.path, [...call.args], { cwd: call.cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let interrupted = false;
    const onAbort = () => {
      if (interrupted) return;
      interrupted = true;
      ctx.log.write(`\n=== interrupted: SIGINT sent to ${ctx.engine.name}, waiting for it to stop\n`);
      ctx.output.err(`  interrupt: asking ${ctx.engine.name} to stop ${call.step} of ${call.stack} cleanly (waiting)...`);
      try {
        child.kill('SIGINT');
      } catch {
        /* already gone */
      }
    };
    ctx.signal?.addEventListener('abort', onAbort, { once: true });
    const pass = (chunks: Buffer[], isStdout: boolean) => (chunk: Buffer) => {
      chunks.push(chunk);
      if (isStdout && call.privateStdout) return;
      const text = chunk.toString('utf8');
      ctx.log.write(text);
      if (ctx.verbose) {
        for (const line of ctx.redactor.redact(text).replace(/\n$/, '').split('\n')) ctx.output.err(`    | ${line}`);
      }
    };
    child.stdout.on('data', pass(stdout, true));
    child.stderr.on('data', pass(stderr, false));
    child.on('error', (error) => {
      ctx.signal?.removeEventListener('abort', onAbort);
      reject(new StackFailed(call.stack, call.step, `${ctx.engine.path} could not be started: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      ctx.signal?.removeEventListener('abort', onAbort);
      ctx.log.write(`=== exit ${code ?? signal}\n`);
      if (interrupted) return reject(new Interrupted(call.stack, call.step));
      resolvePromise({ code: code ?? 1, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') });
    });
  });
}

/** Runs the engine and throws StackFailed with the engine's error text unless it succeeds. */
export async function runEngineOk(ctx: RunContext, call: EngineCall): Promise<EngineResult> {
  const result = await runEngine(ctx, call);
  if (result.code !== 0) {
    throw new StackFailed(call.stack, call.step, ctx.redactor.redact(engineError(result.stderr || (call.privateStdout ? '' : result.stdout))));
  }
  return result;
}

/** The engine's error blocks (from the first `Error:`), without the box drawing; at most 30 lines. */
export function engineError(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.replace(/^[│╷╵]\s?/, '').replace(/\s+$/, ''));
  const first = lines.findIndex((l) => l.startsWith('Error:'));
  const picked = (first >= 0 ? lines.slice(first) : lines.slice(-15)).filter((l, i, all) => l !== '' || (all[i - 1] ?? '') !== '');
  return picked.slice(0, 30).join('\n').trim();
}

/** `1m 05s` style elapsed time. */
export function elapsed(since: number, now = Date.now()): string {
  const s = Math.round((now - since) / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
}
