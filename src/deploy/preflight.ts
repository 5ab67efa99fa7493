import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, resolve } from 'node:path';
import { parse } from 'yaml';
import type { DeploymentSpec } from '../config/spec';
import { MIN_PASSPHRASE_LENGTH, PASSPHRASE_ENV } from './encryption';
import { BACKUP_CREDENTIAL_ENV, MIN_BACKUP_PASSPHRASE_LENGTH } from '../render/backup';

/** Everything a deploy needs from the operator's environment; checked before anything runs. */
export interface PreflightOptions {
  /** `plan`/`deploy`/`destroy` encrypt state unless --no-state-encryption. */
  readonly stateEncryption: boolean;
  readonly engine: 'tofu' | 'terraform';
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Returns one line per missing credential or setting, naming the variable or file; empty when
 * everything is there. Values are never printed, only names.
 */
export function missingCredentials(spec: DeploymentSpec, options: PreflightOptions): string[] {
  const env = options.env ?? process.env;
  const missing: string[] = [];
  const unset = (name: string) => !env[name] || env[name]!.trim() === '';

  if (spec.target.kind === 'hetzner') {
    if (unset('HCLOUD_TOKEN')) missing.push('HCLOUD_TOKEN is not set: create an API token (read & write) in the Hetzner Cloud project and export HCLOUD_TOKEN');
  } else {
    const problem = kubeContextProblem(spec.target.context, spec.target.kubeconfig, env);
    if (problem) missing.push(problem);
    if (spec.calls.turn && unset('TF_VAR_turn_public_ipv4')) {
      missing.push('TF_VAR_turn_public_ipv4 is not set: on an existing cluster, export the public IPv4 address coturn is reached at (calls.turn is on)');
    }
  }
  if (spec.identity.mode === 'oidc' && unset(spec.identity.oidc.clientSecretEnv)) {
    missing.push(`${spec.identity.oidc.clientSecretEnv} is not set: it must hold the OIDC client secret of ${spec.identity.oidc.clientId} at ${spec.identity.oidc.issuer} (identity.oidc.client_secret_env)`);
  }
  if (spec.backup.enabled) {
    const where = `the backup bucket ${spec.backup.s3.bucket} at ${spec.backup.s3.endpoint}`;
    for (const name of [BACKUP_CREDENTIAL_ENV.accessKeyId, BACKUP_CREDENTIAL_ENV.secretAccessKey]) {
      if (unset(name)) missing.push(`${name} is not set: ${where} needs its access key (backup; use a key for that bucket only)`);
    }
    const passphrase = spec.backup.passphraseEnv;
    if (unset(passphrase)) {
      missing.push(`${passphrase} is not set: backups are encrypted with this passphrase before they leave the cluster (at least ${MIN_BACKUP_PASSPHRASE_LENGTH} characters; keep a copy outside the cluster, it can never change; backup.passphrase_env)`);
    } else if (env[passphrase]!.length < MIN_BACKUP_PASSPHRASE_LENGTH) {
      missing.push(`${passphrase} is too short: the backup passphrase needs at least ${MIN_BACKUP_PASSPHRASE_LENGTH} characters`);
    }
  }
  if (spec.state.kind === 's3') {
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) {
      if (unset(name)) missing.push(`${name} is not set: the S3 state bucket ${spec.state.bucket} at ${spec.state.endpoint} needs its access key in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`);
    }
  }
  if (options.stateEncryption) {
    if (options.engine !== 'tofu') {
      missing.push('state encryption needs OpenTofu: Terraform cannot encrypt state on the client; use --engine tofu, or pass --no-state-encryption explicitly (and rely on the backend encrypting at rest)');
    } else if (unset(PASSPHRASE_ENV)) {
      missing.push(`${PASSPHRASE_ENV} is not set: state holds the deployment's secrets and is encrypted with this passphrase (at least ${MIN_PASSPHRASE_LENGTH} characters; keep it in your password manager); --no-state-encryption turns encryption off explicitly`);
    } else if (env[PASSPHRASE_ENV]!.length < MIN_PASSPHRASE_LENGTH) {
      missing.push(`${PASSPHRASE_ENV} is too short: OpenTofu needs at least ${MIN_PASSPHRASE_LENGTH} characters`);
    }
  }
  return missing;
}

/** The kubeconfig files the engine would read, in order (the target's file, KUBECONFIG, ~/.kube/config). */
export function kubeconfigFiles(kubeconfig: string | undefined, env: NodeJS.ProcessEnv): string[] {
  const expand = (p: string) => resolve(p.replace(/^~(?=$|\/)/, homedir()));
  if (kubeconfig) return [expand(kubeconfig)];
  if (env.KUBECONFIG) return env.KUBECONFIG.split(delimiter).filter(Boolean).map(expand);
  return [expand('~/.kube/config')];
}

function kubeContextProblem(context: string, kubeconfig: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  const files = kubeconfigFiles(kubeconfig, env);
  const existing = files.filter((f) => existsSync(f));
  if (existing.length === 0) return `kubeconfig ${files.join(', ')} does not exist: target.kubernetes.context '${context}' needs it (set target.kubernetes.kubeconfig or KUBECONFIG)`;
  const contexts = new Set<string>();
  for (const file of existing) {
    try {
      const doc = parse(readFileSync(file, 'utf8')) as { contexts?: { name?: string }[] } | null;
      for (const c of doc?.contexts ?? []) if (c?.name) contexts.add(c.name);
    } catch {
      return `kubeconfig ${file} is not valid YAML`;
    }
  }
  if (!contexts.has(context)) {
    const known = [...contexts].sort();
    return `kubeconfig context '${context}' (target.kubernetes.context) is not in ${existing.join(', ')}${known.length ? ` (it has: ${known.join(', ')})` : ''}`;
  }
  return undefined;
}
