import type { DeploymentSpec, S3Location, Weekday } from '../config/spec';
import type { RenderedFile } from './files';
import { SYNAPSE_PATHS } from './synapse';
import { renderTemplate } from './template-files';

/**
 * Backups, as files every backup container reads from one ConfigMap (`backup-config`):
 *
 * - PostgreSQL by pgBackRest: continuous WAL archiving plus a daily base backup (full on the
 *   weekly day, differential otherwise), encrypted with aes-256-cbc before it leaves the pod.
 *   The official PostgreSQL image has no pgBackRest, so PostgreSQL's archive_command and
 *   restore_command are two small scripts that hand WAL segments to and from the backup agent
 *   beside it through directories on the data volume (wal-spool.sh, wal-fetch.sh); the agent
 *   runs pgBackRest. The spool sits on the persistent volume and each segment is fsynced
 *   before PostgreSQL is told it is archived, so a crash loses no acknowledged segment.
 * - Media (local_content, local_thumbnails), the signing key and the rendered configuration by
 *   restic: encrypted, deduplicated snapshots. Remote-media and URL-preview caches are left out,
 *   as Synapse's backup guide says (they are fetched again on demand).
 *
 * Both run as `backup-agent.sh <postgres|files> <command>`; the same script is what the
 * Kubernetes sidecars run and what the restore drill (test/integration/backup-drill.test.ts)
 * runs against a real PostgreSQL, Synapse and S3 store. Paths default to the containers' and
 * can be moved with environment variables (BACKUP_*), which is how the drill runs it on a host.
 * No file here holds a secret: credentials and the passphrase arrive as environment variables
 * from the Secret `backup-credentials` (pgBackRest's PGBACKREST_REPO1_* and restic's own).
 */

/** The pgBackRest stanza: one PostgreSQL cluster holds every database of the deployment. */
export const PGBACKREST_STANZA = 'matrix';

/** Environment variables the operator sets at deploy time (never in the deployment file). */
export const BACKUP_CREDENTIAL_ENV = {
  accessKeyId: 'SOVEREIGN_MATRIX_BACKUP_ACCESS_KEY_ID',
  secretAccessKey: 'SOVEREIGN_MATRIX_BACKUP_SECRET_ACCESS_KEY',
} as const;

/** pgBackRest and restic refuse nothing shorter, but a passphrase this short is already weak. */
export const MIN_BACKUP_PASSPHRASE_LENGTH = 16;

/** Where things live in the backup containers; the pods mount exactly these. */
export const BACKUP_PATHS = {
  /** The ConfigMap with every file rendered here. */
  config: '/backup',
  /** PostgreSQL's volume; PGDATA is a directory inside it, next to the spool and the agent's state. */
  postgresVolume: '/var/lib/postgresql/data',
  pgdata: '/var/lib/postgresql/data/pgdata',
  /** PostgreSQL's Unix socket directory, shared with the agent (pgBackRest connects through it). */
  postgresSocket: '/var/run/postgresql',
  /** Synapse's volume (media and signing key) and its configuration. */
  synapseData: SYNAPSE_PATHS.data,
  synapseConfig: SYNAPSE_PATHS.config,
} as const;

/**
 * What the agents keep on their pod's data volume, beside PGDATA (postgres) or the media (files):
 * the state directory with the time of the newest successful backup (`last-success`, epoch
 * seconds, written only after a backup succeeded), and PostgreSQL's WAL spool (segments
 * PostgreSQL archived that are not in the bucket yet). postgres_exporter reads the first's mtime
 * and the second's listing (src/render/postgres-exporter.ts), so they are named here once.
 */
export const BACKUP_VOLUME_FILES = {
  stateDir: 'backup-state',
  lastSuccess: 'last-success',
  walSpoolDir: 'wal-spool',
} as const;

/** The environment of each agent that holds credentials, by the Secret key it comes from. */
export const BACKUP_SECRET_ENV = {
  postgres: {
    PGBACKREST_REPO1_S3_KEY: 'access-key-id',
    PGBACKREST_REPO1_S3_KEY_SECRET: 'secret-access-key',
    PGBACKREST_REPO1_CIPHER_PASS: 'passphrase',
  },
  files: {
    AWS_ACCESS_KEY_ID: 'access-key-id',
    AWS_SECRET_ACCESS_KEY: 'secret-access-key',
    RESTIC_PASSWORD: 'passphrase',
  },
} as const;

