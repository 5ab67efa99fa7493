import type { DeploymentSpec } from '../config/spec';
import { GRAFANA_ADMIN_SECRET } from '../components/k8s/monitoring/bundled';
import { PORTS } from '../ports';
import { MONITORING_COMPONENTS } from '../render/monitoring/bundled';
import { GRAFANA_ADMIN_USER } from '../render/monitoring/grafana';
import { namespaceName } from '../render/namespace';

/**
 * The lines of deploy's summary about the bundled monitoring stack: how to reach each part (a
 * port-forward, as the stack has no public address), how to read Grafana's admin password (the kit
 * never prints it), and where alerts go. `bundled` is whether the stack runs: with stack auto only
 * deploy knows, after asking the cluster.
 */
export function monitoringSummary(spec: DeploymentSpec, bundled = spec.monitoring.stack !== 'prometheus-operator'): string[] {
  if (!bundled) return [];
  const kubectl = `kubectl --namespace ${namespaceName(spec)}`;
  const forward = (component: keyof typeof MONITORING_COMPONENTS) =>
    `${kubectl} port-forward service/${MONITORING_COMPONENTS[component]} ${PORTS[component]}:${PORTS[component]}`;
  const email = spec.monitoring.alertEmail;
  return [
    'Monitoring (bundled; no public address: reach it through the cluster API with kubectl port-forward):',
    `  Grafana:         ${forward('grafana')}, then http://localhost:${PORTS.grafana}/ as ${GRAFANA_ADMIN_USER}`,
    `    its password:  ${kubectl} get secret ${GRAFANA_ADMIN_SECRET.name} -o jsonpath='{.data.${GRAFANA_ADMIN_SECRET.key}}' | base64 -d`,
    `  Prometheus:      ${forward('prometheus')}, then http://localhost:${PORTS.prometheus}/`,
    `  Alertmanager:    ${forward('alertmanager')}, then http://localhost:${PORTS.alertmanager}/`,
    email
      ? `  Alerts are e-mailed to ${email.to} from ${email.from} through ${email.smarthost} (STARTTLS required).`
      : '  Alerts are shown in Alertmanager and Grafana but NOT e-mailed: set monitoring.alert_email (smarthost, from, to; username and password_env if the relay needs a login) and deploy again.',
  ];
}
