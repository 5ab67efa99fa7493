import type { DeploymentSpec } from '../../config/spec';
import type { RenderedFile } from '../files';
import { EVENT_PROCESSING_LAG_THRESHOLD, FEDERATION_PENDING_PDUS_THRESHOLD, HOMESERVER_ERROR_SHARE_THRESHOLD } from './alert-rules';
import { SCRAPE_JOBS, scrapedComponents, type ScrapedComponent } from './scrape-config';
import { metricNames } from './promql';

/**
 * Grafana dashboards of a deployment, as files Grafana's dashboard provisioning reads. They are
 * our own: every expression uses only series that the kit's scrape jobs export (Synapse 1.163.2,
 * postgres_exporter, Prometheus's own `up` and `ALERTS`), selected by the job names of
 * SCRAPE_JOBS, so a dashboard shows what the alert rules watch.
 *
 * The JSON is built from object literals in a fixed order, without ids Grafana assigns, dates or
 * versions: the same deployment file gives the same bytes, so a diff shows only real changes.
 * `editable: false`, because a provisioned dashboard edited in the UI is overwritten on the next
 * provisioning; changes belong here.
 */

/** Grafana's dashboard JSON model version the panels are written for (Grafana 10.4 / 11). */
export const DASHBOARD_SCHEMA_VERSION = 39;

/** Where the dashboard files go, relative to the render output (monitoring/dashboards/<uid>.json). */
export const DASHBOARDS_DIR = 'monitoring/dashboards';

/** The datasource template variable: the operator picks their Prometheus once, every panel follows. */
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' } as const;

/** The window of every rate(): several scrapes at the default 30 s interval. */
const RATE_WINDOW = '5m';

export interface Target {
  readonly refId: string;
  readonly datasource: typeof DATASOURCE;
  readonly expr: string;
  readonly legendFormat: string;
  readonly instant?: true;
  readonly format?: 'table';
}

export interface Panel {
  readonly id: number;
  readonly type: 'timeseries' | 'stat' | 'table';
  readonly title: string;
  readonly description: string;
  readonly datasource: typeof DATASOURCE;
  readonly gridPos: { readonly h: number; readonly w: number; readonly x: number; readonly y: number };
  readonly fieldConfig: { readonly defaults: Record<string, unknown>; readonly overrides: readonly unknown[] };
  readonly options: Record<string, unknown>;
  readonly targets: readonly Target[];
}

export interface Dashboard {
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly editable: false;
  readonly graphTooltip: 1;
  readonly refresh: string;
  readonly schemaVersion: number;
  readonly time: { readonly from: string; readonly to: string };
  readonly timezone: string;
  readonly templating: { readonly list: readonly unknown[] };
  readonly panels: readonly Panel[];
}

// Grafana limits a uid to 40 characters; a deployment name has at most 32, so the suffixes have
// at most 8 (dashboards.test.ts checks the longest name).
export function synapseDashboardUid(spec: DeploymentSpec): string {
  return `${spec.name}-synapse`;
}

export function overviewDashboardUid(spec: DeploymentSpec): string {
  return `${spec.name}-summary`;
}

// ------------------------------------------------------------------------------------------------
// Panels are described as small specs; `layout` turns them into Grafana panels with ids and
// positions, so no dashboard repeats the boilerplate or numbers panels by hand.

interface Query {
  readonly expr: string;
  readonly legend: string;
}

interface PanelSpec {
  readonly type: Panel['type'];
  readonly title: string;
  readonly description: string;
  readonly queries: readonly Query[];
  /** Grafana unit id: reqps, percentunit, s, bytes, short, ... */
  readonly unit: string;
  /** A red line (timeseries) or red background (stat) from this value on: an alert's threshold. */
  readonly threshold?: number;
  /** stat panels of `up`-like series: 1 reads UP, 0 reads DOWN. */
  readonly upDown?: true;
}

/** Width of each type on Grafana's 24-column grid; a row fills up, then the next one starts. */
const WIDTH: Record<Panel['type'], number> = { timeseries: 12, stat: 4, table: 24 };
const HEIGHT: Record<Panel['type'], number> = { timeseries: 8, stat: 4, table: 6 };