/** Files of the backup ConfigMap, by name. */
export const BACKUP_FILES = {
  pgbackrestConf: 'pgbackrest.conf',
  settings: 'backup.env',
  agent: 'backup-agent.sh',
  walSpool: 'wal-spool.sh',
  walFetch: 'wal-fetch.sh',
  afterRestore: 'after-restore.sql',
} as const;

/**
 * PostgreSQL settings that hand every WAL segment to the agent. archive_timeout bounds the data a
 * lost volume can take with it (the recovery point objective) to one minute on a quiet server.
 * The archive_command ends in a shell comment naming pgBackRest: before every backup pgBackRest
 * checks that archive_command contains "pgbackrest" (a substring test) and refuses to back up
 * otherwise; the check stays on, as it is what also makes pgBackRest wait until the backup's WAL
 * is in the repository.
 */
export function postgresArchiveSettings(configDir: string = BACKUP_PATHS.config): Record<string, string> {
  return {
    wal_level: 'replica',
    archive_mode: 'on',
    archive_command: `sh ${configDir}/${BACKUP_FILES.walSpool} %p %f # then pgbackrest archive-push, by the backup agent`,
    archive_timeout: '60',
  };
}

/** The restic repository URL of a deployment's files. */
export function resticRepository(s3: S3Location): string {
  return `s3:${s3.endpoint}/${s3.bucket}/${s3.keyPrefix}/files`;
}

const WEEKDAY_NUMBER: Record<Weekday, number> = {
  monday: 1,
  tuesday: 2,
  wednesday: 3,
  thursday: 4,
  friday: 5,
  saturday: 6,
  sunday: 7,
};

export function renderBackup(spec: DeploymentSpec): RenderedFile[] {
  const backup = spec.backup;
  if (!backup.enabled) return [];
  const file = (name: string, content: string): RenderedFile => ({ path: `backup/${name}`, content });
  return [
    file(BACKUP_FILES.pgbackrestConf, pgbackrestConf(spec)),
    file(BACKUP_FILES.settings, settings(spec)),
    file(BACKUP_FILES.agent, agentScript()),
    file(BACKUP_FILES.walSpool, walSpoolScript()),
    file(BACKUP_FILES.walFetch, walFetchScript()),
    file(BACKUP_FILES.afterRestore, afterRestoreSql()),
  ];
}

/**
 * pgBackRest's configuration. Retention: `weekly` full backups; WAL for point-in-time recovery is
 * kept from the full backups that cover the last `daily` days (older full backups restore to
 * their own end); `daily` differential backups.
 */
function pgbackrestConf(spec: DeploymentSpec): string {
  if (!spec.backup.enabled) throw new Error('backups are off');
  const { s3, retention } = spec.backup;
  const url = new URL(s3.endpoint);
  const walFulls = Math.ceil(retention.daily / 7) + 1;
  return [
    '# Rendered by sovereign-matrix; do not edit. pgBackRest for every database of the deployment.',
    '# Credentials and the encryption passphrase come from the environment (PGBACKREST_REPO1_S3_KEY,',
    '# PGBACKREST_REPO1_S3_KEY_SECRET, PGBACKREST_REPO1_CIPHER_PASS), never from this file.',
    '[global]',
    'repo1-type=s3',
    `repo1-s3-endpoint=${url.hostname}`,
    ...(url.port ? [`repo1-storage-port=${url.port}`] : []),
    `repo1-s3-bucket=${s3.bucket}`,
    `repo1-s3-region=${s3.region}`,
    // Path-style requests work with every S3-compatible store, also where a bucket name has dots.
    'repo1-s3-uri-style=path',
    `repo1-path=/${s3.keyPrefix}/postgres`,
    'repo1-cipher-type=aes-256-cbc',
    'repo1-retention-full-type=count',
    `repo1-retention-full=${retention.weekly}`,
    `repo1-retention-diff=${retention.daily}`,
    'repo1-retention-archive-type=full',
    `repo1-retention-archive=${walFulls}`,
    'compress-type=zst',
    // A checkpoint right away, so a backup the operator asks for starts now, not at the next one.
    'start-fast=y',
    'process-max=1',
    'log-level-console=info',
    'log-level-file=off',
    '',
    `[${PGBACKREST_STANZA}]`,
    `pg1-path=${BACKUP_PATHS.pgdata}`,
    `pg1-socket-path=${BACKUP_PATHS.postgresSocket}`,
    'pg1-user=postgres',
    '',
  ].join('\n');
}

