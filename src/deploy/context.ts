import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Engine } from '../shared/engine';
import type { Output } from '../shared/output';
import { encryptionConfig, PASSPHRASE_ENV } from '../operations/state-encryption';
import { Redactor, RunLog, type RunContext } from './runner';
import { logDir } from './state';
import { CONTRACT, variableEnv, type ContractKey } from '../../stacks/contract';

export interface RunSetup {
  readonly engine: Engine;
  readonly deployment: string;
  /** plan, deploy or destroy: part of the log file name. */
  readonly command: string;
  /** The state directory (logs go to <root>/<deployment>/logs/). */
  readonly root: string;
  readonly output: Output;
  readonly verbose: boolean;
  /** Encrypt state and plans with the passphrase from SOVEREIGN_MATRIX_STATE_PASSPHRASE (OpenTofu). */
  readonly stateEncryption: boolean;
  readonly signal?: AbortSignal;
  readonly env?: NodeJS.ProcessEnv;
  /** Names of environment variables whose values must never reach a log (the OIDC secret, ...). */
  readonly secretEnv?: readonly string[];
}

/** Variables whose values are secrets wherever the kit runs (with the contract's secret outputs, should an operator set them). */
const ALWAYS_SECRET = [
  PASSPHRASE_ENV,
  'HCLOUD_TOKEN',
  // OpenStack credentials (openrc files and application credentials); OS_CLOUD only names a clouds.yaml entry.
  'OS_PASSWORD',
  'OS_APPLICATION_CREDENTIAL_SECRET',
  'OS_TOKEN',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  ...(Object.keys(CONTRACT) as ContractKey[]).filter((key) => CONTRACT[key].sensitive.output).map(variableEnv),
];

/**
 * The engine's environment and the run's log: automation mode, no engine debug logging (TF_LOG
 * would write sensitive values), state encryption through TF_ENCRYPTION, and every known secret
 * registered for redaction. The log is `<root>/<deployment>/logs/<time>-<command>.log`.
 */
export function createRunContext(setup: RunSetup): RunContext & { planDir: string } {
  const base = setup.env ?? process.env;
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(base)) if (!k.startsWith('TF_LOG')) env[k] = v;
  Object.assign(env, { TF_IN_AUTOMATION: '1', TF_INPUT: '0', CHECKPOINT_DISABLE: '1' });
  const redactor = new Redactor();
  for (const name of [...ALWAYS_SECRET, ...(setup.secretEnv ?? [])]) redactor.add(base[name]);
  if (setup.stateEncryption) env.TF_ENCRYPTION = encryptionConfig(base[PASSPHRASE_ENV] ?? '');
  mkdirSync(join(setup.root, setup.deployment), { recursive: true, mode: 0o700 });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const log = new RunLog(join(logDir(setup.root, setup.deployment), `${stamp}-${setup.command}.log`), redactor);
  const planDir = mkdtempSync(join(tmpdir(), `sovereign-matrix-${setup.deployment}-`));
  return { engine: setup.engine, env, log, redactor, output: setup.output, verbose: setup.verbose, signal: setup.signal, started: Date.now(), planDir };
}
