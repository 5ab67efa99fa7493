/**
 * The rendered monitoring files with the real programs: Prometheus 3.16.0 (scripts/tools.sh
 * prometheus) runs the rendered prometheus.yml and alert-rules.yml, scraping the real Synapse
 * (the pinned release from PyPI, booted with the rendered homeserver.yaml as synapse.test.ts
 * does), and Debian's postgres_exporter (scripts/integration/debian-unpack.sh) in front of the
 * real PostgreSQL 17 (scripts/integration/postgres.sh). The scrape targets are loopback addresses
 * and the intervals are 2 s instead of 30 s, both through renderScrapeConfig's parameters; the
 * alert rules are as rendered, `for: 2m` included, so the last test waits for real.
 *
 * MAS is not booted: no package registry here serves it (see backup-drill-matrix.ts). Its job
 * scrapes a loopback port nothing listens on, so its `up` is 0, and MasDown firing is part of the
 * proof that the rule selects the job the scrape config names. Without MAS nobody could log in,
 * and Synapse sets some series only once it has stored an event (synapse_event_persisted_position),
 * so Synapse keeps its own password accounts here: the backup drill's one documented change
 * (passwordLoginInsteadOfMas), which touches login only, not metrics.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDeploymentFiles, parseDeployment } from '../../src/config/load';
import { alertRules, renderAlertRules } from '../../src/render/monitoring/alert-rules';
import { dashboardExprs, dashboardMetricNames, dashboards } from '../../src/render/monitoring/dashboards';
import { ALERT_RULES_FILE, renderScrapeConfig, SCRAPE_JOBS, scrapedComponents } from '../../src/render/monitoring/scrape-config';
import { metricNames } from '../../src/render/monitoring/promql';
import { exporterDataSource, renderPostgresMetricsInit } from '../../src/render/postgres-exporter';
import { MatrixClient, passwordLoginInsteadOfMas, sleep, startSynapse } from './backup-drill-matrix';
import { freePort, startPostgres, tail, type Postgres } from './postgres';
import { stopProcessGroup } from './process-group';
import { installSynapse, prepareSynapseRun } from './synapse-run';
import { ensureTools } from './tools';
import { postgresExporterBinary } from './debian-packages';

const REPO = join(__dirname, '..', '..');
const INTERVALS = { scrapeSeconds: 2, evaluationSeconds: 2 };

// Open federation, so the federation rule is rendered and its series must be scraped too.
const spec = parseDeployment(
  'name: ministry\nserver_name: ministry.example.eu\ntarget:\n  kubernetes:\n    context: test\nadmin_contact: ops@ministry.example.eu\nbackup:\n  enabled: false\nfederation:\n  mode: open\n',
  'monitoring.yaml',
);

/** The same deployment with backups on: its backup rules read postgres_exporter's archiver series. */
const specWithBackups = parseDeployment(
  'name: ministry\nserver_name: ministry.example.eu\ntarget:\n  kubernetes:\n    context: test\nadmin_contact: ops@ministry.example.eu\nbackup:\n  s3:\n    endpoint: https://s3.example-eu.eu\n    bucket: ministry-backups\n    region: eu-west\nfederation:\n  mode: open\n',
  'monitoring-backups.yaml',
);

const timings: string[] = [];
let root = '';
let pg: Postgres | undefined;
let synapse: ChildProcess | undefined;
let exporter: ChildProcess | undefined;
let prometheus: ChildProcess | undefined;
let promtool = '';
let prometheusBase = '';
let synapseBase = '';
const sharedSecret = randomBytes(24).toString('hex');
const logs: Record<string, string> = {};

