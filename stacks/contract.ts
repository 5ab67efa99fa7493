import { ownsNode } from '../src/config/node-target';
import type { DeploymentSpec } from '../src/config/spec';

/**
 * The contract between the two stacks of a deployment on the kit's own node (Hetzner, OpenStack): the values the infra stack exports
 * as outputs and the apps stack declares as variables; deploy reads the outputs after the infra
 * apply and hands them to the apps stack as TF_VAR_<variable>. One entry per value, keyed by the
 * apps stack's variable name. stacks/contract-terraform.ts makes the outputs and variables from
 * this table, so neither side can drift from the other.
 *
 * cdktf-free, like naming.ts: deploy, validate and init read it without loading cdktf.
 */
export interface ContractEntry {
  /** The infra stack's output that carries the value. */
  readonly output: string;
  /** Terraform type, on both sides. */
  readonly type: 'string';
  /**
   * Masked in `tofu output` (output) and in plans (variable). The apps stack takes every cluster
   * credential as a sensitive variable, so no plan prints how it reaches the cluster; the infra
   * stack masks only what is secret, so the operator reads the API address and CA with `tofu output`.
   */
  readonly sensitive: { readonly output: boolean; readonly variable: boolean };
  readonly description: { readonly output: string; readonly variable: string };
}

/** The node's public IPv4 address, an output of the infra stack (also printed after deploy). */
export const NODE_IPV4_OUTPUT = 'ipv4';

export const CONTRACT = {
  kube_host: {
    output: 'kube_host',
    type: 'string',
    sensitive: { output: false, variable: true },
    description: {
      output: 'Kubernetes API of the k3s node; reachable from admin_cidrs only.',
      variable: 'Kubernetes API URL of the k3s node (infra stack output).',
    },
  },
  kube_cluster_ca_certificate: {
    output: 'kube_cluster_ca_certificate',
    type: 'string',
    sensitive: { output: false, variable: true },
    description: {
      output: 'CA that signs the API server certificate.',
      variable: 'PEM CA certificate of the k3s API (infra stack output).',
    },
  },
  kube_client_certificate: {
    output: 'kube_client_certificate',
    type: 'string',
    sensitive: { output: true, variable: true },
    description: {
      output: 'Client certificate of the kit (cluster-admin).',
      variable: 'PEM client certificate for the kit (infra stack output).',
    },
  },
  kube_client_key: {
    output: 'kube_client_key',
    type: 'string',
    sensitive: { output: true, variable: true },
    description: {
      output: 'Client key of the kit.',
      variable: 'PEM client key for the kit (infra stack output).',
    },
  },
  turn_public_ipv4: {
    output: NODE_IPV4_OUTPUT,
    type: 'string',
    sensitive: { output: false, variable: false },
    description: {
      output: 'Public IPv4 address of the node.',
      variable: `Public IPv4 address of the node that runs coturn (the infra stack output ${NODE_IPV4_OUTPUT} on Hetzner and OpenStack).`,
    },
  },
} as const satisfies Record<string, ContractEntry>;

export type ContractKey = keyof typeof CONTRACT;

/** What the apps stack's Kubernetes provider connects with on the k3s node the infra stack builds. */
export const CLUSTER_CREDENTIALS = ['kube_host', 'kube_cluster_ca_certificate', 'kube_client_certificate', 'kube_client_key'] as const satisfies readonly ContractKey[];

/**
 * The contract's variables the apps stack of a deployment declares: the cluster credentials where
 * the kit builds the cluster (an existing one is reached through the kubeconfig), and TURN's
 * public address when calls.turn is on (on an existing cluster the operator gives it, see
 * `variableEnv`).
 */
export function appsContractKeys(spec: DeploymentSpec): ContractKey[] {
  return [...(ownsNode(spec.target) ? CLUSTER_CREDENTIALS : []), ...(spec.calls.turn ? (['turn_public_ipv4'] as const) : [])];
}

/** The environment variable Terraform and OpenTofu read a root module's variable from. */
export function variableEnv(variable: string): string {
  return `TF_VAR_${variable}`;
}

/** The infra stack's outputs the apps stack needs to reach the cluster, in the contract's order. */
export function clusterCredentialOutputs(): string[] {
  return CLUSTER_CREDENTIALS.map((key) => CONTRACT[key].output);
}
