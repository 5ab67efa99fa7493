import YAML from 'yaml';
import { renderAll } from '../../../src/render';
import { alertRules, defaultEvaluator, renderAlertRules, type AlertRule, type RuleEvaluator } from '../../../src/render/monitoring/alert-rules';
import { SCRAPE_JOBS } from '../../../src/render/monitoring/scrape-config';
import { metricNames } from '../../../src/render/monitoring/promql';
import { CLUSTER_BACKUP_YAML, specOf, VALID_YAML } from '../../helpers';
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
  // postgres_exporter, pg_stat_archiver and pg_stat_database collectors: seen in the real scrape
  // (0.11.1 against PostgreSQL 17, prometheus-scrape.test.ts) and in the pinned 0.18.1's source.
  'pg_stat_archiver_archived_count',
  'pg_stat_archiver_failed_count',
  'pg_stat_archiver_last_archive_age',
  'pg_stat_database_tup_inserted',
  'pg_stat_database_tup_updated',
  'pg_stat_database_tup_deleted',
  // The backup agents' freshness, exported through postgres_exporter's custom queries.
  'sovereign_matrix_backup_last_success_timestamp_seconds',
  // node_exporter 1.5.0 (Debian's), filesystem collector: seen in the real scrape of cloud-init.test.ts.
  'node_filesystem_avail_bytes',
  'node_filesystem_size_bytes',
  // Traefik 3.7.13: served on its metrics entry point in ingress.test.ts.
  'traefik_tls_certs_not_after',
  // Scraped by the cluster's Prometheus Operator stack, not by the kit: kubelet volume statistics
  // (kubelet's metrics, as kube-prometheus-stack's own rules use them) and cert-manager's gauge.
  'kubelet_volume_stats_available_bytes',
  'kubelet_volume_stats_capacity_bytes',
  'certmanager_certificate_expiration_timestamp_seconds',
]);

/** Series only the operator's stack scrapes: their rules select no job of the kit's. */
const OPERATOR_SERIES = new Set(['kubelet_volume_stats_available_bytes', 'kubelet_volume_stats_capacity_bytes', 'certmanager_certificate_expiration_timestamp_seconds']);

const CLOSED = specWith('federation:\n  mode: closed\n');
const OPEN = specWith('federation:\n  mode: open\n');
const ALLOW_LIST = specWith('federation:\n  mode: allow_list\n  allow: [partner.example.eu]\n');
const NO_BACKUP = specWith('federation:\n  mode: open\nbackup:\n  enabled: false\n');
/** The same deployment on an existing cluster, with the monitoring stack it names. */
function onCluster(stack: string): ReturnType<typeof specOf> {
  return specOf(`${VALID_YAML.replace(/target:\n(  .*\n)+/, 'target:\n  kubernetes:\n    context: prod\n')}${CLUSTER_BACKUP_YAML}monitoring:\n  stack: ${stack}\n`);
}

function rules(spec = OPEN, evaluator?: RuleEvaluator): AlertRule[] {
  return alertRules(spec, evaluator).groups.flatMap((group) => group.rules);
}

const BASE = ['HomeserverDown', 'HomeserverErrors', 'EventProcessingLag', 'PostgresDown', 'PostgresConnectionsHigh', 'MasDown'];
const NODE = ['NodeExporterDown', 'IngressDown', 'DataVolumeAlmostFull', 'DataVolumeFull', 'CertificateExpiresSoon'];
const CLUSTER = ['PersistentVolumeAlmostFull', 'PersistentVolumeFull', 'CertificateExpiresSoon'];
const BACKUP = ['BackupTooOld', 'WalArchivingFailing', 'WalArchivingStalled'];