beforeAll(async () => {
  const started = Date.now();
  const bin = ensureTools('prometheus');
  promtool = join(bin, 'promtool');
  const python = installSynapse();
  const exporterBin = postgresExporterBinary();
  timings.push(`installers (tools.sh prometheus, synapse.sh, debian-unpack.sh): ${seconds(Date.now() - started)}`);

  root = mkdtempSync(join(tmpdir(), 'sm-prometheus-it-'));
  chmodSync(root, 0o755);
  let step = Date.now();
  pg = await startPostgres(join(root, 'postgres'));
  timings.push(`PostgreSQL ${pg.serverVersion} initdb + start: ${seconds(Date.now() - step)}`);

  step = Date.now();
  const sharedSecretFile = join(root, 'registration-shared-secret');
  writeFileSync(sharedSecretFile, sharedSecret, { mode: 0o600 });
  const run = await prepareSynapseRun(python, spec, pg, join(root, 'synapse'), (overlaid) => passwordLoginInsteadOfMas(overlaid, sharedSecretFile));
  synapseBase = `http://127.0.0.1:${run.httpPort}`;
  logs.synapse = run.logFile;
  synapse = await startSynapse({ python, configFile: run.configFile, cwd: run.dir, logFile: run.logFile, env: { PGPASSWORD: run.dbPassword }, base: synapseBase, timeoutMs: 180_000 });
  timings.push(`Synapse boot (fresh database): ${seconds(Date.now() - step)}`);

  // The exporter's role, from the rendered init script, as Synapse's init container runs it.
  const [metricsInit] = renderPostgresMetricsInit(spec);
  writeFileSync(join(root, 'init-metrics.sql'), metricsInit.content);
  pg.psql(['-v', 'ON_ERROR_STOP=1', '-f', join(root, 'init-metrics.sql')]);
  const exporterPort = await freePort();
  logs.exporter = join(root, 'postgres-exporter.log');
  // 0.11.1's bgwriter collector reads pg_stat_bgwriter columns PostgreSQL 17 moved to
  // pg_stat_checkpointer ("pq: column checkpoints_timed does not exist", measured on 17.12); off.
  exporter = spawnLogged(exporterBin, [`--web.listen-address=127.0.0.1:${exporterPort}`, '--no-collector.bgwriter'], logs.exporter, {
    // Over the cluster's socket as the production role (postgres-metrics.test.ts tests its limits).
    DATA_SOURCE_NAME: exporterDataSource(pg.socketDir, pg.port),
  });

  const masPort = await freePort(); // nothing listens there (see the header)
  const promPort = await freePort();
  const configDir = join(root, 'prometheus');
  mkdirSync(configDir);
  const targets = { synapse: `127.0.0.1:${run.metricsPort}`, mas: `127.0.0.1:${masPort}`, postgres: `127.0.0.1:${exporterPort}` };
  writeFileSync(join(configDir, 'prometheus.yml'), renderScrapeConfig(spec, targets, INTERVALS));
  writeFileSync(join(configDir, ALERT_RULES_FILE), renderAlertRules(spec));
  prometheusBase = `http://127.0.0.1:${promPort}`;
  logs.prometheus = join(root, 'prometheus.log');
  step = Date.now();
  prometheus = spawnLogged(
    join(bin, 'prometheus'),
    [`--config.file=${join(configDir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(root, 'tsdb')}`, `--web.listen-address=127.0.0.1:${promPort}`],
    logs.prometheus,
  );
  await waitFor('Prometheus ready', 60_000, async () => (await fetch(`${prometheusBase}/-/ready`, { signal: AbortSignal.timeout(2_000) })).status === 200);
  timings.push(`Prometheus start to ready: ${seconds(Date.now() - step)}`);
}, 40 * 60_000);

afterAll(async () => {
  for (const child of [prometheus, exporter, synapse]) if (child) await stopProcessGroup(child, 20_000);
  pg?.stop();
  if (root && !process.env.SOVEREIGN_MATRIX_KEEP_TEST_DIRS) rmSync(root, { recursive: true, force: true });
  else if (root) timings.push(`kept ${root}`);
  console.log(`Prometheus integration timings:\n  ${timings.join('\n  ')}`);
}, 120_000);

