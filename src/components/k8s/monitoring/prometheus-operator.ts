import { Construct } from 'constructs';
import type { AppsContext } from '../apps-context';
import { KubeObject, type IPrometheusRule, type IServiceMonitor } from '../kube-object';
import { componentLabels, selectorLabels } from '../../labels';
import { synapseProcessPods } from '../synapse-workers';
import { alertRules } from '../../../render/monitoring/alert-rules';
import { DEFAULT_SCRAPE_INTERVALS, DEPLOYMENT_COMPONENTS, METRICS_PATHS, SCRAPE_JOBS, scrapeTimeoutSeconds } from '../../../render/monitoring/scrape-config';
import { METRICS_PORT_NAMES } from '../scraper';

/** The PrometheusRule's name in the deployment's namespace. */
export const PROMETHEUS_RULE_NAME = 'matrix-alerts';

/**
 * Monitoring by the cluster's own Prometheus Operator (monitoring.stack prometheus-operator, or
 * auto when the cluster serves ServiceMonitors): one ServiceMonitor per scraped component and one
 * PrometheusRule with the kit's alert rules, all in the deployment's namespace. The cluster's
 * Prometheus and Alertmanager scrape, keep the series and send the alerts; the kit runs none.
 *
 * Every object carries the operator's selector labels (kube-prometheus-stack selects by
 * `release: <name>`) next to the kit's own; the kit's win a clash, as selectors and the backup
 * commands rely on them.
 */
export class PrometheusOperatorMonitoring extends Construct {
  constructor(scope: Construct, id: string, props: { readonly context: AppsContext }) {
    super(scope, id);
    const { context } = props;
    const { spec, ns } = context;
    const operatorLabels = spec.monitoring.prometheusOperator.labels;
    const scrape = DEFAULT_SCRAPE_INTERVALS.scrapeSeconds;
    // Synapse, MAS and PostgreSQL are part of every deployment; the k3s node's exporters are not
    // here (an existing cluster's own stack scrapes its nodes and ingress).
    for (const component of DEPLOYMENT_COMPONENTS) {
      const monitor: IServiceMonitor = {
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'ServiceMonitor',
        metadata: { name: component, namespace: ns, labels: { ...operatorLabels, ...componentLabels(spec.name, component) } },
        spec: {
          // Synapse with workers: the Service of every process (they carry the pods' labels).
          selector: component === 'synapse' ? synapseProcessPods(context) : { matchLabels: selectorLabels(spec.name, component) },
          endpoints: [
            {
              port: METRICS_PORT_NAMES[component],
              path: METRICS_PATHS[component],
              interval: `${scrape}s`,
              scrapeTimeout: `${scrapeTimeoutSeconds(scrape)}s`,
              // The operator names the job after the Service; the alert rules select
              // `up{job="synapse"}`, so the job is set to SCRAPE_JOBS explicitly. The operator
              // appends these after its own relabelings, so this value is the one that stays.
              relabelings: [{ action: 'replace', targetLabel: 'job', replacement: SCRAPE_JOBS[component] }],
            },
          ],
        },
      };
      new KubeObject(this, `service-monitor-${component}`, monitor);
    }
    const rules: IPrometheusRule = {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: { name: PROMETHEUS_RULE_NAME, namespace: ns, labels: { ...operatorLabels, ...context.labels } },
      // The very groups the bundled Prometheus reads (render/monitoring/alert-rules.ts), which
      // promtool checks and unit-tests.
      spec: { groups: alertRules(spec, 'prometheus-operator').groups },
    };
    new KubeObject(this, 'prometheus-rule', rules);
  }
}