function layout(specs: readonly PanelSpec[]): Panel[] {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  return specs.map((spec, index) => {
    const w = WIDTH[spec.type];
    const h = HEIGHT[spec.type];
    if (x + w > 24) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    const gridPos = { h, w, x, y };
    x += w;
    rowHeight = Math.max(rowHeight, h);
    return panel(index + 1, spec, gridPos);
  });
}

function panel(id: number, spec: PanelSpec, gridPos: Panel['gridPos']): Panel {
  const steps: { color: string; value: number | null }[] = [{ color: 'green', value: null }];
  if (spec.threshold !== undefined) steps.push({ color: 'red', value: spec.threshold });
  if (spec.upDown) steps.splice(0, 1, { color: 'red', value: null }, { color: 'green', value: 1 });
  const defaults: Record<string, unknown> = { unit: spec.unit, thresholds: { mode: 'absolute', steps } };
  if (spec.type === 'timeseries' && spec.threshold !== undefined) defaults.custom = { thresholdsStyle: { mode: 'line' } };
  if (spec.upDown) {
    defaults.mappings = [{ type: 'value', options: { '0': { index: 0, text: 'DOWN' }, '1': { index: 1, text: 'UP' } } }];
  }
  return {
    id,
    type: spec.type,
    title: spec.title,
    description: spec.description,
    datasource: DATASOURCE,
    gridPos,
    fieldConfig: { defaults, overrides: [] },
    options: OPTIONS[spec.type],
    targets: spec.queries.map((query, i) => ({
      refId: String.fromCharCode(65 + i), // A, B, ...
      datasource: DATASOURCE,
      expr: query.expr,
      legendFormat: query.legend,
      // A table shows the current state (the firing alerts), not a history.
      ...(spec.type === 'table' ? { instant: true as const, format: 'table' as const } : {}),
    })),
  };
}