test('the production prometheus.yml of every example deployment (in-cluster targets, 30 s) passes promtool check config', () => {
  const files = readdirSync(join(REPO, 'deployments')).filter((f) => f.endsWith('.yaml')).map((f) => join(REPO, 'deployments', f));
  expect(files.length).toBeGreaterThanOrEqual(3);
  for (const { spec: example } of loadDeploymentFiles(files)) {
    const dir = join(root, `check-${example.name}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'prometheus.yml'), renderScrapeConfig(example));
    writeFileSync(join(dir, ALERT_RULES_FILE), renderAlertRules(example));
    const check = spawnSync(promtool, ['check', 'config', 'prometheus.yml'], { cwd: dir, encoding: 'utf8' });
    expect({ deployment: example.name, status: check.status, output: `${check.stdout}${check.stderr}` }).toEqual({
      deployment: example.name,
      status: 0,
      output: expect.stringContaining(`SUCCESS: prometheus.yml is valid prometheus config file syntax`),
    });
  }
});

test('Prometheus loaded the rendered rules: every group and alert', async () => {
  const groups = (await api('/api/v1/rules')).groups as { name: string; rules: { name: string; health: string }[] }[];
  const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
  const expected = alertRules(spec).groups.map((g) => ({ name: g.name, rules: g.rules.map((r) => r.alert) }));
  // The API lists the groups by name.
  expect(groups.map((g) => ({ name: g.name, rules: g.rules.map((r) => r.name) }))).toEqual([...expected].sort(byName));
});

test('Synapse and postgres_exporter are scraped (up 1); MAS, not running here, is not (up 0)', async () => {
  const step = Date.now();
  await waitFor('every job scraped once', 30_000, async () => (await query('up')).length === scrapedComponents(spec).length);
  await waitFor('synapse and postgres up', 30_000, async () => {
    const up = await upByJob();
    return up.synapse === 1 && up.postgres === 1;
  });
  timings.push(`Prometheus start to synapse and postgres up: about ${seconds(Date.now() - step)} after ready`);
  expect(await upByJob()).toEqual({ [SCRAPE_JOBS.synapse]: 1, [SCRAPE_JOBS.postgres]: 1, [SCRAPE_JOBS.mas]: 0 });
});

test('the series the alert rules use are scraped from the real Synapse and postgres_exporter', async () => {
  // A user creates a room: Synapse answers requests and stores events (the room's first ones).
  const client = new MatrixClient(synapseBase);
  const { token } = await client.register(sharedSecret, 'monitor', randomBytes(12).toString('hex'));
  expect((await client.ok('POST', '/_matrix/client/v3/createRoom', { token, json: { name: 'monitoring' } })).room_id).toMatch(/^!/);
  const ruleNames = (rules: ReturnType<typeof alertRules>) => rules.groups.flatMap((g) => g.rules.flatMap((r) => metricNames(r.expr)));
  // The backup rules' PostgreSQL series too (WAL archiving: pg_stat_archiver, pg_stat_database),
  // from the same deployment with backups on; their backup freshness series comes from the
  // exporter's custom queries, which this test does not load.
  const withBackups = ruleNames(alertRules(specWithBackups)).filter((n) => n.startsWith('pg_'));
  expect(withBackups).toEqual(expect.arrayContaining(['pg_stat_archiver_failed_count', 'pg_stat_archiver_archived_count', 'pg_stat_archiver_last_archive_age', 'pg_stat_database_tup_inserted']));
  const names = [...new Set([...ruleNames(alertRules(spec)), ...withBackups])].sort();
  expect(names).toEqual(expect.arrayContaining(['pg_up', 'synapse_http_server_responses_total', 'up']));
  const missing = async () => {
    const absent: string[] = [];
    for (const name of names) if ((await query(name)).length === 0) absent.push(name);
    return absent;
  };
  await waitFor('every series of the rules', 30_000, async () => (await missing()).length === 0).catch(() => undefined);
  expect(await missing()).toEqual([]);
  const pgUp = await query('pg_up');
  expect(pgUp.map((s) => s.value[1])).toEqual(['1']);
  // Every collector that runs succeeds on PostgreSQL 17.
  const collectors = await query('pg_scrape_collector_success');
  expect(collectors.map((s) => `${s.metric.collector}=${s.value[1]}`)).toEqual(['database=1']);
  expect((await query('synapse_http_server_requests_received_total')).length).toBeGreaterThan(0);
});

// Before Synapse is stopped: Prometheus lists the metadata of the targets it scrapes now.
test('every metric the dashboards read is a family the real scrape exposes, and Prometheus accepts every expression', async () => {
  const step = Date.now();
  // ALERTS exists only while an alert is pending or firing: MasDown is, from the first evaluations
  // on (MAS is not running here).
  await waitFor('an ALERTS series', 30_000, async () => (await query('ALERTS')).length > 0);
  // The families each target declared (# TYPE), samples or not: a labelled histogram such as
  // python_gc_time is declared from the start, before its first observation.
  const metadata = (await api('/api/v1/metadata')) as Record<string, { type: string }[]>;
  // Series with samples now; Prometheus's own (up, ALERTS) have no metadata.
  const withSamples = new Set((await api('/api/v1/label/__name__/values')) as string[]);
  const prometheusOwn = ['ALERTS', 'up'];
  // The suffix mapping finds the histogram and counter families, and nothing for a name no target declared.
  expect(familyOf('synapse_http_server_response_time_seconds_bucket', metadata)).toBe('synapse_http_server_response_time_seconds');
  expect(familyOf('synapse_storage_schedule_time_count', metadata)).toBe('synapse_storage_schedule_time');
  expect(familyOf('process_cpu_seconds_total', metadata)).toMatch(/^process_cpu_seconds(_total)?$/);
  expect(familyOf('synapse_http_server_response_time_seconds_total', metadata)).toBeUndefined();
  expect(familyOf('synapse_no_such_metric_bucket', metadata)).toBeUndefined();
  for (const d of dashboards(spec)) {
    const names = dashboardMetricNames(d);
    const exported = names.filter((n) => !prometheusOwn.includes(n));
    expect({ dashboard: d.uid, notDeclared: exported.filter((n) => familyOf(n, metadata) === undefined) }).toEqual({ dashboard: d.uid, notDeclared: [] });
    const own = names.filter((n) => prometheusOwn.includes(n));
    expect({ dashboard: d.uid, noSamples: own.filter((n) => !withSamples.has(n)) }).toEqual({ dashboard: d.uid, noSamples: [] });
  }
  // Each expression parses and evaluates (an empty result is fine: no 5xx yet, say). api() throws on
  // a status other than success, which a parse error is.
  const empty: string[] = [];
  let count = 0;
  for (const d of dashboards(spec)) {
    for (const expr of dashboardExprs(d)) {
      const data = await api(`/api/v1/query?query=${encodeURIComponent(expr)}`).catch((error: Error) => ({ error: error.message }));
      expect({ expr, data }).toEqual({ expr, data: expect.objectContaining({ resultType: 'vector' }) });
      if (data.result.length === 0) empty.push(expr);
      count += 1;
    }
  }
  timings.push(`dashboards: ${count} expressions evaluated in ${seconds(Date.now() - step)}, ${empty.length} empty now:\n    ${empty.join('\n    ')}`);
});

test('stopping Synapse fires HomeserverDown after its rendered 2 minutes', async () => {
  expect(await alertState('HomeserverDown')).toBe('inactive');
  const stopped = Date.now();
  await stopProcessGroup(synapse!, 20_000);
  synapse = undefined;
  await waitFor('HomeserverDown pending', 30_000, async () => (await alertState('HomeserverDown')) === 'pending');
  const pendingAfter = Date.now() - stopped;
  await waitFor('HomeserverDown firing', 180_000, async () => (await alertState('HomeserverDown')) === 'firing', 1_000);
  const firingAfter = Date.now() - stopped;
  timings.push(`Synapse stopped -> HomeserverDown pending ${seconds(pendingAfter)}, firing ${seconds(firingAfter)}`);
  expect(firingAfter).toBeGreaterThanOrEqual(120_000);
  // 2 minutes, plus at most one scrape to notice and one evaluation to fire, and the polling.
  expect(firingAfter).toBeLessThan(120_000 + 3 * 1000 * (INTERVALS.scrapeSeconds + INTERVALS.evaluationSeconds) + 5_000);
  const alert = (await alerts()).find((a) => a.labels.alertname === 'HomeserverDown')!;
  expect(alert.labels).toEqual({ alertname: 'HomeserverDown', job: 'synapse', instance: expect.stringMatching(/^127\.0\.0\.1:\d+$/), severity: 'critical' });
  expect(alert.annotations.runbook).toContain('kubectl -n matrix-ministry logs deployment/synapse');
  // MAS has been unreachable since the start: it fires too; PostgreSQL is up and stays quiet.
  expect(await alertState('MasDown')).toBe('firing');
  expect(await alertState('PostgresDown')).toBe('inactive');
}, 5 * 60_000);

// ------------------------------------------------------------------------------------------------

/** Starts a server detached (its own process group, stopped with stopProcessGroup), output to `log`. */
function spawnLogged(file: string, args: string[], log: string, env: Record<string, string> = {}): ChildProcess {
  const out = openSync(log, 'a');
  try {
    return spawn(file, args, { cwd: root, env: { ...process.env, ...env }, detached: true, stdio: ['ignore', out, out] });
  } finally {
    closeSync(out);
  }
}

/**
 * The metric family `name` belongs to in Prometheus's metadata, or undefined. A histogram's
 * _bucket/_sum/_count series belong to the family without the suffix; a counter's _total series
 * to the family with it (Prometheus text format, as prometheus_client writes it) or without it
 * (OpenMetrics), whichever the target declared.
 */
function familyOf(name: string, metadata: Record<string, { type: string }[]>): string | undefined {
  if (metadata[name]) return name;
  const suffixed = /^(.*)_(bucket|sum|count|total)$/.exec(name);
  if (!suffixed) return undefined;
  const [, base, suffix] = suffixed;
  const types = (metadata[base] ?? []).map((m) => m.type);
  const fits = suffix === 'bucket' ? ['histogram'] : suffix === 'total' ? ['counter'] : ['histogram', 'summary'];
  return types.some((t) => fits.includes(t)) ? base : undefined;
}

/** Series names in a PromQL expression: identifiers that are neither label names, functions nor keywords. */
async function api(path: string): Promise<any> {
  const res = await fetch(`${prometheusBase}${path}`, { signal: AbortSignal.timeout(10_000) });
  const body = (await res.json()) as { status: string; data: any; error?: string };
  if (body.status !== 'success') throw new Error(`${path}: ${body.error}`);
  return body.data;
}

async function query(promql: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  return (await api(`/api/v1/query?query=${encodeURIComponent(promql)}`)).result;
}

async function upByJob(): Promise<Record<string, number>> {
  return Object.fromEntries((await query('up')).map((s) => [s.metric.job, Number(s.value[1])]));
}

async function alerts(): Promise<{ labels: Record<string, string>; annotations: Record<string, string>; state: string }[]> {
  return (await api('/api/v1/alerts')).alerts;
}

async function alertState(name: string): Promise<string> {
  return (await alerts()).find((a) => a.labels.alertname === name)?.state ?? 'inactive';
}

async function waitFor(what: string, timeoutMs: number, done: () => Promise<boolean>, intervalMs = 500): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      if (await done()) return;
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(intervalMs);
  }
  const tails = Object.entries(logs).map(([name, file]) => `--- ${name}:\n${tail(file, 20)}`).join('\n');
  throw new Error(`${what}: not within ${timeoutMs / 1000} s${last ? ` (last error: ${last})` : ''}\n${tails}`);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
