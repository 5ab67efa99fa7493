import { spawnSync } from 'node:child_process';
import { delimiter, join } from 'node:path';
import { existsSync } from 'node:fs';

/** The Terraform-compatible engine that reads our JSON: OpenTofu by default, Terraform on request. */
export interface Engine {
  readonly name: 'tofu' | 'terraform';
  /** Absolute path of the binary. */
  readonly path: string;
  readonly version: string;
}

/** A command-line tool the CLI needs is missing or failed; exit code 3. */
export class ToolError extends Error {}

/**
 * The engine's `init` could not prepare a stack: a provider is not installable (not in the mirror,
 * no matching release) or the registry or mirror is unreachable. Says nothing about whether the
 * stack is valid; `check` exits with its own code for it.
 */
export class EngineInitError extends Error {
  constructor(
    readonly engine: Engine['name'],
    /** The engine's last lines, which name the provider and the cause. */
    readonly detail: string,
  ) {
    super(`${engine} init failed: ${detail}`);
    this.name = 'EngineInitError';
  }
}

export const ENGINE_ENV = 'SOVEREIGN_MATRIX_ENGINE';

const INSTALL_HINT: Record<Engine['name'], string> = {
  tofu:
    'install OpenTofu (https://opentofu.org/docs/intro/install/), or build it and the pinned providers with scripts/tools.sh and `source ~/.cache/sovereign-matrix/tools/env.sh`',
  terraform: 'install Terraform (https://developer.hashicorp.com/terraform/install)',
};

/** Finds the engine named by the option or SOVEREIGN_MATRIX_ENGINE (default tofu) on PATH. */
export function findEngine(requested?: string): Engine {
  const name = requested ?? process.env[ENGINE_ENV] ?? 'tofu';
  if (name !== 'tofu' && name !== 'terraform') {
    throw new ToolError(`unknown engine '${name}' (expected tofu or terraform)`);
  }
  const path = (process.env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, name))
    .find((candidate) => existsSync(candidate));
  if (!path) throw new ToolError(`${name} is not on PATH; ${INSTALL_HINT[name]}`);
  const result = spawnSync(path, ['version', '-json'], { encoding: 'utf8', env: process.env });
  if (result.status !== 0) throw new ToolError(`${path} version failed: ${firstLine(result.stderr || result.stdout)}`);
  // Warnings about the CLI configuration are printed before the JSON on stdout.
  const json = result.stdout.slice(result.stdout.indexOf('{'));
  const version = (JSON.parse(json) as { terraform_version: string }).terraform_version;
  return { name, path, version };
}

/** One diagnostic from `validate -json`. */
export interface Diagnostic {
  readonly severity: 'error' | 'warning';
  readonly summary: string;
  readonly detail?: string;
  readonly address?: string;
}

/**
 * `init` (no backend: validation needs only the providers) and `validate` in a synthesized stack
 * directory. Returns the engine's diagnostics; throws EngineInitError when `init` fails (the
 * stack was not judged) and ToolError when the engine cannot even run.
 */
export function validateStack(engine: Engine, stackDir: string): Diagnostic[] {
  const env = { ...process.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' };
  const init = spawnSync(engine.path, ['init', '-backend=false', '-input=false', '-no-color'], { cwd: stackDir, encoding: 'utf8', env });
  if (init.status !== 0) throw new EngineInitError(engine.name, lastLines(init.stderr || init.stdout));
  const validate = spawnSync(engine.path, ['validate', '-json', '-no-color'], { cwd: stackDir, encoding: 'utf8', env });
  let parsed: { diagnostics?: { severity: string; summary: string; detail?: string; address?: string }[] };
  try {
    parsed = JSON.parse(validate.stdout);
  } catch {
    throw new ToolError(`${engine.name} validate gave no JSON: ${lastLines(validate.stderr || validate.stdout)}`);
  }
  return (parsed.diagnostics ?? []).map((d) => ({
    severity: d.severity === 'warning' ? 'warning' : 'error',
    summary: d.summary,
    detail: d.detail,
    address: d.address,
  }));
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}

function lastLines(text: string, count = 8): string {
  return text.trim().split('\n').slice(-count).join('\n');
}

/** Oldest releases the deploy commands accept: OpenTofu 1.8 for state encryption. */
export const MINIMUM_ENGINE_VERSION: Record<Engine['name'], string> = { tofu: '1.8.0', terraform: '1.5.0' };

/**
 * Refuses an engine older than the kit needs for plan/deploy/destroy (OpenTofu 1.8 for
 * client-side state encryption; Terraform 1.5), with the install hint.
 */
export function requireEngineVersion(engine: Engine): void {
  const minimum = MINIMUM_ENGINE_VERSION[engine.name];
  if (compareVersions(engine.version, minimum) < 0) {
    throw new ToolError(`${engine.name} ${engine.version} is too old: plan, deploy and destroy need ${engine.name} ${minimum} or later; ${INSTALL_HINT[engine.name]}`);
  }
}

/** Compares dotted versions numerically (`1.10.0` > `1.9.3`); pre-release suffixes are ignored. */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => v.replace(/^v/, '').split(/[-+]/)[0].split('.').map((n) => Number.parseInt(n, 10) || 0);
  const [x, y] = [parse(a), parse(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}
