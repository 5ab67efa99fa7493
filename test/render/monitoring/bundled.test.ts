import YAML from 'yaml';
import { renderAll } from '../../../src/render';
import { renderAlertRules } from '../../../src/render/monitoring/alert-rules';
import { renderAlertmanagerConfig } from '../../../src/render/monitoring/alertmanager';
import { bundledMonitoringPossible, renderBundledMonitoring, renderPrometheusConfig } from '../../../src/render/monitoring/bundled';
import { renderDashboards } from '../../../src/render/monitoring/dashboards';
import { renderScrapeConfig } from '../../../src/render/monitoring/scrape-config';
import { parseDeployment } from '../../../src/config/load';
import { specWith } from '../fixtures';

const OPERATOR = parseDeployment(
  'name: agency\nserver_name: agency.example.eu\ntarget:\n  kubernetes:\n    context: prod\nadmin_contact: ops@agency.example.eu\nbackup:\n  enabled: false\nmonitoring:\n  stack: prometheus-operator\n',
  'x.yaml',
);

describe('renderPrometheusConfig', () => {
  it("is renderScrapeConfig's file plus the bundled Alertmanager's Service as the one alert target", () => {
    const spec = specWith();
    const text = renderPrometheusConfig(spec);
    expect(text.startsWith(renderScrapeConfig(spec))).toBe(true);
    const config = YAML.parse(text);
    expect(config.alerting).toEqual({ alertmanagers: [{ static_configs: [{ targets: ['alertmanager.matrix-ministry.svc:9093'] }] }] });
    expect({ ...config, alerting: undefined }).toEqual({ ...YAML.parse(renderScrapeConfig(spec)), alerting: undefined });
  });
});

describe('renderBundledMonitoring', () => {
  it('writes every file of the three components into renderAll, the dashboards byte for byte', () => {
    const spec = specWith();
    const files = renderAll(spec).filter((f) => /^(prometheus|alertmanager|grafana|grafana-dashboards)\//.test(f.path));
    expect(files.map((f) => f.path).sort()).toEqual(
      [
        'alertmanager/alertmanager.yml',
        'grafana-dashboards/ministry-summary.json',
        'grafana-dashboards/ministry-synapse.json',
        'grafana/dashboards.yaml',
        'grafana/datasources.yaml',
        'grafana/grafana.ini',
        'prometheus/alert-rules.yml',
        'prometheus/prometheus.yml',
      ].sort(),
    );
    const content = (path: string) => files.find((f) => f.path === path)?.content;
    expect(content('prometheus/alert-rules.yml')).toBe(renderAlertRules(spec));
    expect(content('alertmanager/alertmanager.yml')).toBe(renderAlertmanagerConfig(spec));
    expect(renderDashboards(spec).map((d) => d.content)).toEqual(['grafana-dashboards/ministry-synapse.json', 'grafana-dashboards/ministry-summary.json'].map(content));
  });

  it('writes nothing where the cluster’s Prometheus Operator scrapes', () => {
    expect(bundledMonitoringPossible(OPERATOR)).toBe(false);
    expect(renderBundledMonitoring(OPERATOR)).toEqual([]);
    expect(bundledMonitoringPossible(specWith())).toBe(true);
  });

  it('holds no secret: no password, only the path of the file that holds it', () => {
    const spec = specWith('monitoring:\n  alert_email:\n    smarthost: smtp.ministry.example.eu:587\n    from: alerts@ministry.example.eu\n    to: ops@ministry.example.eu\n    username: alerts\n    password_env: MINISTRY_SMTP\n');
    const text = renderBundledMonitoring(spec).map((f) => f.content).join('\n');
    expect(text).not.toContain('MINISTRY_SMTP');
    expect(text).not.toMatch(/(^|\s)(auth_password|admin_password|password):\s*[^\s$/]/m);
  });
});
