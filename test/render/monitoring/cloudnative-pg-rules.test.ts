import { alertRules } from '../../../src/render/monitoring/alert-rules';
import { cloudNativePgRules } from '../../../src/render/monitoring/cloudnative-pg-rules';
import { metricNames } from '../../../src/render/monitoring/promql';
import { CNPG_YAML, specOf } from '../../helpers';

/**
 * What CloudNativePG 1.30.1's instance manager exports, read in its source: cnpg_collector_up
 * (pkg/management/postgres/webserver/metricserver/pg_collector.go) and the default queries
 * (config/manager/default-monitoring.yaml: backends.total, pg_settings.setting,
 * pg_replication.streaming_replicas and in_recovery, named cnpg_<query>_<column>). No
 * postgres_exporter series exists beside a Cluster.
 */
const CNPG_SERIES = new Set(['up', 'cnpg_collector_up', 'cnpg_backends_total', 'cnpg_pg_settings_setting', 'cnpg_pg_replication_streaming_replicas', 'cnpg_pg_replication_in_recovery']);

const spec = specOf(CNPG_YAML);
const postgres = () => alertRules(spec).groups.find((g) => g.name === 'postgres')!.rules;

describe('cloudNativePgRules', () => {
  it("replace the bundled PostgreSQL's alerts, keeping their names, and add one for missing replicas", () => {
    expect(postgres().map((r) => r.alert)).toEqual(['PostgresDown', 'PostgresConnectionsHigh', 'PostgresReplicaMissing']);
  });

  it('read only series CloudNativePG exports, from the postgres scrape job', () => {
    for (const rule of postgres()) {
      expect({ alert: rule.alert, unknown: metricNames(rule.expr).filter((m) => !CNPG_SERIES.has(m)) }).toEqual({ alert: rule.alert, unknown: [] });
      expect(rule.expr).toMatch(/job="postgres"/);
    }
  });

  it('fire when no pod is primary (a ServiceMonitor then has no target, so up is absent, not 0)', () => {
    expect(postgres()[0]!.expr).toBe('cnpg_collector_up{job="postgres"} == 0 or up{job="postgres"} == 0 or absent(up{job="postgres"})');
  });

  it('expect every standby of the Cluster to stream from the primary', () => {
    const missing = (instances: number) => cloudNativePgRules(specOf(CNPG_YAML.replace('instances: 3', `instances: ${instances}`)), 'ns').find((r) => r.alert === 'PostgresReplicaMissing')!.expr;
    expect(missing(3)).toMatch(/streaming_replicas\{job="postgres"\} < 2 and/);
    expect(missing(5)).toMatch(/< 4 and/);
  });

  it("name the Cluster's pods and CloudNativePG's objects in the runbooks, never the bundled StatefulSet", () => {
    const runbooks = postgres().map((r) => r.annotations.runbook).join('\n');
    expect(runbooks).toContain('kubectl -n matrix-ministry get cluster postgres');
    expect(runbooks).toContain('kubectl -n matrix-ministry exec service/postgres -c postgres -- psql -U postgres');
    expect(runbooks).not.toContain('statefulset/');
  });

  it('refuse a deployment without CloudNativePG', () => {
    expect(() => cloudNativePgRules(specOf(CNPG_YAML.replace(/scale:\n(  .*\n)+/, '')), 'ns')).toThrow(/cloudnative-pg/);
  });
});
