import { renderAll } from '../../../src/render';
import {
  DASHBOARD_SCHEMA_VERSION,
  dashboardExprs,
  dashboardMetricNames,
  dashboards,
  overviewDashboard,
  renderDashboards,
  synapseDashboard,
  type Dashboard,
} from '../../../src/render/monitoring/dashboards';
import { metricNames } from '../../../src/render/monitoring/promql';
import { EVENT_PROCESSING_LAG_THRESHOLD, FEDERATION_PENDING_PDUS_THRESHOLD, HOMESERVER_ERROR_SHARE_THRESHOLD } from '../../../src/render/monitoring/alert-rules';
import { SCRAPE_JOBS } from '../../../src/render/monitoring/scrape-config';
import { specWith } from '../fixtures';

const OPEN = specWith('federation:\n  mode: open\n');
const CLOSED = specWith('federation:\n  mode: closed\n');

/**
 * The metric names each dashboard reads. Every one is checked against the real scrape (Synapse
 * 1.163.2, postgres_exporter, Prometheus) by test/integration/prometheus-scrape.test.ts; a new
 * name goes here only once that test has seen it.
 */
const SYNAPSE_METRICS = [
  'process_cpu_seconds_total',
  'process_max_fds',
  'process_open_fds',
  'process_resident_memory_bytes',
  'python_gc_time_sum',
  'synapse_event_persisted_position',
  'synapse_event_processing_positions',
  'synapse_federation_transaction_queue_pending_pdus',
  'synapse_http_server_requests_received_total',
  'synapse_http_server_response_time_seconds_bucket',
  'synapse_http_server_responses_total',
  'synapse_storage_events_persisted_events_total',
  'synapse_storage_schedule_time_bucket',
  'synapse_storage_schedule_time_count',
  'synapse_storage_schedule_time_sum',
];
const OVERVIEW_METRICS = [
  'ALERTS',
  'pg_database_size_bytes',
  'pg_settings_max_connections',
  'pg_stat_database_numbackends',
  'pg_stat_database_xact_commit',
  'pg_up',
  'synapse_http_server_requests_received_total',
  'up',
];

