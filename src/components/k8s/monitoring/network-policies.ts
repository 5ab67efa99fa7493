import { Construct } from 'constructs';
import type { INetworkPolicyEgressRule } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyEgressRule';
import type { INetworkPolicySpec } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicySpec';
import { type AppsContext } from '../apps-context';
import { KubeObject } from '../kube-object';
import { PRIVATE_IPV4, PRIVATE_IPV6 } from '../network-policies';
import { selectorLabels } from '../../labels';
import { PORTS } from '../../../ports';
import { MONITORING_COMPONENTS } from '../../../render/monitoring/bundled';
import type { ScrapedComponent } from '../../../render/monitoring/scrape-config';

/**
 * The pod behind each scrape job and the port Prometheus reaches it on (postgres_exporter runs
 * beside PostgreSQL, in its pod). The apps' side opens these ports to Prometheus's pods.
 */
export const SCRAPED_PODS: Readonly<Record<ScrapedComponent, { readonly component: string; readonly port: number }>> = {
  synapse: { component: 'synapse', port: PORTS.synapseMetrics },
  mas: { component: 'mas', port: PORTS.masInternal },
  postgres: { component: 'postgres', port: PORTS.postgresExporter },
};

/**
 * Extension point: scrape targets outside the deployment's namespace (on the kit's k3s node:
 * Traefik's metrics entry point in kube-system, a node exporter). A scrape job added for one of
 * them adds its egress rule here, for example
 * `{ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
 *   podSelector: { matchLabels: { 'app.kubernetes.io/name': 'traefik' } } }], ports: [{ port, protocol: 'TCP' }] }`.
 * None yet: every job of renderScrapeConfig is a pod of the namespace (SCRAPED_PODS).
 */
export function clusterScrapeEgress(_ctx: AppsContext): INetworkPolicyEgressRule[] {
  return [];
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
    const policy = (name: string, spec: INetworkPolicySpec) =>
      new KubeObject(this, name, {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name, namespace: ctx.ns, labels: { ...ctx.labels } },
        spec,
      });
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
        ...Object.values(SCRAPED_PODS).map(({ component, port }) => ({ to: [pods(component)], ports: tcp(port) })),
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
