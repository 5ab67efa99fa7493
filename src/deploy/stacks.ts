import { join } from 'node:path';
import { appsContractKeys, CONTRACT, variableEnv } from '../../stacks/contract';
import { stackName } from '../../stacks/naming';
import type { DeploymentSpec } from '../config/spec';
import type { Outputs, StackDefinition } from './orchestrator';
import { BACKUP_CREDENTIAL_ENV } from '../render/backup';
import { bundledMonitoringPossible } from '../render/monitoring/bundled';
import { ALERT_EMAIL_SECRET } from '../components/k8s/monitoring/bundled';
import { backendConfigArgs } from './state';
import { ownsNode } from '../config/node-target';

/** Apps-stack variables fed from infra-stack outputs (variable -> output), by the contract between them. */
export function appsInputs(spec: DeploymentSpec): Record<string, string> {
  return Object.fromEntries(appsContractKeys(spec).map((key) => [key, CONTRACT[key].output]));
}

/**
 * The synthesized stacks of a deployment as the orchestrator runs them: Hetzner gets infra then
 * apps (apps reads the cluster credentials from infra's outputs); an existing cluster gets only
 * apps, reached through the kubeconfig context.
 */
export function deploymentStacks(
  spec: DeploymentSpec,
  outdir: string,
  stateRoot: string,
  hooks: { afterInfra?: (outputs: Outputs) => Promise<void>; afterApps?: (outputs: Outputs) => Promise<void> } = {},
): StackDefinition[] {
  const dir = (layer: 'infra' | 'apps') => join(outdir, 'stacks', stackName(spec, layer));
  const apps: StackDefinition = {
    name: stackName(spec, 'apps'),
    layer: 'apps',
    dir: dir('apps'),
    backendArgs: backendConfigArgs(spec, 'apps', stateRoot),
    env: appsEnvironment(spec),
    afterApply: hooks.afterApps,
  };
  if (!ownsNode(spec.target)) return [apps];
  const infra: StackDefinition = {
    name: stackName(spec, 'infra'),
    layer: 'infra',
    dir: dir('infra'),
    backendArgs: backendConfigArgs(spec, 'infra', stateRoot),
    afterApply: hooks.afterInfra,
  };
  return [infra, { ...apps, inputs: { from: infra.name, variables: appsInputs(spec) } }];
}

/**
 * The apps stack's variables that come from the operator's environment, by Terraform variable
 * name: the external OIDC provider's client secret, the backup bucket's credentials and
 * passphrase, and the bundled Alertmanager's mail relay password. Read from the variables the deployment file names (preflight has checked them) and
 * handed to OpenTofu through the environment only.
 */
export function operatorSecrets(spec: DeploymentSpec): Record<string, string> {
  return {
    ...(spec.identity.mode === 'oidc' ? { oidc_client_secret: spec.identity.oidc.clientSecretEnv } : {}),
    ...(spec.backup.enabled
      ? {
          backup_access_key_id: BACKUP_CREDENTIAL_ENV.accessKeyId,
          backup_secret_access_key: BACKUP_CREDENTIAL_ENV.secretAccessKey,
          backup_passphrase: spec.backup.passphraseEnv,
        }
      : {}),
    ...(bundledMonitoringPossible(spec) && spec.monitoring.alertEmail?.auth ? { [ALERT_EMAIL_SECRET.variable]: spec.monitoring.alertEmail.auth.passwordEnv } : {}),
  };
}

export function appsEnvironment(spec: DeploymentSpec, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const [variable, name] of Object.entries(operatorSecrets(spec))) {
    const value = env[name];
    if (value !== undefined) vars[variableEnv(variable)] = value;
  }
  return vars;
}