describe('alertRules', () => {
  it('alerts on Synapse, PostgreSQL and MAS; the federation queue only when federation is not closed', () => {
    expect(rules(CLOSED).map((r) => r.alert).sort()).toEqual([...BASE, ...NODE, ...BACKUP].sort());
    for (const spec of [OPEN, ALLOW_LIST]) expect(rules(spec).map((r) => r.alert).sort()).toEqual([...BASE, ...NODE, ...BACKUP, 'FederationSendQueue'].sort());
    expect(alertRules(OPEN).groups.map((g) => g.name)).toEqual(['synapse', 'postgres', 'mas', 'node', 'backup']);
  });

  it('alerts on backups only when they are on', () => {
    expect(alertRules(NO_BACKUP).groups.map((g) => g.name)).toEqual(['synapse', 'postgres', 'mas', 'node']);
    expect(rules(NO_BACKUP).map((r) => r.alert).filter((a) => BACKUP.includes(a))).toEqual([]);
  });

  it("alerts on the k3s node's volume, ingress and certificates on Hetzner; on an existing cluster on claims and cert-manager only for the operator's stack", () => {
    const names = (spec: ReturnType<typeof specOf>, evaluator?: RuleEvaluator) => rules(spec, evaluator).map((r) => r.alert).sort();
    expect(names(onCluster('prometheus-operator'))).toEqual([...BASE, ...CLUSTER, ...BACKUP].sort());
    // The bundled Prometheus scrapes no kubelet and no cert-manager: rules on them would never fire.
    expect(names(onCluster('bundled'))).toEqual([...BASE, ...BACKUP].sort());
    // auto: deploy decides; each consumer says which it is.
    expect(defaultEvaluator(onCluster('auto'))).toBe('bundled');
    expect(names(onCluster('auto'), 'prometheus-operator')).toEqual(names(onCluster('prometheus-operator')));
    expect(defaultEvaluator(onCluster('prometheus-operator'))).toBe('prometheus-operator');
    // The kit's k3s is always the bundled stack's, whoever asks.
    expect(names(OPEN, 'prometheus-operator')).toEqual(names(OPEN));
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

  it('watches the data volume at its mount point: warning at 80 % used, critical at 90 % or full within 24 h', () => {
    const byName = Object.fromEntries(rules().map((r) => [r.alert, r]));
    const fs = 'job="node",mountpoint="/var/lib/sovereign-matrix"';
    expect(byName.DataVolumeAlmostFull).toMatchObject({ expr: `node_filesystem_avail_bytes{${fs}} / node_filesystem_size_bytes{${fs}} < 0.2`, labels: { severity: 'warning' } });
    expect(byName.DataVolumeFull.expr).toBe(`node_filesystem_avail_bytes{${fs}} / node_filesystem_size_bytes{${fs}} < 0.1\n  or predict_linear(node_filesystem_avail_bytes{${fs}}[6h], 86400) < 0`);
    expect(byName.DataVolumeFull.labels.severity).toBe('critical');
    expect(byName.CertificateExpiresSoon.expr).toBe('max by (cn, sans) (traefik_tls_certs_not_after{job="traefik"}) - time() < 14 * 86400');
    expect(byName.BackupTooOld.expr).toBe('time() - sovereign_matrix_backup_last_success_timestamp_seconds{job="postgres"} > 26 * 3600');
  });

  it('selects series only by the scrape jobs of SCRAPE_JOBS, and every series of the kit by its job', () => {
    const all = [...rules(), ...rules(onCluster('prometheus-operator'))];
    const jobs = all.flatMap((r) => [...r.expr.matchAll(/job="([^"]*)"/g)].map((m) => m[1]));
    expect(jobs.length).toBeGreaterThan(rules().length);
    expect(new Set(jobs)).toEqual(new Set(Object.values(SCRAPE_JOBS)));
    for (const rule of all) {
      for (const name of metricNames(rule.expr)) {
        const selected = new RegExp(`\\b${name}\\{[^}]*\\bjob="`).test(rule.expr);
        expect({ alert: rule.alert, name, selected }).toEqual({ alert: rule.alert, name, selected: !OPERATOR_SERIES.has(name) });
      }
    }
  });

  it("selects the operator's series by the deployment's namespaces", () => {
    const byName = Object.fromEntries(rules(onCluster('prometheus-operator')).map((r) => [r.alert, r]));
    expect(byName.PersistentVolumeAlmostFull.expr).toContain('kubelet_volume_stats_available_bytes{namespace="matrix-ministry"}');
    expect(byName.CertificateExpiresSoon.expr).toContain('{namespace=~"matrix-ministry|matrix-ministry-turn"}');
    expect(byName.CertificateExpiresSoon.expr).toContain('{exported_namespace=~"matrix-ministry|matrix-ministry-turn"}');
  });

  it('uses only series that a component of the kit exports', () => {
    for (const rule of [...rules(), ...rules(onCluster('prometheus-operator'))]) {
      const names = metricNames(rule.expr);
      expect(names.length).toBeGreaterThan(0);
      expect({ alert: rule.alert, unknown: names.filter((n) => !EXPORTED_SERIES.has(n)) }).toEqual({ alert: rule.alert, unknown: [] });
    }
  });

  it('gives every alert a severity, a summary, a description and a runbook with commands for this namespace', () => {
    for (const rule of [...rules(), ...rules(onCluster('prometheus-operator'))]) {
      expect(['critical', 'warning']).toContain(rule.labels.severity);
      expect(rule.annotations.summary.length).toBeGreaterThan(20);
      expect(rule.annotations.description.length).toBeGreaterThan(40);
      expect(rule.annotations.runbook).toMatch(/^1\. /);
      // The deployment's namespace, or kube-system where k3s runs the Traefik the kit configures.
      expect(rule.annotations.runbook).toMatch(/`kubectl -n (matrix-ministry|kube-system) /);
      // Plain text: no Prometheus templates, so operators read what was reviewed.
      expect(JSON.stringify(rule.annotations)).not.toContain('{{');
    }
    expect(rules().filter((r) => r.labels.severity === 'critical').map((r) => r.alert).sort()).toEqual(['DataVolumeFull', 'HomeserverDown', 'IngressDown', 'MasDown', 'PostgresDown']);
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
