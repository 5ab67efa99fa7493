import { Construct } from 'constructs';
import type { INetworkPolicyEgressRule } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyEgressRule';
import type { INetworkPolicySpec } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicySpec';
import { type AppsContext } from '../apps-context';
import { PRIVATE_IPV4, PRIVATE_IPV6 } from '../network-policies';
import { LABEL, selectorLabels } from '../../labels';
import { PORTS } from '../../../ports';
import { MONITORING_COMPONENTS } from '../../../render/monitoring/bundled';
import { DEPLOYMENT_COMPONENTS } from '../../../render/monitoring/scrape-config';
import { NODE_NETWORK } from '../../../render/k3s-node';
import { TRAEFIK_METRICS } from '../../../render/traefik';
import { METRICS_PORTS } from '../scraper';
import { postgresPods } from '../cloudnative-pg';
import { synapseProcessPods } from '../synapse-workers';
import { ownsNode } from '../../../config/node-target';

/**
 * Scrape targets outside the deployment's namespace: on the kit's k3s node, node_exporter on the
 * node's private address (the one address it listens on) and Traefik's metrics entry point in
 * kube-system. An existing cluster's nodes and ingress are its operator's to watch.
 */
export function clusterScrapeEgress(ctx: AppsContext): INetworkPolicyEgressRule[] {
  if (!ownsNode(ctx.spec.target)) return [];
  return [
    { to: [{ ipBlock: { cidr: `${NODE_NETWORK.nodeIp}/32` } }], ports: [{ port: PORTS.nodeExporter, protocol: 'TCP' }] },
    {
      to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': TRAEFIK_METRICS.namespace } }, podSelector: { matchLabels: { [LABEL.name]: 'traefik' } } }],
      ports: [{ port: PORTS.traefikMetrics, protocol: 'TCP' }],
    },
  ];
}

export interface MonitoringNetworkPoliciesProps {
  /** The deployment's context. */
  readonly context: AppsContext;
}

/**
 * On top of the namespace's default deny and DNS: exactly the monitoring flows. Grafana to
 * Prometheus (9090), Prometheus to Alertmanager (9093) and to the metrics ports it scrapes, and
 * Alertmanager to the mail relay's port on public addresses. Nothing may connect to any of the
 * three from elsewhere: `kubectl port-forward` enters the pod's own network namespace and needs
 * no rule.
 */
export class MonitoringNetworkPolicies extends Construct {
  constructor(scope: Construct, id: string, props: MonitoringNetworkPoliciesProps) {
    super(scope, id);
    const ctx = props.context;
    const C = MONITORING_COMPONENTS;
    const policy = (name: string, spec: INetworkPolicySpec) => ctx.networkPolicy(this, name, spec);
    const pods = (component: string) => ({ podSelector: { matchLabels: selectorLabels(ctx.spec.name, component) } });
    const tcp = (port: number) => [{ port, protocol: 'TCP' as const }];

    policy('allow-prometheus-from-grafana', {
      ...pods(C.prometheus),
      policyTypes: ['Ingress'],
      ingress: [{ from: [pods(C.grafana)], ports: tcp(PORTS.prometheus) }],
    });
    policy('allow-alertmanager-from-prometheus', {
      ...pods(C.alertmanager),
      policyTypes: ['Ingress'],
      ingress: [{ from: [pods(C.prometheus)], ports: tcp(PORTS.alertmanager) }],
    });
    policy('allow-grafana-egress', {
      ...pods(C.grafana),
      policyTypes: ['Egress'],
      egress: [{ to: [pods(C.prometheus)], ports: tcp(PORTS.prometheus) }],
    });
    policy('allow-prometheus-egress', {
      ...pods(C.prometheus),
      policyTypes: ['Egress'],
      egress: [
        // postgres_exporter runs beside PostgreSQL, in its pod; CloudNativePG's instances export their own.
        ...DEPLOYMENT_COMPONENTS.map((component) => ({
          to: [component === 'postgres' ? { podSelector: postgresPods(ctx) } : component === 'synapse' ? { podSelector: synapseProcessPods(ctx) } : pods(component)],
          ports: tcp(METRICS_PORTS[component]),
        })),
        { to: [pods(C.alertmanager)], ports: tcp(PORTS.alertmanager) },
        ...clusterScrapeEgress(ctx),
      ],
    });
    const email = ctx.spec.monitoring.alertEmail;
    if (email) {
      // Policies match addresses, not names: the relay's port on public addresses, private ranges closed.
      const port = Number(email.smarthost.slice(email.smarthost.lastIndexOf(':') + 1));
      policy('allow-alertmanager-egress', {
        ...pods(C.alertmanager),
        policyTypes: ['Egress'],
        egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: PRIVATE_IPV4 } }, { ipBlock: { cidr: '::/0', except: PRIVATE_IPV6 } }], ports: tcp(port) }],
      });
    }
  }
}
