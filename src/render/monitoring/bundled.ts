import YAML from 'yaml';
import type { DeploymentSpec } from '../../config/spec';
import { PORTS } from '../../ports';
import type { RenderedFile } from '../files';
import { namespaceName } from '../namespace';
import { renderAlertRules } from './alert-rules';
import { renderAlertmanagerConfig } from './alertmanager';
import { DASHBOARDS_DIR, renderDashboards } from './dashboards';
import { renderGrafanaDashboardProvider, renderGrafanaDatasources, renderGrafanaIni } from './grafana';
import { ALERT_RULES_FILE, renderScrapeConfig, type ScrapeIntervals, type ScrapeTargets } from './scrape-config';

/**
 * The bundled monitoring stack's components: each is a Service and the workload behind it, and
 * the name selects its pods (selectorLabels(name, 'prometheus') is who may scrape the apps).
 */
export const MONITORING_COMPONENTS = {
  prometheus: 'prometheus',
  alertmanager: 'alertmanager',
  grafana: 'grafana',
} as const;

/**
 * The render services (path prefixes, one ConfigMap each) of the bundled stack. The dashboards
 * have their own: a ConfigMap key cannot hold a '/'.
 */
export const MONITORING_SERVICES = {
  prometheus: 'prometheus',
  alertmanager: 'alertmanager',
  grafana: 'grafana',
  dashboards: 'grafana-dashboards',
} as const;

/** prometheus.yml's file name; the alert rules file lies beside it. */
export const PROMETHEUS_CONFIG_FILE = 'prometheus.yml';

/** Whether a deployment may run the bundled stack (auto decides at deploy time, so it may). */
export function bundledMonitoringPossible(spec: DeploymentSpec): boolean {
  return spec.monitoring.stack !== 'prometheus-operator';
}

/** A component's Service inside the cluster, `<name>.<namespace>.svc:<port>`. */
function inCluster(spec: DeploymentSpec, component: keyof typeof MONITORING_COMPONENTS): string {
  return `${MONITORING_COMPONENTS[component]}.${namespaceName(spec)}.svc:${PORTS[component]}`;
}

/** Where the integration test runs the stack instead: loopback addresses, shorter intervals. */
export interface PrometheusConfigOptions {
  readonly targets?: ScrapeTargets;
  readonly intervals?: ScrapeIntervals;
  /** The Alertmanager, `host:port`. */
  readonly alertmanager?: string;
}

/**
 * The bundled Prometheus's configuration: the scrape jobs and rule file of renderScrapeConfig,
 * plus where to send alerts, the bundled Alertmanager's Service. Only the bundled stack has one
 * (a cluster's Prometheus Operator brings its own), so it is added here, not there.
 */
export function renderPrometheusConfig(spec: DeploymentSpec, options: PrometheusConfigOptions = {}): string {
  const alertmanager = options.alertmanager ?? inCluster(spec, 'alertmanager');
  const alerting = { alerting: { alertmanagers: [{ static_configs: [{ targets: [alertmanager] }] }] } };
  return `${renderScrapeConfig(spec, options.targets, options.intervals)}${YAML.stringify(alerting, { lineWidth: 0 })}`;
}

/**
 * Every configuration file of the bundled stack: Prometheus (configuration and alert rules side by
 * side), Alertmanager, Grafana (grafana.ini, the data source, the dashboard provider) and the
 * dashboards. None for a deployment that uses the cluster's Prometheus Operator.
 */
export function renderBundledMonitoring(spec: DeploymentSpec): RenderedFile[] {
  if (!bundledMonitoringPossible(spec)) return [];
  const S = MONITORING_SERVICES;
  return [
    { path: `${S.prometheus}/${PROMETHEUS_CONFIG_FILE}`, content: renderPrometheusConfig(spec) },
    { path: `${S.prometheus}/${ALERT_RULES_FILE}`, content: renderAlertRules(spec) },
    { path: `${S.alertmanager}/alertmanager.yml`, content: renderAlertmanagerConfig(spec) },
    { path: `${S.grafana}/grafana.ini`, content: renderGrafanaIni(spec) },
    { path: `${S.grafana}/datasources.yaml`, content: renderGrafanaDatasources(spec, `http://${inCluster(spec, 'prometheus')}`) },
    { path: `${S.grafana}/dashboards.yaml`, content: renderGrafanaDashboardProvider(spec) },
    // The same bytes renderDashboards gives, under this stack's own service.
    ...renderDashboards(spec).map((f) => ({ path: `${S.dashboards}/${f.path.slice(DASHBOARDS_DIR.length + 1)}`, content: f.content })),
  ];
}