describe('dashboards', () => {
  it('render as valid JSON with the same bytes on every call, at monitoring/dashboards/<uid>.json', () => {
    const first = renderDashboards(OPEN);
    expect(renderDashboards(OPEN)).toEqual(first);
    expect(first.map((f) => f.path)).toEqual(['monitoring/dashboards/ministry-synapse.json', 'monitoring/dashboards/ministry-summary.json']);
    for (const file of first) {
      const parsed = JSON.parse(file.content) as Dashboard;
      expect(file.path).toBe(`monitoring/dashboards/${parsed.uid}.json`);
      expect(parsed).toMatchObject({ editable: false, schemaVersion: DASHBOARD_SCHEMA_VERSION });
      expect(file.content.endsWith('}\n')).toBe(true);
      // Nothing that changes between renders: no timestamps or Grafana-assigned ids/versions.
      expect(parsed).not.toHaveProperty('id');
      expect(parsed).not.toHaveProperty('version');
      expect(file.content).not.toMatch(/\d{4}-\d{2}-\d{2}T/);
    }
  });

  it('have fixed uids from the deployment name that fit Grafana\'s 40 characters, and the datasource variable', () => {
    // The schema allows names of up to 32 characters.
    const thirtyTwo = { ...OPEN, name: 'a'.repeat(32) };
    for (const d of dashboards(thirtyTwo)) expect(d.uid.length).toBeLessThanOrEqual(40);
    expect(dashboards(OPEN).map((d) => [d.uid, d.title])).toEqual([
      ['ministry-synapse', 'Matrix homeserver (Synapse) (ministry)'],
      ['ministry-summary', 'Deployment overview (ministry)'],
    ]);
    for (const d of dashboards(OPEN)) {
      expect(d.templating.list).toEqual([expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' })]);
      for (const p of d.panels) {
        expect(p.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
        for (const t of p.targets) expect(t.datasource).toEqual(p.datasource);
      }
    }
  });

  it('have unique panel ids, panels inside the 24-column grid, and an expr and a distinct refId in every target', () => {
    for (const d of dashboards(OPEN)) {
      const ids = d.panels.map((p) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const p of d.panels) {
        expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
        expect(p.targets.length).toBeGreaterThan(0);
        expect(new Set(p.targets.map((t) => t.refId)).size).toBe(p.targets.length);
        for (const t of p.targets) expect(t.expr).toMatch(/\S/);
      }
      // No two panels overlap on the grid.
      const cells = new Set<string>();
      for (const p of d.panels) {
        for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
          for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
            expect(cells.has(`${x},${y}`)).toBe(false);
            cells.add(`${x},${y}`);
          }
        }
      }
    }
  });

  it('select only the scrape jobs of SCRAPE_JOBS, and every job selector of the expressions', () => {
    const jobs = new Set<string>(Object.values(SCRAPE_JOBS));
    const used = new Set<string>();
    for (const d of dashboards(OPEN)) {
      for (const expr of dashboardExprs(d)) {
        for (const [, op, job] of expr.matchAll(/\bjob\s*(=~|!=|!~|=)\s*"([^"]*)"/g)) {
          expect({ expr, op }).toEqual({ expr, op: '=' });
          expect(jobs).toContain(job);
          used.add(job);
        }
      }
    }
    // The overview has an `up` stat per job, so each job is used.
    expect([...used].sort()).toEqual([...jobs].sort());
  });

  it('read the expected metric names, each from the exporter of the job it selects', () => {
    expect(dashboardMetricNames(synapseDashboard(OPEN))).toEqual(SYNAPSE_METRICS);
    expect(dashboardMetricNames(overviewDashboard(OPEN))).toEqual(OVERVIEW_METRICS);
    const exporterOf = (name: string) => (/^(synapse|process|python)_/.test(name) ? SCRAPE_JOBS.synapse : /^pg_/.test(name) ? SCRAPE_JOBS.postgres : undefined);
    for (const d of dashboards(OPEN)) {
      for (const expr of dashboardExprs(d)) {
        for (const name of metricNames(expr)) {
          const job = exporterOf(name);
          // up and ALERTS are Prometheus's own series; every exporter's series names its job.
          if (job === undefined) expect(['up', 'ALERTS']).toContain(name);
          else expect(expr).toMatch(new RegExp(`${name}\\{[^}]*job="${job}"`));
        }
      }
    }
  });

  it('show the federation queue only when federation is not closed, as the alert rules do', () => {
    const titles = (d: Dashboard) => d.panels.map((p) => p.title);
    expect(titles(synapseDashboard(OPEN))).toContain('Federation: events waiting to be sent');
    expect(titles(synapseDashboard(CLOSED))).not.toContain('Federation: events waiting to be sent');
    expect(dashboardMetricNames(synapseDashboard(CLOSED))).toEqual(SYNAPSE_METRICS.filter((n) => n !== 'synapse_federation_transaction_queue_pending_pdus'));
  });

  it("draw the alert rules' thresholds on the panels they watch", () => {
    const threshold = (title: string) => {
      const panel = synapseDashboard(OPEN).panels.find((p) => p.title === title)!;
      return (panel.fieldConfig.defaults.thresholds as { steps: { value: number | null }[] }).steps.map((s) => s.value);
    };
    expect(threshold('Share of server errors (5xx)')).toEqual([null, HOMESERVER_ERROR_SHARE_THRESHOLD]);
    expect(threshold('Event processing lag')).toEqual([null, EVENT_PROCESSING_LAG_THRESHOLD]);
    expect(threshold('Federation: events waiting to be sent')).toEqual([null, FEDERATION_PENDING_PDUS_THRESHOLD]);
  });

  it("are in renderAll as the bundled Grafana's provisioned files, byte for byte", () => {
    const rendered = renderAll(OPEN).filter((f) => f.path.startsWith('grafana-dashboards/'));
    const byName = (files: { path: string; content: string }[]) => Object.fromEntries(files.map((f) => [f.path.split('/').pop(), f.content]));
    expect(byName(rendered)).toEqual(byName(renderDashboards(OPEN)));
    expect(rendered).toHaveLength(2);
  });
});
