import YAML from 'yaml';
import { renderBackup } from '../../src/render/backup';
import {
  BACKUP_METRICS,
  backupFilesFromPgdata,
  exporterDataSource,
  postgresExporterArgs,
  renderPostgresExporterQueries,
  renderPostgresMetricsInit,
} from '../../src/render/postgres-exporter';
import { CUSTOM_BACKUP_YAML } from '../helpers';
import { specWith } from './fixtures';

const OFF = 'backup:\n  enabled: false\n';

describe('postgres/init-metrics.sql', () => {
  const [file] = renderPostgresMetricsInit(specWith());
  const statements = file.content.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('--'));

  test('one file, the same for every deployment', () => {
    expect(renderPostgresMetricsInit(specWith()).map((f) => f.path)).toEqual(['postgres/init-metrics.sql']);
    expect(renderPostgresMetricsInit(specWith(OFF + 'size: large\n'))).toEqual(renderPostgresMetricsInit(specWith()));
  });

  test('the role: login without a password (socket only), no other attribute, member of pg_monitor and of nothing else', () => {
    expect(statements).toContain("SELECT 'CREATE ROLE metrics' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'metrics') \\gexec");
    expect(statements).toContain('ALTER ROLE metrics WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD NULL CONNECTION LIMIT 10;');
    expect(statements.filter((s) => /^GRANT .* TO metrics;$/.test(s))).toEqual([
      'GRANT pg_monitor TO metrics;',
      'GRANT USAGE ON SCHEMA sovereign_matrix TO metrics;',
      'GRANT EXECUTE ON FUNCTION sovereign_matrix.backup_last_success() TO metrics;',
      'GRANT EXECUTE ON FUNCTION sovereign_matrix.backup_wal_pending() TO metrics;',
    ]);
  });

  test('the functions run as their owner, with a fixed search_path, and nobody else may call them', () => {
    const definers = statements.filter((s) => s.includes('SECURITY DEFINER'));
    expect(definers).toHaveLength(2);
    for (const d of definers) expect(d).toContain('SET search_path = pg_catalog, pg_temp');
    expect(statements).toContain('REVOKE ALL ON FUNCTION sovereign_matrix.backup_last_success() FROM PUBLIC;');
    expect(statements).toContain('REVOKE ALL ON FUNCTION sovereign_matrix.backup_wal_pending() FROM PUBLIC;');
    expect(statements).toContain('REVOKE ALL ON SCHEMA sovereign_matrix FROM PUBLIC;');
  });

  test('reads exactly the files the rendered backup agent writes, relative to PGDATA', () => {
    expect(backupFilesFromPgdata()).toEqual({ lastSuccess: '../backup-state/last-success', walSpool: '../wal-spool' });
    expect(file.content).toContain("pg_stat_file('../backup-state/last-success', true)");
    expect(file.content).toContain("SELECT '../wal-spool' AS dir");
    const files = Object.fromEntries(renderBackup(specWith()).map((f) => [f.path, f.content]));
    const agent = files['backup/backup-agent.sh'];
    // The agent's postgres state is <volume>/backup-state, PGDATA <volume>/pgdata, and it writes
    // last-success only after a backup succeeded.
    expect(agent).toContain('state="${BACKUP_STATE_DIR:-$volume/backup-state}"');
    expect(agent).toContain('pgdata="${BACKUP_PGDATA:-/var/lib/postgresql/data/pgdata}"');
    expect(agent).toMatch(/if "backup_\$kind" "\$@"; then\n\s+date -u \+%s >"\$state\/last-success"/);
    expect(files['backup/wal-spool.sh']).toContain('spool="${BACKUP_WAL_SPOOL:-/var/lib/postgresql/data/wal-spool}"');
  });
});

describe('postgres/exporter-queries.yaml', () => {
  test('with backups: the backup time as sovereign_matrix_backup_last_success_timestamp_seconds{kind="postgres"}, and the WAL backlog', () => {
    const [file] = renderPostgresExporterQueries(specWith(CUSTOM_BACKUP_YAML));
    expect(file.path).toBe('postgres/exporter-queries.yaml');
    const queries = YAML.parse(file.content);
    const names = Object.entries(queries).flatMap(([ns, q]: [string, any]) =>
      q.metrics.flatMap((m: Record<string, { usage: string }>) => Object.entries(m).filter(([, d]) => d.usage !== 'LABEL').map(([col]) => `${ns}_${col}`)),
    );
    expect(names.sort()).toEqual(Object.values(BACKUP_METRICS).sort());
    expect(queries.sovereign_matrix_backup.query).toBe("SELECT 'postgres' AS kind, sovereign_matrix.backup_last_success() AS last_success_timestamp_seconds");
  });

  test('without backups: no file (a 0 would read as never backed up)', () => {
    expect(renderPostgresExporterQueries(specWith(OFF))).toEqual([]);
  });
});

describe('exporter arguments and data source', () => {
  test('over the socket directory as metrics, no password', () => {
    expect(exporterDataSource()).toBe('host=/var/run/postgresql user=metrics dbname=postgres sslmode=disable');
    expect(exporterDataSource('/tmp/s', 5433)).toBe('host=/tmp/s port=5433 user=metrics dbname=postgres sslmode=disable');
    expect(exporterDataSource()).not.toMatch(/password/i);
  });

  test('the query file only with backups', () => {
    expect(postgresExporterArgs(specWith(), 9187, '/q')).toEqual(['--web.listen-address=:9187', '--collector.stat_checkpointer', '--collector.postmaster', '--extend.query-path=/q/exporter-queries.yaml']);
    expect(postgresExporterArgs(specWith(OFF), 9187, '/q')).not.toContainEqual(expect.stringMatching(/extend/));
  });
});
