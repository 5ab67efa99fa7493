import type { DeploymentSpec } from '../src/config/spec';

/**
 * Stack names, apart from the stack classes so that the commands (deploy, state, docs) can name a
 * stack without loading cdktf.
 */

/** The layers a deployment is split into, in the order they are applied. */
export type Layer = 'infra' | 'apps';

/** `<deployment>-<layer>`: the stack's directory under cdktf.out/stacks and its state name. */
export function stackName(spec: DeploymentSpec, layer: Layer): string {
  return `${spec.name}-${layer}`;
}

/** The apps stack's output naming the monitoring stack OpenTofu chose at plan time (monitoring.stack auto only). */
export const MONITORING_STACK_OUTPUT = 'monitoring_stack';
