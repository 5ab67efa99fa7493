/**
 * postgres_exporter as the kit deploys it, against the real PostgreSQL 17 (scripts/integration/
 * postgres.sh): the rendered init SQL (init-synapse.sql and init-metrics.sql, in one psql session
 * as the superuser, as Synapse's database init container runs them), then Debian's
 * postgres_exporter (scripts/integration/debian-unpack.sh, 0.11.1) as the `metrics` role over
 * the socket directory with the rendered query file, scraped over HTTP as Prometheus does.
 *
 * The cluster is laid out like the pod's volume: PGDATA is <dir>/data and the backup agent's
 * state directory and WAL spool sit beside it (<dir>/backup-state, <dir>/wal-spool), which is
 * where the rendered functions look (relative to PGDATA).
 *
 * What differs from production, and why: the exporter is Debian's 0.11.1 (the pinned image is
 * 0.18.1, which no registry here serves as a binary), so it runs with --no-collector.bgwriter
 * (0.11.1 reads columns PostgreSQL 17 moved) instead of the image's --collector.* flags; the
 * DSN, the role, the SQL and the query file are the rendered ones.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, closeSync, mkdirSync, mkdtempSync, openSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDeployment } from '../../src/config/load';
import { renderPostgresInit, SYNAPSE_PASSWORD_VARIABLE } from '../../src/render/postgres';
import { BACKUP_METRICS, exporterDataSource, METRICS_ROLE, renderPostgresExporterQueries, renderPostgresMetricsInit } from '../../src/render/postgres-exporter';
import { VALID_YAML } from '../helpers';
import { sleep } from './backup-drill-matrix';
import { ensureSystemUser, freePort, startPostgres, tail, type Postgres } from './postgres';
import { stopProcessGroup } from './process-group';
import { postgresExporterBinary } from './debian-packages';

// Backups on (the default on Hetzner), so the query file is rendered.
const spec = parseDeployment(VALID_YAML, 'metrics.yaml');

let root = '';
let pg: Postgres | undefined;
let exporter: ChildProcess | undefined;
let exporterLog = '';
let metricsUrl = '';
const timings: string[] = [];

beforeAll(async () => {
  expect(spec.backup.enabled).toBe(true);
  const exporterBin = postgresExporterBinary();
  root = mkdtempSync(join(tmpdir(), 'sm-pg-metrics-it-'));
  chmodSync(root, 0o755);
  let step = Date.now();
  pg = await startPostgres(join(root, 'postgres'));
  timings.push(`PostgreSQL ${pg.serverVersion} initdb + start: ${seconds(Date.now() - step)}`);

  // The rendered init scripts, in one session as the superuser (Synapse's init container).
  const files: Record<string, string> = {};
  for (const file of [...renderPostgresInit(spec), ...renderPostgresMetricsInit(spec), ...renderPostgresExporterQueries(spec)]) {
    const path = join(root, file.path.replace('/', '-'));
    writeFileSync(path, file.content);
    files[file.path] = path;
  }
  const session = ['-v', 'ON_ERROR_STOP=1', '-v', `${SYNAPSE_PASSWORD_VARIABLE}=${randomBytes(12).toString('hex')}`, '-f', files['postgres/init-synapse.sql'], '-f', files['postgres/init-metrics.sql']];
  pg.psql(session);
  // Idempotent: the init container runs it on every Synapse start.
  pg.psql(session);
  // A table of Synapse's, made by its owner in its database (what Synapse's schema setup does).
  psqlAs('synapse', 'synapse', "CREATE TABLE users (name text PRIMARY KEY, password_hash text); INSERT INTO users VALUES ('@alice:ministry.example.eu', 'hash');", true);

  const port = await freePort();
  exporterLog = join(root, 'postgres-exporter.log');
  const out = openSync(exporterLog, 'a');
  step = Date.now();
  exporter = spawn(exporterBin, [`--web.listen-address=127.0.0.1:${port}`, '--no-collector.bgwriter', `--extend.query-path=${files['postgres/exporter-queries.yaml']}`], {
    cwd: root,
    env: { ...process.env, DATA_SOURCE_NAME: exporterDataSource(pg.socketDir, pg.port) },
    detached: true,
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  const deadline = Date.now() + 30_000;
  while (!(await scrape().then((m) => m.has('pg_up')).catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`postgres_exporter did not answer:\n${tail(exporterLog, 30)}`);
    await sleep(300);
  }
  timings.push(`postgres_exporter start to first scrape: ${seconds(Date.now() - step)}`);
}, 20 * 60_000);

afterAll(async () => {
  if (exporter) await stopProcessGroup(exporter, 10_000);
  pg?.stop();
  if (root && !process.env.SOVEREIGN_MATRIX_KEEP_TEST_DIRS) rmSync(root, { recursive: true, force: true });
  console.log(`postgres metrics integration timings:\n  ${timings.join('\n  ')}`);
}, 60_000);

test('(a) the exporter logs in as the metrics role over the socket: pg_up 1, and its queries run without error', async () => {
  const m = await scrape();
  expect(value(m, 'pg_up')).toBe(1);
  expect(value(m, 'pg_exporter_last_scrape_error')).toBe(0);
  expect(value(m, 'pg_exporter_user_queries_load_error')).toBe(0);
  // 0.11.1 runs the database collector: sizes of every database, Synapse's too, which pg_monitor
  // (pg_read_all_stats) allows without CONNECT on it.
  expect(value(m, 'pg_scrape_collector_success', { collector: 'database' })).toBe(1);
  expect(value(m, 'pg_database_size_bytes', { datname: 'synapse' })).toBeGreaterThan(0);
  // The session the exporter holds is the metrics role's.
  const users = pg!.psql(['-At', '-c', "SELECT DISTINCT usename FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"]).trim().split('\n');
  expect(users).toEqual([METRICS_ROLE]);
  const families = [...new Set([...m.keys()].map((k) => k.split('{')[0]))].filter((n) => !/^(go|process|promhttp|pg_settings)_/.test(n)).sort();
  console.log(`${m.size} samples; families other than go_, process_, promhttp_, pg_settings_:\n  ${families.join(' ')}`);
});

test('(b) the metrics role reads no table of Synapse, no file, and cannot log in over the network', () => {
  expect(psqlAs(METRICS_ROLE, 'synapse', 'SELECT count(*) FROM users;')).toMatch(/permission denied for database "?synapse"?/);
  // Even if the database let everyone connect, the table is the owner's.
  pg!.psql(['-c', 'GRANT CONNECT ON DATABASE synapse TO metrics;']);
  try {
    expect(psqlAs(METRICS_ROLE, 'synapse', 'SELECT count(*) FROM users;')).toMatch(/permission denied for table users/);
  } finally {
    pg!.psql(['-c', 'REVOKE CONNECT ON DATABASE synapse FROM metrics;']);
  }
  expect(psqlAs(METRICS_ROLE, 'postgres', "SELECT pg_read_file('PG_VERSION');")).toMatch(/permission denied for function pg_read_file/);
  // The marker only through the function: pg_stat_file itself is refused.
  expect(psqlAs(METRICS_ROLE, 'postgres', "SELECT pg_stat_file('../backup-state/last-success', true);")).toMatch(/permission denied for function pg_stat_file/);
  expect(psqlAs(METRICS_ROLE, 'postgres', 'CREATE TABLE t (x int);')).toMatch(/permission denied for schema public/);
  // scram over TCP needs a password; the role has none (PASSWORD NULL).
  const tcp = spawnSync(join(pg!.binDir, 'psql'), ['-X', '-At', '-w', '-h', '127.0.0.1', '-p', String(pg!.port), '-U', METRICS_ROLE, '-d', 'postgres', '-c', 'SELECT 1'], { encoding: 'utf8' });
  expect(tcp.status).not.toBe(0);
  expect(tcp.stderr).toMatch(/password/);
});

test('(c) the backup metric is 0 without a marker, then the mtime of the marker the agent writes', async () => {
  expect(value(await scrape(), BACKUP_METRICS.lastSuccess, { kind: 'postgres' })).toBe(0);
  const state = join(root, 'postgres', 'backup-state');
  agentDir(state);
  const marker = join(state, 'last-success');
  // What the agent does after a successful backup: date -u +%s >"$state/last-success".
  const when = Math.floor(Date.now() / 1000) - 3 * 3600;
  writeFileSync(marker, `${when}\n`);
  utimesSync(marker, when, when);
  expect(value(await scrape(), BACKUP_METRICS.lastSuccess, { kind: 'postgres' })).toBe(when);
});

test('(c) the WAL backlog: segments in the spool not yet pushed, and the age of the oldest', async () => {
  let m = await scrape();
  expect(value(m, BACKUP_METRICS.walPendingSegments)).toBe(0);
  expect(value(m, BACKUP_METRICS.walOldestPendingAge)).toBe(0);
  const spool = join(root, 'postgres', 'wal-spool');
  agentDir(spool);
  const now = Math.floor(Date.now() / 1000);
  for (const [name, age] of [['000000010000000000000001', 1200], ['000000010000000000000002', 60], ['000000010000000000000003.part', 5000]] as const) {
    writeFileSync(join(spool, name), '');
    utimesSync(join(spool, name), now - age, now - age);
  }
  m = await scrape();
  expect(value(m, BACKUP_METRICS.walPendingSegments)).toBe(2);
  const age = value(m, BACKUP_METRICS.walOldestPendingAge);
  expect(age).toBeGreaterThanOrEqual(1200);
  expect(age).toBeLessThan(1200 + 30);
});

test('(d) WAL archiving: the pg_stat_archiver series exist', async () => {
  const m = await scrape();
  const names = [...m.keys()].filter((k) => k.startsWith('pg_stat_archiver_')).map((k) => k.split('{')[0]).sort();
  console.log(`pg_stat_archiver series: ${names.join(' ')}`);
  expect(names).toEqual(expect.arrayContaining(['pg_stat_archiver_archived_count', 'pg_stat_archiver_failed_count', 'pg_stat_archiver_last_archive_age']));
});

// ------------------------------------------------------------------------------------------------

/** Runs psql as `user` over the socket; returns its output, or its error text when it fails (unless `must`). */
function psqlAs(user: string, database: string, sql: string, must = false): string {
  const result = spawnSync(join(pg!.binDir, 'psql'), ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-h', pg!.socketDir, '-p', String(pg!.port), '-U', user, '-d', database, '-c', sql], { encoding: 'utf8' });
  if (must && result.status !== 0) throw new Error(`psql as ${user}: ${result.stderr}`);
  return result.status === 0 ? result.stdout : result.stderr;
}

/** A directory the backup agent would own (the server's user here, as uid 999 owns it in the pod). */
function agentDir(path: string): void {
  mkdirSync(path, { recursive: true });
  if (process.getuid?.() === 0) {
    const user = ensureSystemUser('postgres');
    chownSync(path, user.uid, user.gid);
  }
}

/** The samples of one scrape, by `name{labels}` as the exposition format writes them. */
async function scrape(): Promise<Map<string, number>> {
  const res = await fetch(metricsUrl, { signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

/** The value of the one sample of `name` whose labels include `labels`. */
function value(samples: Map<string, number>, name: string, labels: Record<string, string> = {}): number {
  const found = [...samples.entries()].filter(([key]) => {
    const brace = key.indexOf('{');
    if ((brace < 0 ? key : key.slice(0, brace)) !== name) return false;
    return Object.entries(labels).every(([k, v]) => key.includes(`${k}="${v}"`));
  });
  if (found.length !== 1) throw new Error(`${name}${JSON.stringify(labels)}: ${found.length} samples\n${tail(exporterLog, 10)}`);
  return found[0][1];
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
