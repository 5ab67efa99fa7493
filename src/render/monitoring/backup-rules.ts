import type { DeploymentSpec } from '../../config/spec';
import { MAS_UPSTREAMS } from '../mas';
import { namespaceName } from '../namespace';
import { SYNAPSE_UPSTREAMS } from '../synapse';
import type { AlertRule } from './rule-types';
import { SCRAPE_JOBS } from './scrape-config';

/**
 * Backups (rendered only when they are on): the newest successful backup of each kind, which the
 * backup agents leave and postgres_exporter exports as
 * `sovereign_matrix_backup_last_success_timestamp_seconds{kind="postgres"|"files"}`, and
 * PostgreSQL's WAL archiving, from postgres_exporter's pg_stat_archiver series (names as the real
 * exporter serves them: pg_stat_archiver_archived_count, _failed_count, _last_archive_age).
 *
 * There is no replication alert: the kit runs one PostgreSQL per deployment, without replicas;
 * point-in-time recovery from the archive is what stands in for a standby.
 */

/** The agents back up daily; a backup older than this many hours has missed its slot. */
export const BACKUP_MAX_AGE_HOURS = 26;
/** Seconds since the last archived segment from which archiving counts as stalled, while rows change. */
export const WAL_ARCHIVE_STALL_SECONDS = 900;

export function backupRules(spec: DeploymentSpec): AlertRule[] {
  if (!spec.backup.enabled) throw new Error('backupRules needs backups on');
  const { timeUtc } = spec.backup;
  const ns = namespaceName(spec);
  const job = `job="${SCRAPE_JOBS.postgres}"`;
  const postgres = SYNAPSE_UPSTREAMS.postgres;
  const agentLogs = `kubectl -n ${ns} logs statefulset/${postgres} -c backup --since=1h`;
  const window = '15m';
  const changed = ['inserted', 'updated', 'deleted'].map((what) => `increase(pg_stat_database_tup_${what}{${job}}[${window}])`).join(' + ');
  const archiveRunbook = [
    `1. Read PostgreSQL's reason: \`kubectl -n ${ns} logs statefulset/${postgres} -c ${postgres} --since=1h | grep -i archive\` (archive_command hands each segment to the spool of the backup agent).`,
    `2. Read the agent's side: \`${agentLogs}\`; it pushes the spooled segments to the bucket.`,
    `3. Check the volume is not full (the DataVolumeFull or PersistentVolumeFull alert): a full volume fails the spool, and unarchived WAL fills the volume further.`,
    `4. Confirm with \`sovereign-matrix backups <deployment file>\`: the newest WAL in the bucket should be minutes old.`,
  ].join('\n');
  return [
    {
      alert: 'BackupTooOld',
      // 0 (no backup yet, or just restored) reads as very old; the agent starts a backup at once
      // then, and the hold time lets that first one finish.
      expr: `time() - sovereign_matrix_backup_last_success_timestamp_seconds{${job}} > ${BACKUP_MAX_AGE_HOURS} * 3600`,
      for: '1h',
      labels: { severity: 'warning' },
      annotations: {
        summary: `The newest successful backup is older than ${BACKUP_MAX_AGE_HOURS} hours: the daily backup did not run or failed.`,
        description: `The newest successful backup of the kind in the alert's label (postgres: pgBackRest base backup; files: the restic snapshot of media, signing key and configuration) is more than ${BACKUP_MAX_AGE_HOURS} hours old, while the agents back up daily at ${timeUtc} UTC.`,
        runbook: [
          `1. Read the agent's log: \`${agentLogs}\` for postgres, \`kubectl -n ${ns} logs deployment/${MAS_UPSTREAMS.synapse} -c backup --since=26h\` for files. Errors name the cause: credentials or bucket (S3 403/404), the passphrase, a full volume.`,
          `2. List what the bucket holds and how old it is: \`sovereign-matrix backups <deployment file>\`.`,
          `3. Take a backup now and watch it: \`sovereign-matrix backup <deployment file>\`. It prints what was saved or why it failed.`,
        ].join('\n'),
      },
    },
    {
      alert: 'WalArchivingFailing',
      // A failure followed by a success is a retry that worked; only failures without any
      // archived segment in the window mean the archive does not advance.
      expr: `increase(pg_stat_archiver_failed_count{${job}}[${window}]) > 0\n  and increase(pg_stat_archiver_archived_count{${job}}[${window}]) == 0`,
      for: '5m',
      labels: { severity: 'warning' },
      annotations: {
        summary: "PostgreSQL's WAL archiving fails: point-in-time recovery falls behind and WAL piles up on the volume.",
        description: `For 5 minutes PostgreSQL's archive_command has kept failing, without archiving a single segment in the last ${window}. Changes since the last archived segment are in no backup, and PostgreSQL keeps every unarchived segment in pg_wal.`,
        runbook: archiveRunbook,
      },
    },
    {
      alert: 'WalArchivingStalled',
      // An idle database writes no WAL and archives nothing, which is no fault: the archive's age
      // counts only while rows change. With archive_timeout 60 s a segment with changes is
      // archived within a minute or two.
      expr: [
        `pg_stat_archiver_last_archive_age{${job}} > ${WAL_ARCHIVE_STALL_SECONDS}`,
        `  and on(job, instance) sum by (job, instance) (${changed}) > 0`,
      ].join('\n'),
      for: '15m',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'PostgreSQL archives no WAL although data changes: point-in-time recovery falls behind.',
        description: `For 15 minutes the newest archived WAL segment has been more than ${WAL_ARCHIVE_STALL_SECONDS / 60} minutes old while rows were inserted, updated or deleted: archiving hangs (or PostgreSQL counts it as running without finishing).`,
        runbook: archiveRunbook,
      },
    },
  ];
}
