import { posix } from 'node:path';
import YAML from 'yaml';
import type { DeploymentSpec } from '../config/spec';
import { BACKUP_PATHS, BACKUP_VOLUME_FILES } from './backup';
import type { RenderedFile } from './files';

/**
 * postgres_exporter, the sidecar beside PostgreSQL that the scraper reads, and what it needs in the
 * database: a role that may read statistics and nothing else, and the backup freshness the
 * backup agent leaves on the shared volume.
 *
 * How it logs in: over the pod's Unix socket directory as the role `metrics`, without a password.
 * The official image's initdb leaves `local` and `127.0.0.1` connections on `trust` (only
 * `host all all all` gets scram-sha-256), so inside the pod the socket, not a password, is the
 * boundary; pgBackRest already connects that way as `postgres`. A password would add a Secret and
 * no protection. `PASSWORD NULL` instead keeps the role from logging in over the network at all
 * (scram needs a password), so only the pod's own containers can be `metrics`. What the role
 * limits is what the exporter's queries can do: pg_monitor (statistics, settings, sizes), no
 * CONNECT on the services' databases, no file access. The one file it reads, the backup marker,
 * goes through a SECURITY DEFINER function that returns only that file's time.
 */

/** The exporter's role. */
export const METRICS_ROLE = 'metrics';

/** The database it connects to (also where the functions below live). */
export const METRICS_DATABASE = 'postgres';

/** Schema of the kit's functions in METRICS_DATABASE. */
const SCHEMA = 'sovereign_matrix';

/** The init script; run as the superuser like the services' init scripts (see AppsContext.databaseInit). */
export const METRICS_INIT_FILE = 'init-metrics.sql';

/** postgres_exporter's custom queries (--extend.query-path), rendered when backups are on. */
export const EXPORTER_QUERIES_FILE = 'exporter-queries.yaml';

/**
 * The series the custom queries add. `last_success_timestamp_seconds` is 0 while no backup has
 * succeeded (a fresh volume, or right after a restore, which starts a new timeline); the WAL
 * backlog is what pg_stat_archiver cannot see: PostgreSQL counts a segment archived once
 * wal-spool.sh has it on the volume, the bucket gets it when the agent pushes it.
 */
export const BACKUP_METRICS = {
  lastSuccess: 'sovereign_matrix_backup_last_success_timestamp_seconds',
  walPendingSegments: 'sovereign_matrix_backup_wal_pending_segments',
  walOldestPendingAge: 'sovereign_matrix_backup_wal_oldest_pending_age_seconds',
} as const;

/**
 * The agent's files relative to PGDATA, the server's working directory: relative, so that the
 * functions read the same files wherever a volume is mounted (the integration test lays out a
 * cluster the same way: PGDATA with the state directory beside it).
 */
export function backupFilesFromPgdata(): { lastSuccess: string; walSpool: string } {
  const fromPgdata = (path: string) => posix.relative(BACKUP_PATHS.pgdata, posix.join(BACKUP_PATHS.postgresVolume, path));
  return {
    lastSuccess: fromPgdata(posix.join(BACKUP_VOLUME_FILES.stateDir, BACKUP_VOLUME_FILES.lastSuccess)),
    walSpool: fromPgdata(BACKUP_VOLUME_FILES.walSpoolDir),
  };
}

/**
 * libpq connection string of the exporter: the socket directory, the metrics role, no password
 * (see the module comment). A key/value string, which both postgres_exporter 0.11 and 0.18 take.
 */
export function exporterDataSource(socketDir: string = BACKUP_PATHS.postgresSocket, port?: number): string {
  return [`host=${socketDir}`, ...(port === undefined ? [] : [`port=${port}`]), `user=${METRICS_ROLE}`, `dbname=${METRICS_DATABASE}`, 'sslmode=disable'].join(' ');
}

/** The metrics role's CONNECTION LIMIT (postgres/init-metrics.sql); PostgreSQL's max_connections counts it. */
export const METRICS_CONNECTION_LIMIT = 10;

