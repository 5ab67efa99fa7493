import type { INetworkPolicyPeer } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer';
import { selectorLabels } from '../labels';
import { PORTS } from '../../ports';
import { MAS_LISTENERS } from '../../render/mas';

import { type AppsContext } from './apps-context';

/** The component name of the bundled Prometheus (its pods carry selectorLabels(name, this)). */
export const BUNDLED_PROMETHEUS_COMPONENT = 'prometheus';

/**
 * Each scraped component's metrics port: on its Service and its pod, open to the scraper only.
 * The ports come from src/ports.ts (MAS's through its listener table, which reads them there).
 */
export const METRICS_PORTS: Readonly<Record<'synapse' | 'mas' | 'postgres', number>> = {
  synapse: PORTS.synapseMetrics,
  mas: MAS_LISTENERS.internal.port,
  postgres: PORTS.postgresExporter,
};

/**
 * The name of each metrics port, on the Service and the pod: a ServiceMonitor selects the port by
 * this name. MAS serves /metrics on its internal listener, next to health (ESS names it the same).
 */
export const METRICS_PORT_NAMES: Readonly<Record<keyof typeof METRICS_PORTS, string>> = {
  synapse: 'metrics',
  mas: MAS_LISTENERS.internal.name,
  postgres: 'metrics',
};

/**
 * Who scrapes the deployment, as network policy peers, from `monitoring.stack`:
 * - `bundled`: the kit's own Prometheus, its pods in the deployment's namespace;
 * - `prometheus-operator`: any pod of the operator's namespace (its Prometheus pods' labels are
 *   the operator's and the cluster's choice, its namespace is given in the deployment file);
 * - `auto`: either, since which one runs is decided on the cluster.
 * A podSelector without namespaceSelector matches in the policy's own namespace only.
 */
export function scraperPeers(ctx: AppsContext): INetworkPolicyPeer[] {
  const { stack, prometheusOperator } = ctx.spec.monitoring;
  const bundled: INetworkPolicyPeer = { podSelector: { matchLabels: selectorLabels(ctx.spec.name, BUNDLED_PROMETHEUS_COMPONENT) } };
  const operator: INetworkPolicyPeer = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': prometheusOperator.namespace } } };
  switch (stack) {
    case 'bundled':
      return [bundled];
    case 'prometheus-operator':
      return [operator];
    case 'auto':
      return [bundled, operator];
  }
}
