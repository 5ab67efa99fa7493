import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, resolve } from 'node:path';
import { parse } from 'yaml';
import type { DeploymentSpec } from '../config/spec';
import { variableEnv } from '../../stacks/contract';
import { publicIpv4Problem } from '../render/coturn';
import { MIN_PASSPHRASE_LENGTH, PASSPHRASE_ENV } from './state-encryption';
import { BACKUP_CREDENTIAL_ENV, MIN_BACKUP_PASSPHRASE_LENGTH } from '../render/backup';

/** Everything a deploy needs from the operator's environment; checked before anything runs. */
export interface PreflightOptions {
  /** `plan`/`deploy`/`destroy` encrypt state unless --no-state-encryption. */
  readonly stateEncryption: boolean;
  readonly engine: 'tofu' | 'terraform';
  readonly env?: NodeJS.ProcessEnv;
}

/** The variable that gives TURN's public address on an existing cluster (the apps stack's `turn_public_ipv4`). */
export const TURN_PUBLIC_IPV4_ENV = variableEnv('turn_public_ipv4');

/**
 * One thing plan/deploy/destroy need from the operator's machine: `validate` lists them, the
 * preflight checks them. Secret values are never printed, only names.
 */
export interface Requirement {
  /** The environment variable, or `kubeconfig`. */
  readonly name: string;
  /** What it is, in a few words (`validate` prints it next to the name). */
  readonly what: string;
  /** The sentence the preflight prints when it is missing or wrong; undefined when it is fine. */
  problem(env: NodeJS.ProcessEnv): string | undefined;
}

/** Every requirement of a deployment, in the order the preflight reports them. */
export function deployRequirements(spec: DeploymentSpec, options: Omit<PreflightOptions, 'env'>): Requirement[] {
  const list: Requirement[] = [];
  const unset = (env: NodeJS.ProcessEnv, name: string) => !env[name] || env[name]!.trim() === '';
  /** A variable that must be set; `missing` says what to do when it is not. */
  const variable = (name: string, what: string, missing: string, more?: (value: string) => string | undefined) =>
    list.push({ name, what, problem: (env) => (unset(env, name) ? `${name} is not set: ${missing}` : more?.(env[name]!)) });

  if (spec.target.kind === 'hetzner') {
    variable('HCLOUD_TOKEN', 'Hetzner Cloud API token (read & write) of the project', 'create an API token (read & write) in the Hetzner Cloud project and export HCLOUD_TOKEN');
  } else if (spec.target.kind === 'openstack') {
    list.push(openstackCredentials(spec.target.authUrl));
  } else {
    const { context, kubeconfig } = spec.target;
    list.push({
      name: 'kubeconfig',
      what: `context ${context} in ${kubeconfig ?? '$KUBECONFIG or ~/.kube/config'}`,
      problem: (env) => kubeContextProblem(context, kubeconfig, env),
    });
    if (spec.calls.turn) {
      variable(
        TURN_PUBLIC_IPV4_ENV,
        `public IPv4 address clients reach coturn at (the node's, or a UDP load balancer's)`,
        'on an existing cluster, export the public IPv4 address coturn is reached at (calls.turn is on)',
        (value) => {
          const problem = publicIpv4Problem(value);
          return problem && `${TURN_PUBLIC_IPV4_ENV} ${problem}`;
        },
      );
    }
  }
  if (spec.identity.mode === 'oidc') {
    const { clientSecretEnv, clientId, issuer } = spec.identity.oidc;
    variable(clientSecretEnv, `OIDC client secret of ${clientId} at ${issuer}`, `it must hold the OIDC client secret of ${clientId} at ${issuer} (identity.oidc.client_secret_env)`);
  }
  if (spec.backup.enabled) {
    const { bucket, endpoint } = spec.backup.s3;
    const where = `the backup bucket ${bucket} at ${endpoint}`;
    const keys = [[BACKUP_CREDENTIAL_ENV.accessKeyId, 'access key ID'], [BACKUP_CREDENTIAL_ENV.secretAccessKey, 'secret access key']];
    for (const [name, part] of keys) {
      variable(name, `${part} for ${where} (a key for that bucket only)`, `${where} needs its access key (backup; use a key for that bucket only)`);
    }
    const passphrase = spec.backup.passphraseEnv;
    variable(
      passphrase,
      `backup encryption passphrase, ${MIN_BACKUP_PASSPHRASE_LENGTH}+ characters; it can never change`,
      `backups are encrypted with this passphrase before they leave the cluster (at least ${MIN_BACKUP_PASSPHRASE_LENGTH} characters; keep a copy outside the cluster, it can never change; backup.passphrase_env)`,
      (value) => (value.length < MIN_BACKUP_PASSPHRASE_LENGTH ? `${passphrase} is too short: the backup passphrase needs at least ${MIN_BACKUP_PASSPHRASE_LENGTH} characters` : undefined),
    );
  }
  const email = spec.monitoring.alertEmail;
  if (email?.auth && spec.monitoring.stack !== 'prometheus-operator') {
    const { username, passwordEnv } = email.auth;
    variable(passwordEnv, `password of ${username} at the alert mail relay ${email.smarthost}`, `the bundled Alertmanager logs in to ${email.smarthost} as ${username} with it (monitoring.alert_email.password_env)`);
  }
  if (spec.state.kind === 's3') {
    const { bucket, endpoint } = spec.state;
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) {
      variable(name, `${name === 'AWS_ACCESS_KEY_ID' ? 'access key ID' : 'secret access key'} for the state bucket ${bucket} at ${endpoint}`, `the S3 state bucket ${bucket} at ${endpoint} needs its access key in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`);
    }
  }
  if (options.stateEncryption) {
    if (options.engine !== 'tofu') {
      const refusal = 'state encryption needs OpenTofu: Terraform cannot encrypt state on the client; use --engine tofu, or pass --no-state-encryption explicitly (and rely on the backend encrypting at rest)';
      list.push({ name: 'OpenTofu', what: 'the engine for state encryption', problem: () => refusal });
    } else {
      variable(
        PASSPHRASE_ENV,
        `state encryption passphrase, ${MIN_PASSPHRASE_LENGTH}+ characters (or --no-state-encryption)`,
        `state holds the deployment's secrets and is encrypted with this passphrase (at least ${MIN_PASSPHRASE_LENGTH} characters; keep it in your password manager); --no-state-encryption turns encryption off explicitly`,
        (value) => (value.length < MIN_PASSPHRASE_LENGTH ? `${PASSPHRASE_ENV} is too short: OpenTofu needs at least ${MIN_PASSPHRASE_LENGTH} characters` : undefined),
      );
    }
  }
  return list;
}

