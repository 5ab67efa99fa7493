import type { DeploymentSpec, NodeTarget } from './spec';

/**
 * Whether the kit builds the deployment's k3s node itself (Hetzner or OpenStack), rather than
 * deploying onto an existing cluster. Everything that follows from owning the node asks this, not
 * which cloud: the infra stack and its contract, Traefik's ACME resolver, the node's firewall and
 * metrics, the data volume's size. What differs between clouds asks `target.kind`.
 */
export function ownsNode(target: DeploymentSpec['target']): target is NodeTarget {
  return target.kind === 'hetzner' || target.kind === 'openstack';
}

/** The node target of a deployment; throws where the kit builds no node (a programming error). */
export function nodeTarget(spec: DeploymentSpec): NodeTarget {
  if (!ownsNode(spec.target)) throw new Error(`${spec.name}: the kit builds no node on target ${spec.target.kind}`);
  return spec.target;
}

/** Human name of where the node runs: `hetzner fsn1 cx43`, `openstack ovhcloud GRA11 b3-32`. */
export function nodePlace(target: NodeTarget): string {
  return target.kind === 'hetzner'
    ? `hetzner ${target.location} ${target.serverType}`
    : `openstack ${target.cloud} ${target.region} ${target.flavor}`;
}
