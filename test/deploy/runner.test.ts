import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { elapsed, engineError, Interrupted, Redactor, RunLog, runEngine, runEngineOk, StackFailed, type RunContext } from '../../src/deploy/runner';
import type { Engine } from '../../src/shared/engine';
import { tempDir } from '../helpers';

describe('engine', () => {
  it('extracts the engine error and redacts known secrets', () => {
    const r = new Redactor();
    r.add('hunter2-secret');
    const text = 'Plan: 1 to add\n╷\n│ Error: local-exec provisioner error\n│ \n│ token hunter2-secret rejected\n╵\n';
    expect(r.redact(engineError(text))).toBe('Error: local-exec provisioner error\n\ntoken *** rejected');
  });
});

describe('running the engine', () => {
  /** A stand-in engine: a shell script that prints what it is told and exits with the given code. */
  function fakeEngine(script: string): Engine {
    const path = join(tempDir(), 'tofu');
    writeFileSync(path, `#!/bin/sh\n${script}\n`, { mode: 0o755 });
    return { name: 'tofu', path, version: '1.10.0' };
  }
  function context(engine: Engine, signal?: AbortSignal): RunContext & { lines: string[] } {
    const lines: string[] = [];
    const redactor = new Redactor();
    redactor.add('hunter2-secret');
    const log = new RunLog(join(tempDir(), 'logs', 'run.log'), redactor);
    return { engine, env: { PATH: process.env.PATH }, log, redactor, output: { out: (l) => lines.push(l), err: (l) => lines.push(l) }, verbose: false, signal, started: Date.now(), lines };
  }

  it('returns the exit code and output; the log is private and has the secrets redacted', async () => {
    const ctx = context(fakeEngine('echo "plan with hunter2-secret"; echo "to stderr" >&2; exit 0'));
    const result = await runEngine(ctx, { stack: 's', step: 'plan', cwd: tempDir(), args: ['plan'] });
    expect(result).toEqual({ code: 0, stdout: 'plan with hunter2-secret\n', stderr: 'to stderr\n' });
    const log = readFileSync(ctx.log.path, 'utf8');
    expect(log).toContain('plan with ***');
    expect(log).not.toContain('hunter2-secret');
    expect(statSync(ctx.log.path).mode & 0o777).toBe(0o600);
  });

  it('keeps private stdout (output -json, show -json) out of the log', async () => {
    const ctx = context(fakeEngine('echo \'{"kube_client_key":{"value":"KEY-MATERIAL"}}\''));
    const result = await runEngine(ctx, { stack: 's', step: 'output', cwd: tempDir(), args: ['output', '-json'], privateStdout: true });
    expect(result.stdout).toContain('KEY-MATERIAL');
    expect(readFileSync(ctx.log.path, 'utf8')).not.toContain('KEY-MATERIAL');
  });

  it('passes the context environment and the call environment to the engine', async () => {
    const ctx = context(fakeEngine('echo "$TF_VAR_a $TF_IN_TEST"'));
    ctx.env.TF_IN_TEST = 'ctx';
    const result = await runEngine(ctx, { stack: 's', step: 'plan', cwd: tempDir(), args: [], env: { TF_VAR_a: 'call' } });
    expect(result.stdout).toBe('call ctx\n');
  });

  it('throws StackFailed with the redacted engine error when the command fails', async () => {
    const ctx = context(fakeEngine('printf "noise\\n\\n\\342\\225\\267\\n\\342\\224\\202 Error: bad token hunter2-secret\\n" >&2; exit 1'));
    const error = await runEngineOk(ctx, { stack: 'ministry-infra', step: 'apply', cwd: tempDir(), args: ['apply'] }).catch((e) => e);
    expect(error).toBeInstanceOf(StackFailed);
    expect(error.message).toBe('apply of ministry-infra failed');
    expect(error.detail).toBe('Error: bad token ***');
  });

  it('says when the engine cannot be started, and does not start it once interrupted', async () => {
    const missing = context({ name: 'tofu', path: join(tempDir(), 'no-such-tofu'), version: '1.10.0' });
    await expect(runEngine(missing, { stack: 's', step: 'init', cwd: tempDir(), args: [] })).rejects.toThrow(StackFailed);
    const controller = new AbortController();
    controller.abort();
    const aborted = context(fakeEngine('exit 0'), controller.signal);
    const error = await runEngine(aborted, { stack: 's', step: 'plan', cwd: tempDir(), args: [] }).catch((e) => e);
    expect(error).toBeInstanceOf(Interrupted);
    expect(error.message).toBe('interrupted during plan of s');
  });
});

describe('redaction and elapsed time', () => {
  it('replaces the longest secret first, and ignores values too short to be secrets', () => {
    const r = new Redactor();
    r.add('abcd', 'abcdefgh', 'ab', undefined);
    expect(r.redact('x abcdefgh y abcd z ab')).toBe('x *** y *** z ab');
  });

  it('keeps the last lines when the engine wrote no Error:', () => {
    const text = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join('\n');
    expect(engineError(text).split('\n')).toEqual(Array.from({ length: 15 }, (_, i) => `line ${i + 6}`));
  });

  it('writes elapsed time as seconds, then minutes and two-digit seconds', () => {
    expect(elapsed(0, 4_400)).toBe('4s');
    expect(elapsed(0, 59_000)).toBe('59s');
    expect(elapsed(0, 65_000)).toBe('1m 05s');
    expect(elapsed(1_000, 3_601_000)).toBe('60m 00s');
  });
});
