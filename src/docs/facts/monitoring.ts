import { parse } from 'yaml';
import { kubeObjects, renderedFromJson, type Synthesized } from '../read-back';

/** One alert as a reviewer reads it: where it applies is the stack that evaluates it. */
export interface AlertFact {
  readonly alert: string;
  readonly severity: string;
  /** How long the condition holds before it fires. */
  readonly for: string;
  readonly summary: string;
  /** `bundled`, `prometheus-operator`, or both. */
  readonly evaluatedBy: string;
}

export interface MonitoringFacts {
  readonly lines: readonly string[];
  readonly alerts: readonly AlertFact[];
}

interface RuleFile {
  readonly groups: readonly { readonly rules: readonly { alert: string; for: string; labels: { severity: string }; annotations: { summary: string } }[] }[];
}

/**
 * The monitoring section of the reference architecture, read back from the synthesized apps stack:
 * the bundled Prometheus's configuration and rules in its ConfigMap, the Alertmanager's routing,
 * the ServiceMonitors and PrometheusRule for a cluster's operator. Never from the deployment file:
 * what the document says runs is what the stack applies.
 */
export function monitoringFacts(synth: Synthesized): MonitoringFacts {
  const prometheusYml = renderedFromJson(synth, 'prometheus', 'prometheus.yml');
  const bundledRules = renderedFromJson(synth, 'prometheus', 'alert-rules.yml');
  const alertmanagerYml = renderedFromJson(synth, 'alertmanager', 'alertmanager.yml');
  const monitors = kubeObjects(synth, 'ServiceMonitor');
  const operatorRule = kubeObjects(synth, 'PrometheusRule')[0];
  const lines: string[] = [];
  const bundled = prometheusYml !== undefined;
  const operator = monitors.length > 0;
  if (bundled && operator) {
    lines.push(
      'Who monitors is chosen by the cluster (`monitoring.stack: auto`): at plan time OpenTofu lists the CRD `servicemonitors.monitoring.coreos.com`. Where it exists, the cluster’s Prometheus Operator scrapes through the ServiceMonitors below and evaluates the PrometheusRule; otherwise the bundled Prometheus, Alertmanager and Grafana run in the namespace. Exactly one of the two is applied.',
    );
  }
  if (bundled) {
    const config = parse(prometheusYml) as { global: { scrape_interval: string }; scrape_configs: { job_name: string; metrics_path: string; static_configs: { targets: string[] }[] }[] };
    const jobs = config.scrape_configs.map((job) => `\`${job.job_name}\` (${job.static_configs.flatMap((c) => c.targets).join(', ')}${job.metrics_path === '/metrics' ? '' : `, ${job.metrics_path}`})`);
    lines.push(`Bundled Prometheus scrapes every ${config.global.scrape_interval}: ${jobs.join('; ')}.`);
    const prometheus = kubeObjects(synth, 'StatefulSet').find((o) => o.name === 'prometheus');
    const args = (prometheus?.manifest.spec?.template?.spec?.containers?.[0]?.args ?? []) as string[];
    const flag = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
    lines.push(
      `Series are kept ${flag('storage.tsdb.retention.time') ?? '?'} and at most ${flag('storage.tsdb.retention.size') ?? '?'} on Prometheus’s own volume. Prometheus, Alertmanager and Grafana have ClusterIP Services only and no route on the ingress: operators reach them with \`kubectl port-forward\` through the cluster API (its authentication and TLS), so monitoring adds no public surface. Grafana calls no one outside the cluster (no usage reporting, update checks or plugin catalogue).`,
    );
    lines.push(alertDestination(alertmanagerYml));
  }
  if (operator) {
    const targets = monitors.map((m) => `\`${m.name}\` (port \`${m.manifest.spec.endpoints[0].port}\`, ${m.manifest.spec.endpoints[0].path})`);
    lines.push(
      `For the cluster’s Prometheus Operator: ServiceMonitors ${targets.join(', ')} and the PrometheusRule \`${operatorRule?.name ?? '?'}\` in the deployment’s namespace. The cluster’s own Prometheus and Alertmanager keep the series and route the alerts.`,
    );
  }
  lines.push(
    'The metrics ports (Synapse 9000, MAS 8081, postgres_exporter 9187) are open only to the scraper by network policy and never routed by the ingress; postgres_exporter logs in as a role with `pg_monitor` only.',
  );
  const alerts = new Map<string, AlertFact>();
  const collect = (file: RuleFile | undefined, evaluator: string) => {
    for (const rule of (file?.groups ?? []).flatMap((g) => g.rules)) {
      const seen = alerts.get(`${rule.alert}/${rule.annotations.summary}`);
      alerts.set(`${rule.alert}/${rule.annotations.summary}`, {
        alert: rule.alert,
        severity: rule.labels.severity,
        for: rule.for,
        summary: rule.annotations.summary,
        evaluatedBy: seen ? `${seen.evaluatedBy}, ${evaluator}` : evaluator,
      });
    }
  };
  collect(bundledRules === undefined ? undefined : (parse(bundledRules) as RuleFile), 'bundled');
  collect(operatorRule ? (operatorRule.manifest.spec as RuleFile) : undefined, 'prometheus-operator');
  return { lines, alerts: [...alerts.values()] };
}

/** Where the bundled Alertmanager sends alerts, from its rendered configuration. */
function alertDestination(alertmanagerYml: string | undefined): string {
  const config = alertmanagerYml === undefined ? undefined : (parse(alertmanagerYml) as { receivers?: { email_configs?: { to: string; smarthost: string; require_tls?: boolean }[] }[] });
  const mails = (config?.receivers ?? []).flatMap((r) => r.email_configs ?? []);
  if (mails.length === 0) return '**Alerts are not e-mailed** (no `monitoring.alert_email`): they are shown in Alertmanager and Grafana only.';
  return `Alerts are e-mailed to ${mails.map((m) => `${m.to} through ${m.smarthost}${m.require_tls ? ' (STARTTLS required)' : ''}`).join('; ')}.`;
}
