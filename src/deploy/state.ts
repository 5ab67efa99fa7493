import { isAbsolute, join, resolve } from 'node:path';
import type { Layer } from '../../stacks/naming';
import type { DeploymentSpec } from '../config/spec';

/** Overrides the directory that holds local state and run logs (default ./state). */
export const STATE_DIR_ENV = 'SOVEREIGN_MATRIX_STATE_DIR';
export const DEFAULT_STATE_DIR = 'state';

/** The state directory, absolute: $SOVEREIGN_MATRIX_STATE_DIR or ./state. */
export function stateRoot(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  const dir = env[STATE_DIR_ENV] || DEFAULT_STATE_DIR;
  return isAbsolute(dir) ? dir : resolve(cwd, dir);
}

/** `<root>/<deployment>/<layer>.tfstate`: one local state file per deployment and layer. */
export function localStatePath(root: string, deployment: string, layer: Layer | string): string {
  return join(root, deployment, `${layer}.tfstate`);
}

/** Where each run's full engine output goes: `<root>/<deployment>/logs/`. */
export function logDir(root: string, deployment: string): string {
  return join(root, deployment, 'logs');
}

/**
 * `-backend-config` arguments for `init`. The synthesized JSON keeps its relative local path (so
 * it is identical on every machine); the real location is chosen here. An S3 backend is declared
 * in full in the JSON (from the deployment file's `state.s3`) and needs nothing: its credentials
 * come from the environment.
 */
export function backendConfigArgs(spec: DeploymentSpec, layer: Layer | string, root: string): string[] {
  if (spec.state.kind === 's3') return [];
  return [`-backend-config=path=${localStatePath(root, spec.name, layer)}`];
}

/** One line saying where a deployment's state lives. */
export function describeState(spec: DeploymentSpec, root: string): string {
  if (spec.state.kind === 's3') {
    const { endpoint, bucket, keyPrefix, region } = spec.state;
    return `s3://${bucket}/${keyPrefix}/<layer>.tfstate at ${endpoint} (region ${region})`;
  }
  return `${join(root, spec.name)}/<layer>.tfstate`;
}
