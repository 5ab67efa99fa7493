import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import YAML from 'yaml';
import type { DeploymentSpec } from '../config/spec';
import { namespaceName } from '../render/namespace';
import { CLUSTER_CREDENTIALS, CONTRACT } from '../../stacks/contract';
import type { Outputs } from './orchestrator';

/**
 * A kubeconfig for the k3s node of a Hetzner deployment, made from the infra stack's outputs (the
 * same credentials the apps stack connects with). The backup commands and `kubectl port-forward`
 * to the monitoring stack need one; without this an operator would assemble it by hand from
 * `tofu output -raw`, which writes the client key to the terminal.
 *
 * The file holds a cluster-admin key: it is created with mode 0600 and never replaces an existing
 * file, so a kubeconfig the operator already has is not lost.
 */
export function kubeconfigText(spec: DeploymentSpec, outputs: Outputs): string {
  const value = (key: (typeof CLUSTER_CREDENTIALS)[number]) => {
    const output = CONTRACT[key].output;
    const found = outputs[output]?.value;
    if (typeof found !== 'string' || found === '') throw new MissingOutputs([output]);
    return found;
  };
  const missing = CLUSTER_CREDENTIALS.map((key) => CONTRACT[key].output).filter((output) => typeof outputs[output]?.value !== 'string');
  if (missing.length > 0) throw new MissingOutputs(missing);
  const b64 = (pem: string) => Buffer.from(pem, 'utf8').toString('base64');
  // One name for cluster, user and context: the deployment's, so several deployments' files merge
  // (KUBECONFIG=a:b) without clashing.
  const name = spec.name;
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: value('kube_host'), 'certificate-authority-data': b64(value('kube_cluster_ca_certificate')) } }],
    users: [{ name, user: { 'client-certificate-data': b64(value('kube_client_certificate')), 'client-key-data': b64(value('kube_client_key')) } }],
    contexts: [{ name, context: { cluster: name, user: name, namespace: namespaceName(spec) } }],
    'current-context': name,
  };
  return `# kubeconfig of the k3s node of ${spec.name} (cluster-admin; keep it like the state). Written by sovereign-matrix kubeconfig.\n${YAML.stringify(config, { lineWidth: 0 })}`;
}

/** The infra stack has not been applied (or not by this kit version): these outputs are missing. */
export class MissingOutputs extends Error {
  constructor(readonly outputs: readonly string[]) {
    super(`the infra stack has no output ${outputs.join(', ')}`);
  }
}

/** The file exists already; nothing was written. */
export class FileExists extends Error {}

/** Creates `path` with mode 0600; refuses to replace an existing file. */
export function writePrivateFile(path: string, text: string): void {
  if (existsSync(path)) throw new FileExists(`${path} exists; nothing was written (choose another path, or remove it first)`);
  // 'wx': the open itself fails if the file appeared meanwhile; the mode applies at creation.
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}
