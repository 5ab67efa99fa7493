import YAML from 'yaml';
import { renderAll } from '../../../src/render';
import { alertRules, renderAlertRules, type AlertRule } from '../../../src/render/monitoring/alert-rules';
import { SCRAPE_JOBS } from '../../../src/render/monitoring/scrape-config';
import { metricNames } from '../../../src/render/monitoring/promql';
import { specWith } from '../fixtures';

/**
 * Series the kit's components export, as checked against Synapse 1.163.2's wheel and a real
 * postgres_exporter 0.11.1 scrape (test/integration/prometheus-scrape.test.ts asserts each is
 * really scraped). A rule on anything else would never fire: add a name here only once verified.
 */
const EXPORTED_SERIES = new Set([
  'up',
  'synapse_http_server_responses_total',
  'synapse_event_persisted_position',
  'synapse_event_processing_positions',
  'synapse_federation_transaction_queue_pending_pdus',
  'pg_up',
  'pg_stat_database_numbackends',
  'pg_settings_max_connections',
]);

const CLOSED = specWith('federation:\n  mode: closed\n');
const OPEN = specWith('federation:\n  mode: open\n');
const ALLOW_LIST = specWith('federation:\n  mode: allow_list\n  allow: [partner.example.eu]\n');

function rules(spec = OPEN): AlertRule[] {
  return alertRules(spec).groups.flatMap((group) => group.rules);
}

describe('alertRules', () => {
  it('alerts on Synapse, PostgreSQL and MAS; the federation queue only when federation is not closed', () => {
    const base = ['HomeserverDown', 'HomeserverErrors', 'EventProcessingLag', 'PostgresDown', 'PostgresConnectionsHigh', 'MasDown'];
    expect(rules(CLOSED).map((r) => r.alert).sort()).toEqual([...base].sort());
    for (const spec of [OPEN, ALLOW_LIST]) expect(rules(spec).map((r) => r.alert).sort()).toEqual([...base, 'FederationSendQueue'].sort());
    expect(alertRules(OPEN).groups.map((g) => g.name)).toEqual(['synapse', 'postgres', 'mas']);
  });

  it('has the expressions and hold times the issue asks for', () => {
    const byName = Object.fromEntries(rules().map((r) => [r.alert, r]));
    expect(byName.HomeserverDown).toMatchObject({ expr: 'up{job="synapse"} == 0', for: '2m' });
    expect(byName.MasDown).toMatchObject({ expr: 'up{job="mas"} == 0', for: '2m' });
    expect(byName.PostgresDown).toMatchObject({ expr: 'pg_up{job="postgres"} == 0 or up{job="postgres"} == 0', for: '2m' });
    expect(byName.HomeserverErrors.expr).toContain('code=~"5.."');
    expect(byName.HomeserverErrors.expr).toMatch(/> 0\.05$/);
    expect(byName.HomeserverErrors.for).toBe('10m');
    expect(byName.PostgresConnectionsHigh.expr).toMatch(/> 0\.8$/);
    expect(byName.FederationSendQueue).toMatchObject({ expr: 'sum(synapse_federation_transaction_queue_pending_pdus{job="synapse"}) > 1000', for: '15m' });
  });

  it('selects series only by the scrape jobs of SCRAPE_JOBS', () => {
    const jobs = rules().flatMap((r) => [...r.expr.matchAll(/job="([^"]*)"/g)].map((m) => m[1]));
    expect(jobs.length).toBeGreaterThan(rules().length);
    expect(new Set(jobs)).toEqual(new Set(Object.values(SCRAPE_JOBS)));
  });

  it('uses only series that a component of the kit exports', () => {
    for (const rule of rules()) {
      const names = metricNames(rule.expr);
      expect(names.length).toBeGreaterThan(0);
      expect({ alert: rule.alert, unknown: names.filter((n) => !EXPORTED_SERIES.has(n)) }).toEqual({ alert: rule.alert, unknown: [] });
    }
  });

  it('gives every alert a severity, a summary, a description and a runbook with commands for this namespace', () => {
    for (const rule of rules()) {
      expect(['critical', 'warning']).toContain(rule.labels.severity);
      expect(rule.annotations.summary.length).toBeGreaterThan(20);
      expect(rule.annotations.description.length).toBeGreaterThan(40);
      expect(rule.annotations.runbook).toMatch(/^1\. /);
      expect(rule.annotations.runbook).toContain('`kubectl -n matrix-ministry ');
      // Plain text: no Prometheus templates, so operators read what was reviewed.
      expect(JSON.stringify(rule.annotations)).not.toContain('{{');
    }
    expect(rules().filter((r) => r.labels.severity === 'critical').map((r) => r.alert).sort()).toEqual(['HomeserverDown', 'MasDown', 'PostgresDown']);
  });

  it('names the workloads the stacks create, and their main container (the pods have sidecars), in the runbooks', () => {
    const runbooks = rules().map((r) => r.annotations.runbook).join('\n');
    expect(runbooks).toContain('logs deployment/synapse -c synapse ');
    expect(runbooks).toContain('logs statefulset/postgres -c postgres ');
    expect(runbooks).toContain('logs deployment/mas -c mas ');
    expect(runbooks).toContain('exec statefulset/postgres -c postgres -- ');
  });
});

describe('renderAlertRules', () => {
  it('is the rule groups as YAML, with a header naming the deployment', () => {
    const text = renderAlertRules(OPEN);
    expect(text).toMatch(/^# Alert rules of the ministry deployment \(matrix-ministry\)\.\n/);
    expect(YAML.parse(text)).toEqual(JSON.parse(JSON.stringify(alertRules(OPEN))));
    expect(renderAlertRules(OPEN)).toBe(text);
  });

  it('is the rules file renderAll writes beside the bundled Prometheus configuration, byte for byte', () => {
    const files = renderAll(OPEN).filter((f) => /alert-rules/.test(f.path));
    expect(files).toEqual([{ path: 'prometheus/alert-rules.yml', content: renderAlertRules(OPEN) }]);
  });
});