const OPTIONS: Record<Panel['type'], Record<string, unknown>> = {
  timeseries: { legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi', sort: 'desc' } },
  stat: { colorMode: 'background', graphMode: 'none', reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, textMode: 'value' },
  table: { showHeader: true },
};

function dashboard(spec: DeploymentSpec, uid: string, title: string, description: string, panels: readonly PanelSpec[]): Dashboard {
  return {
    uid,
    title: `${title} (${spec.name})`,
    description,
    tags: ['sovereign-matrix', spec.name],
    editable: false,
    graphTooltip: 1, // a shared crosshair: a spike lines up across panels
    refresh: '30s', // the scrape interval; refreshing faster shows nothing new
    schemaVersion: DASHBOARD_SCHEMA_VERSION,
    time: { from: 'now-6h', to: 'now' },
    timezone: '', // the viewer's browser setting
    templating: {
      list: [{ name: 'datasource', label: 'Prometheus', type: 'datasource', query: 'prometheus', current: {}, hide: 0, refresh: 1, options: [] }],
    },
    panels: layout(panels),
  };
}

// ------------------------------------------------------------------------------------------------

/** Synapse's own health: traffic, errors, latency, event pipeline, process and database pool. */
export function synapseDashboard(spec: DeploymentSpec): Dashboard {
  const job = `job="${SCRAPE_JOBS.synapse}"`;
  const rate = (series: string) => `rate(${series}[${RATE_WINDOW}])`;
  const quantile = (q: number, bucket: string) => ({
    expr: `histogram_quantile(${q}, sum by (le) (${rate(`${bucket}{${job}}`)}))`,
    legend: `p${q * 100}`,
  });
  const panels: PanelSpec[] = [
    {
      type: 'timeseries',
      title: 'Requests per second by servlet',
      description: 'HTTP requests Synapse received, by the servlet that handled them (sync, send, login, federation ...).',
      queries: [{ expr: `sum by (servlet) (${rate(`synapse_http_server_requests_received_total{${job}}`)})`, legend: '{{servlet}}' }],
      unit: 'reqps',
    },
    {
      type: 'timeseries',
      title: 'Share of server errors (5xx)',
      description: 'Responses with a 5xx status among all responses. The HomeserverErrors alert fires when this stays above the red line for 10 minutes.',
      queries: [
        {
          expr: `sum(${rate(`synapse_http_server_responses_total{${job},code=~"5.."}`)}) / sum(${rate(`synapse_http_server_responses_total{${job}}`)})`,
          legend: '5xx share',
        },
      ],
      unit: 'percentunit',
      threshold: HOMESERVER_ERROR_SHARE_THRESHOLD,
    },
    {
      type: 'timeseries',
      title: 'Response time',
      description: 'Median and 95th percentile of the time Synapse took to answer, over all servlets.',
      queries: [quantile(0.5, 'synapse_http_server_response_time_seconds_bucket'), quantile(0.95, 'synapse_http_server_response_time_seconds_bucket')],
      unit: 's',
    },
    {
      type: 'timeseries',
      title: 'Events persisted per second',
      description: 'Events (messages, state changes, from this server and others) written to the database.',
      queries: [{ expr: `sum(${rate(`synapse_storage_events_persisted_events_total{${job}}`)})`, legend: 'events' }],
      unit: 'short',
    },
    {
      type: 'timeseries',
      title: 'Event processing lag',
      description:
        'How many stream positions (about one per stored event) each background processor (federation sender, pushers, appservices, user directory, stats) trails the newest stored event. The EventProcessingLag alert fires when one stays above the red line for 15 minutes.',
      // The same expression as the alert, without its comparison.
      queries: [{ expr: `max(synapse_event_persisted_position{${job}}) - on() group_right() synapse_event_processing_positions{${job}}`, legend: '{{name}}' }],
      unit: 'short',
      threshold: EVENT_PROCESSING_LAG_THRESHOLD,
    },
  ];
  // A closed federation sends nothing, so its queue is always empty (the alert rules leave it out too).
  if (spec.federation.mode !== 'closed') {
    panels.push({
      type: 'timeseries',
      title: 'Federation: events waiting to be sent',
      description: 'Events (PDUs) queued for other homeservers. The FederationSendQueue alert fires when this stays above the red line for 15 minutes.',
      queries: [{ expr: `sum(synapse_federation_transaction_queue_pending_pdus{${job}})`, legend: 'pending PDUs' }],
      unit: 'short',
      threshold: FEDERATION_PENDING_PDUS_THRESHOLD,
    });
  }
  panels.push(
    {
      type: 'timeseries',
      title: 'CPU',
      description: 'CPU time the Synapse process used per second: 1 is one core fully busy.',
      queries: [{ expr: `${rate(`process_cpu_seconds_total{${job}}`)}`, legend: 'cores' }],
      unit: 'short',
    },
    {
      type: 'timeseries',
      title: 'Resident memory',
      description: 'Memory the Synapse process holds in RAM. Compare with the size profile memory limit: at the limit, Kubernetes kills the pod (OOMKilled).',
      queries: [{ expr: `process_resident_memory_bytes{${job}}`, legend: 'resident' }],
      unit: 'bytes',
    },
    {
      type: 'timeseries',
      title: 'Open file descriptors',
      description: 'Sockets and files the Synapse process has open, and its limit: at the limit it cannot accept connections.',
      queries: [
        { expr: `process_open_fds{${job}}`, legend: 'open' },
        { expr: `process_max_fds{${job}}`, legend: 'max' },
      ],
      unit: 'short',
    },
    {
      type: 'timeseries',
      title: 'Database scheduling time',
      description: "How long Synapse's database work waits for a free connection of its pool. Growing waits mean the pool or PostgreSQL is the bottleneck.",
      queries: [
        quantile(0.95, 'synapse_storage_schedule_time_bucket'),
        {
          expr: `sum(${rate(`synapse_storage_schedule_time_sum{${job}}`)}) / sum(${rate(`synapse_storage_schedule_time_count{${job}}`)})`,
          legend: 'mean',
        },
      ],
      unit: 's',
    },
    {
      type: 'timeseries',
      title: 'Garbage collection time',
      description: "Share of time Synapse's Python process spends in garbage collection, by generation. Long gen 2 collections pause every request.",
      queries: [{ expr: `sum by (gen) (${rate(`python_gc_time_sum{${job}}`)})`, legend: 'gen {{gen}}' }],
      unit: 'percentunit',
    },
  );
  return dashboard(spec, synapseDashboardUid(spec), 'Matrix homeserver (Synapse)', 'Traffic, errors, latency and resources of the Synapse homeserver.', panels);
}

/** Human names of the scrape jobs, for the `up` stat panels. */
const JOB_TITLES: Record<ScrapedComponent, string> = {
  synapse: 'Synapse up',
  mas: 'MAS (authentication) up',
  postgres: 'postgres_exporter up',
  node: 'node_exporter up',
  traefik: 'Traefik up',
};

/** Is everything up, what fires, and the database's load: the first page an operator opens. */
export function overviewDashboard(spec: DeploymentSpec): Dashboard {
  const pg = `job="${SCRAPE_JOBS.postgres}"`;
  const rate = (series: string) => `rate(${series}[${RATE_WINDOW}])`;
  const components = scrapedComponents(spec);
  const panels: PanelSpec[] = [
    ...components.map(
      (component): PanelSpec => ({
        type: 'stat',
        title: JOB_TITLES[component],
        description: `Whether Prometheus reached the "${SCRAPE_JOBS[component]}" scrape job at its last scrape.`,
        queries: [{ expr: `up{job="${SCRAPE_JOBS[component]}"}`, legend: '{{instance}}' }],
        unit: 'none',
        upDown: true,
      }),
    ),
    {
      type: 'stat',
      title: 'PostgreSQL up',
      description: 'Whether postgres_exporter could connect to PostgreSQL (its pg_up), the PostgresDown alert reads the same series.',
      queries: [{ expr: `pg_up{${pg}}`, legend: '{{instance}}' }],
      unit: 'none',
      upDown: true,
    },
    {
      type: 'table',
      title: 'Alerts firing',
      description: "The deployment's alerts that fire now (Prometheus's ALERTS series). Each alert's runbook is in its annotations.",
      queries: [{ expr: 'ALERTS{alertstate="firing"}', legend: '{{alertname}}' }],
      unit: 'none',
    },
    {
      type: 'timeseries',
      title: 'Synapse requests per second',
      description: 'All HTTP requests Synapse received.',
      queries: [{ expr: `sum(${rate(`synapse_http_server_requests_received_total{job="${SCRAPE_JOBS.synapse}"}`)})`, legend: 'requests' }],
      unit: 'reqps',
    },
    {
      type: 'timeseries',
      title: 'PostgreSQL connections',
      description: 'Connections in use over all databases, and max_connections. PostgresConnectionsHigh fires above 80 % of the maximum.',
      queries: [
        { expr: `sum(pg_stat_database_numbackends{${pg}})`, legend: 'in use' },
        { expr: `max(pg_settings_max_connections{${pg}})`, legend: 'max' },
      ],
      unit: 'short',
    },
    {
      type: 'timeseries',
      title: 'Database size',
      description: 'Size on disk of each database. Compare with the volume size of the size profile.',
      queries: [{ expr: `pg_database_size_bytes{${pg}}`, legend: '{{datname}}' }],
      unit: 'bytes',
    },
    {
      type: 'timeseries',
      title: 'Transactions per second',
      description: 'Committed transactions per database.',
      queries: [{ expr: `sum by (datname) (${rate(`pg_stat_database_xact_commit{${pg}}`)})`, legend: '{{datname}}' }],
      unit: 'short',
    },
  ];
  return dashboard(spec, overviewDashboardUid(spec), 'Deployment overview', 'Whether every component is up, which alerts fire, and the load of the database.', panels);
}

export function dashboards(spec: DeploymentSpec): Dashboard[] {
  return [synapseDashboard(spec), overviewDashboard(spec)];
}

/** The dashboards as provisioning files, monitoring/dashboards/<uid>.json (the bundled Grafana's are these bytes, renderBundledMonitoring). */
export function renderDashboards(spec: DeploymentSpec): RenderedFile[] {
  return dashboards(spec).map((d) => ({ path: `${DASHBOARDS_DIR}/${d.uid}.json`, content: `${JSON.stringify(d, null, 2)}\n` }));
}

// ------------------------------------------------------------------------------------------------

/** Every expression of a dashboard, in panel order. */
export function dashboardExprs(d: Dashboard): string[] {
  return d.panels.flatMap((p) => p.targets.map((t) => t.expr));
}

/** The metric names a dashboard reads, sorted and unique. */
export function dashboardMetricNames(d: Dashboard): string[] {
  return [...new Set(dashboardExprs(d).flatMap(metricNames))].sort();
}