/** `postgres/init-metrics.sql`: the role, its rights, and the backup functions. Idempotent. */
export function renderPostgresMetricsInit(_spec: DeploymentSpec): RenderedFile[] {
  const files = backupFilesFromPgdata();
  const lit = (text: string) => `'${text.replace(/'/g, "''")}'`;
  const content = [
    `-- Rendered by sovereign-matrix; do not edit. The ${METRICS_ROLE} role postgres_exporter reads statistics as.`,
    `-- Run as the superuser in database ${METRICS_DATABASE}: psql -v ON_ERROR_STOP=1 -f ${METRICS_INIT_FILE}`,
    '\\set ON_ERROR_STOP on',
    '',
    '-- The role, when missing. No password: it logs in only over the pod-local socket (trust there);',
    '-- scram over the network needs a password, so it cannot log in from elsewhere. 0.18 holds up to',
    '-- two connections per scrape; the limit leaves room for two scrapers and keeps a runaway small.',
    `SELECT 'CREATE ROLE ${METRICS_ROLE}' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${METRICS_ROLE}') \\gexec`,
    `ALTER ROLE ${METRICS_ROLE} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD NULL CONNECTION LIMIT ${METRICS_CONNECTION_LIMIT};`,
    '-- Statistics, settings and sizes of every database, and nothing else (no table of any service:',
    '-- the services\' databases refuse CONNECT to everyone but their owner).',
    `GRANT pg_monitor TO ${METRICS_ROLE};`,
    '',
    `-- The backup agent's files, as times only. SECURITY DEFINER runs them as their owner, the`,
    `-- superuser, who may read files; ${METRICS_ROLE} may only call them. Paths are relative to PGDATA.`,
    `CREATE SCHEMA IF NOT EXISTS ${SCHEMA};`,
    `REVOKE ALL ON SCHEMA ${SCHEMA} FROM PUBLIC;`,
    `GRANT USAGE ON SCHEMA ${SCHEMA} TO ${METRICS_ROLE};`,
    '',
    '-- Epoch seconds of the newest successful base backup (the mtime of the marker the agent writes',
    '-- after each one), 0 when there is none.',
    `CREATE OR REPLACE FUNCTION ${SCHEMA}.backup_last_success() RETURNS double precision`,
    '  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp',
    `  AS $$ SELECT coalesce(extract(epoch FROM (pg_stat_file(${lit(files.lastSuccess)}, true)).modification), 0)::double precision $$;`,
    `REVOKE ALL ON FUNCTION ${SCHEMA}.backup_last_success() FROM PUBLIC;`,
    `GRANT EXECUTE ON FUNCTION ${SCHEMA}.backup_last_success() TO ${METRICS_ROLE};`,
    '',
    '-- WAL segments PostgreSQL archived into the spool that the agent has not pushed to the bucket',
    '-- yet, and the age in seconds of the oldest (0 when none waits). ".part" files are being copied.',
    `CREATE OR REPLACE FUNCTION ${SCHEMA}.backup_wal_pending(OUT segments bigint, OUT oldest_age_seconds double precision)`,
    '  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp',
    '  AS $$',
    '    SELECT count(*), coalesce(extract(epoch FROM now() - min((pg_stat_file(dir || \'/\' || name, true)).modification)), 0)::double precision',
    `    FROM (SELECT ${lit(files.walSpool)} AS dir) AS d, pg_ls_dir(d.dir, true, false) AS name`,
    "    WHERE name NOT LIKE '%.part'",
    '  $$;',
    `REVOKE ALL ON FUNCTION ${SCHEMA}.backup_wal_pending() FROM PUBLIC;`,
    `GRANT EXECUTE ON FUNCTION ${SCHEMA}.backup_wal_pending() TO ${METRICS_ROLE};`,
    '',
  ].join('\n');
  return [{ path: `postgres/${METRICS_INIT_FILE}`, content }];
}

/**
 * `postgres/exporter-queries.yaml` (backups on only: without them there is no marker, and a 0
 * would read as "never backed up"). Each query's name prefixes its columns' metric names.
 * --extend.query-path is deprecated in 0.18 (it still runs, with a warning) and current in 0.11.
 */
export function renderPostgresExporterQueries(spec: DeploymentSpec): RenderedFile[] {
  if (!spec.backup.enabled) return [];
  const prefix = (metric: string, namespace: string) => {
    if (!metric.startsWith(`${namespace}_`)) throw new Error(`${metric} is not in ${namespace}`);
    return metric.slice(namespace.length + 1);
  };
  const backup = 'sovereign_matrix_backup';
  const wal = 'sovereign_matrix_backup_wal';
  const queries = {
    [backup]: {
      query: `SELECT 'postgres' AS kind, ${SCHEMA}.backup_last_success() AS ${prefix(BACKUP_METRICS.lastSuccess, backup)}`,
      master: true,
      metrics: [
        { kind: { usage: 'LABEL', description: 'What was backed up: postgres (pgBackRest base backup)' } },
        { [prefix(BACKUP_METRICS.lastSuccess, backup)]: { usage: 'GAUGE', description: 'Epoch seconds of the newest successful backup; 0 when there is none' } },
      ],
    },
    [wal]: {
      query: `SELECT segments AS ${prefix(BACKUP_METRICS.walPendingSegments, wal)}, oldest_age_seconds AS ${prefix(BACKUP_METRICS.walOldestPendingAge, wal)} FROM ${SCHEMA}.backup_wal_pending()`,
      master: true,
      metrics: [
        { [prefix(BACKUP_METRICS.walPendingSegments, wal)]: { usage: 'GAUGE', description: 'WAL segments archived by PostgreSQL but not yet pushed to the bucket' } },
        { [prefix(BACKUP_METRICS.walOldestPendingAge, wal)]: { usage: 'GAUGE', description: 'Age in seconds of the oldest WAL segment not yet in the bucket; 0 when none waits' } },
      ],
    },
  };
  const header = '# Rendered by sovereign-matrix; do not edit. postgres_exporter --extend.query-path: backup freshness.\n';
  return [{ path: `postgres/${EXPORTER_QUERIES_FILE}`, content: header + YAML.stringify(queries, { lineWidth: 0 }) }];
}

/**
 * The exporter's arguments for the pinned image (0.18.1). PostgreSQL 17 moved the checkpoint
 * counters to pg_stat_checkpointer, which 0.18's stat_checkpointer collector reads (off by
 * default); the postmaster collector gives the server's start time (restarts).
 */
export function postgresExporterArgs(spec: DeploymentSpec, port: number, queriesDir: string): string[] {
  return [
    `--web.listen-address=:${port}`,
    '--collector.stat_checkpointer',
    '--collector.postmaster',
    ...(spec.backup.enabled ? [`--extend.query-path=${posix.join(queriesDir, EXPORTER_QUERIES_FILE)}`] : []),
  ];
}