/**
 * Returns one line per missing credential or setting, naming the variable or file; empty when
 * everything is there. Secret values are never printed, only names.
 */
export function missingCredentials(spec: DeploymentSpec, options: PreflightOptions): string[] {
  const env = options.env ?? process.env;
  return deployRequirements(spec, options).flatMap((r) => r.problem(env) ?? []);
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

/**
 * The OpenStack provider reads its credentials from the environment only: OS_CLOUD naming an entry
 * of clouds.yaml, or the OS_* variables of the project's openrc file (a password or, better, an
 * application credential). The deployment file never holds them.
 */
export function openstackCredentials(authUrl: string | undefined): Requirement {
  const set = (env: NodeJS.ProcessEnv, name: string) => (env[name] ?? '').trim() !== '';
  return {
    name: 'OpenStack credentials',
    what: 'OS_CLOUD (an entry of clouds.yaml), or the OS_* variables of the project\'s openrc file',
    problem: (env) => {
      if (set(env, 'OS_CLOUD')) return undefined;
      const missing: string[] = [];
      if (!authUrl && !set(env, 'OS_AUTH_URL')) missing.push('OS_AUTH_URL');
      const appCredential = set(env, 'OS_APPLICATION_CREDENTIAL_ID') || set(env, 'OS_APPLICATION_CREDENTIAL_NAME');
      if (appCredential) {
        if (!set(env, 'OS_APPLICATION_CREDENTIAL_SECRET')) missing.push('OS_APPLICATION_CREDENTIAL_SECRET');
      } else if (!set(env, 'OS_TOKEN')) {
        for (const name of ['OS_USERNAME', 'OS_PASSWORD']) if (!set(env, name)) missing.push(name);
      }
      if (missing.length === 0) return undefined;
      return `OpenStack credentials are incomplete (${missing.join(', ')} not set): export OS_CLOUD with a clouds.yaml entry, or source the project's openrc file (an application credential is best)`;
    },
  };
}