/** Settings the agent reads (no secret): schedule, retention and where the repositories are. */
function settings(spec: DeploymentSpec): string {
  if (!spec.backup.enabled) throw new Error('backups are off');
  const { s3, timeUtc, fullBackupDay, retention } = spec.backup;
  return [
    '# Rendered by sovereign-matrix; do not edit. Read by backup-agent.sh (no secrets here).',
    `BACKUP_TIME_UTC=${timeUtc}`,
    `# ISO weekday of the full PostgreSQL backup (1 = Monday): ${fullBackupDay}.`,
    `BACKUP_FULL_DAY=${WEEKDAY_NUMBER[fullBackupDay]}`,
    `PGBACKREST_STANZA=${PGBACKREST_STANZA}`,
    `RESTIC_REPOSITORY=${resticRepository(s3)}`,
    `AWS_DEFAULT_REGION=${s3.region}`,
    `RESTIC_HOST=${spec.name}`,
    `RESTIC_KEEP_DAILY=${retention.daily}`,
    `RESTIC_KEEP_WEEKLY=${retention.weekly}`,
    `RESTIC_KEEP_MONTHLY=${retention.monthly}`,
    '',
  ].join('\n');
}

/**
 * PostgreSQL's archive_command (`sh wal-spool.sh %p %f`): copies the segment into the spool on
 * the data volume and fsyncs it before the rename, so an acknowledged segment survives a crash.
 * A segment archived twice (after a crash) is copied again; the agent pushes duplicates safely.
 */
function walSpoolScript(): string {
  return renderTemplate(`backup/${BACKUP_FILES.walSpool}`, { POSTGRES_VOLUME: BACKUP_PATHS.postgresVolume, WAL_SPOOL_DIR: BACKUP_VOLUME_FILES.walSpoolDir });
}

/**
 * PostgreSQL's restore_command during a restore (`sh wal-fetch.sh %f %p`): asks the agent for a
 * segment and waits for its answer. "Missing" (exit 1) ends recovery where the archive ends; an
 * error or no answer exits above 125, which makes PostgreSQL stop instead of ending recovery early
 * on a segment that does exist (the pod then restarts and asks again).
 */
function walFetchScript(): string {
  return renderTemplate(`backup/${BACKUP_FILES.walFetch}`, { POSTGRES_VOLUME: BACKUP_PATHS.postgresVolume });
}

/**
 * Synapse's backup guide: one-time keys restored from a backup may already have been handed out
 * after it was taken; reusing one breaks encrypted sessions, so they are all dropped (clients
 * upload new ones).
 */
function afterRestoreSql(): string {
  return renderTemplate(`backup/${BACKUP_FILES.afterRestore}`);
}

/**
 * The backup agent. One POSIX sh script (the pgBackRest image has bash, the restic image only
 * busybox sh) with two kinds, `postgres` and `files`, and these commands:
 *
 *   run                 the sidecar's loop: push WAL, answer restore requests, daily backup
 *   backup [full|diff]  a backup now (postgres: diff unless full is asked or due; files: snapshot)
 *   list                the repository's backups as JSON (pgBackRest info / restic snapshots)
 *   restore TARGET      postgres: latest or a time (PostgreSQL stopped); files: a snapshot id or latest
 *   request-restore T   writes T into <state>/restore-request, for restore-pending at the next start
 *   restore-pending     the restore written into <state>/restore-request, if any (init container)
 *   status              epoch seconds of the newest successful backup, and of the last attempt
 */
function agentScript(): string {
  return renderTemplate(`backup/${BACKUP_FILES.agent}`, {
    CONFIG_DIR: BACKUP_PATHS.config,
    SETTINGS_FILE: BACKUP_FILES.settings,
    PGBACKREST_CONF: BACKUP_FILES.pgbackrestConf,
    WAL_FETCH_SCRIPT: BACKUP_FILES.walFetch,
    POSTGRES_VOLUME: BACKUP_PATHS.postgresVolume,
    PGDATA: BACKUP_PATHS.pgdata,
    SYNAPSE_DATA: BACKUP_PATHS.synapseData,
    SYNAPSE_CONFIG: BACKUP_PATHS.synapseConfig,
    STATE_DIR: BACKUP_VOLUME_FILES.stateDir,
    LAST_SUCCESS_FILE: BACKUP_VOLUME_FILES.lastSuccess,
    WAL_SPOOL_DIR: BACKUP_VOLUME_FILES.walSpoolDir,
  });
}
