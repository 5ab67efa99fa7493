import type { INetworkPolicyEgressRule } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyEgressRule';
import type { INetworkPolicySpec } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicySpec';
import { PORTS } from '../../ports';
import { hasWorkers, SYNAPSE_PROCESS_HOSTS } from '../../render/synapse-workers';
import type { AppsContext } from './apps-context';

/** A pod selector as network policies write it. */
type ILabelSelector = INetworkPolicySpec['podSelector'];
type Policy = (name: string, spec: INetworkPolicySpec) => void;
type Pods = (component: string) => ILabelSelector;

/**
 * The flows workers add, and nothing more: the router to every process's HTTP port, the processes
 * to each other's replication port (only writers and the main process listen there) and to Redis.
 * Without workers there is no router or Redis, and no policy.
 */
export function workerPolicies(ctx: AppsContext, policy: Policy, synapse: ILabelSelector, pods: Pods): void {
  if (!hasWorkers(ctx.spec)) return;
  const tcp = (port: number) => [{ port, protocol: 'TCP' as const }];
  policy('allow-synapse-from-router', {
    podSelector: synapse,
    policyTypes: ['Ingress'],
    ingress: [{ from: [{ podSelector: pods(SYNAPSE_PROCESS_HOSTS.router) }], ports: tcp(PORTS.synapseHttp) }],
  });
  policy('allow-synapse-replication', {
    podSelector: synapse,
    policyTypes: ['Ingress'],
    ingress: [{ from: [{ podSelector: synapse }], ports: tcp(PORTS.synapseReplication) }],
  });
  policy('allow-redis-from-synapse', {
    podSelector: pods(SYNAPSE_PROCESS_HOSTS.redis),
    policyTypes: ['Ingress'],
    ingress: [{ from: [{ podSelector: synapse }], ports: tcp(PORTS.redis) }],
  });
  policy('allow-router-egress', {
    podSelector: pods(SYNAPSE_PROCESS_HOSTS.router),
    policyTypes: ['Egress'],
    egress: [{ to: [{ podSelector: synapse }], ports: tcp(PORTS.synapseHttp) }],
  });
}

/** What every Synapse process may reach beyond the single process's needs: its peers and Redis. */
export function workerEgress(ctx: AppsContext, synapse: ILabelSelector, pods: Pods): INetworkPolicyEgressRule[] {
  if (!hasWorkers(ctx.spec)) return [];
  return [
    { to: [{ podSelector: synapse }], ports: [{ port: PORTS.synapseReplication, protocol: 'TCP' }] },
    { to: [{ podSelector: pods(SYNAPSE_PROCESS_HOSTS.redis) }], ports: [{ port: PORTS.redis, protocol: 'TCP' }] },
  ];
}
