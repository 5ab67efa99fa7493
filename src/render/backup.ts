import type { DeploymentSpec, S3Location, Weekday } from '../config/spec';
import type { RenderedFile } from './files';
import { SYNAPSE_PATHS } from './synapse';

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
    file(BACKUP_FILES.agent, AGENT),
    file(BACKUP_FILES.walSpool, WAL_SPOOL),
    file(BACKUP_FILES.walFetch, WAL_FETCH),
    file(BACKUP_FILES.afterRestore, AFTER_RESTORE),
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
const WAL_SPOOL = `#!/bin/sh
# Rendered by sovereign-matrix; do not edit. PostgreSQL's archive_command: sh wal-spool.sh %p %f
set -eu
spool="\${BACKUP_WAL_SPOOL:-${BACKUP_PATHS.postgresVolume}/wal-spool}"
mkdir -p "$spool"
cp "$1" "$spool/$2.part"
sync "$spool/$2.part"
mv "$spool/$2.part" "$spool/$2"
sync "$spool"
`;

/**
 * PostgreSQL's restore_command during a restore (\`sh wal-fetch.sh %f %p\`): asks the agent for a
 * segment and waits for its answer. "Missing" (exit 1) ends recovery where the archive ends; an
 * error or no answer exits above 125, which makes PostgreSQL stop instead of ending recovery early
 * on a segment that does exist (the pod then restarts and asks again).
 */
const WAL_FETCH = `#!/bin/sh
# Rendered by sovereign-matrix; do not edit. PostgreSQL's restore_command: sh wal-fetch.sh %f %p
set -eu
dir="\${BACKUP_WAL_FETCH:-${BACKUP_PATHS.postgresVolume}/wal-fetch}"
mkdir -p "$dir"
rm -f "$dir/$1" "$dir/$1.missing" "$dir/$1.error"
: >"$dir/$1.request"
tries=0
while [ "$tries" -lt 1200 ]; do
  if [ -f "$dir/$1" ]; then mv "$dir/$1" "$2"; exit 0; fi
  if [ -f "$dir/$1.missing" ]; then rm -f "$dir/$1.missing"; exit 1; fi
  if [ -f "$dir/$1.error" ]; then rm -f "$dir/$1.error"; echo "wal-fetch: the backup agent could not fetch $1" >&2; exit 255; fi
  sleep 0.1
  tries=$((tries + 1))
done
rm -f "$dir/$1.request"
echo "wal-fetch: no answer from the backup agent for $1 within 120 s" >&2
exit 255
`;

/**
 * Synapse's backup guide: one-time keys restored from a backup may already have been handed out
 * after it was taken; reusing one breaks encrypted sessions, so they are all dropped (clients
 * upload new ones).
 */
const AFTER_RESTORE = `-- Rendered by sovereign-matrix; do not edit. Run on the synapse database after a restore,
-- before Synapse starts: one-time keys in a backup may have been used since (Synapse's backup guide).
TRUNCATE e2e_one_time_keys_json;
`;

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
const AGENT = `#!/bin/sh
# Rendered by sovereign-matrix; do not edit. The backup agent: backup-agent.sh <postgres|files> <command>
# (run | backup [full|diff] | list | restore TARGET | request-restore TARGET | restore-pending | status). See src/render/backup.ts.
set -eu
config="\${BACKUP_CONFIG_DIR:-${BACKUP_PATHS.config}}"
. "$config/${BACKUP_FILES.settings}"
export AWS_DEFAULT_REGION
PGBACKREST_CONFIG="\${PGBACKREST_CONFIG:-$config/${BACKUP_FILES.pgbackrestConf}}"
export PGBACKREST_CONFIG PGBACKREST_STANZA
kind="\${1:-}"
command="\${2:-}"
[ $# -ge 2 ] && shift 2

log() { echo "backup-agent $kind: $*" >&2; }

case "$kind" in
  postgres)
    volume="\${BACKUP_POSTGRES_VOLUME:-${BACKUP_PATHS.postgresVolume}}"
    pgdata="\${BACKUP_PGDATA:-${BACKUP_PATHS.pgdata}}"
    state="\${BACKUP_STATE_DIR:-$volume/backup-state}"
    spool="\${BACKUP_WAL_SPOOL:-$volume/wal-spool}"
    fetch="\${BACKUP_WAL_FETCH:-$volume/wal-fetch}"
    ;;
  files)
    data="\${BACKUP_SYNAPSE_DATA:-${BACKUP_PATHS.synapseData}}"
    synapse_config="\${BACKUP_SYNAPSE_CONFIG:-${BACKUP_PATHS.synapseConfig}}"
    state="\${BACKUP_STATE_DIR:-$data/backup-state}"
    export RESTIC_REPOSITORY
    ;;
  *) echo "usage: backup-agent.sh <postgres|files> <run|backup|list|restore|status>" >&2; exit 2 ;;
esac
mkdir -p "$state"

# --- PostgreSQL ------------------------------------------------------------------------------

# Pushes spooled WAL segments in name order (history files sort with their timeline). A segment
# leaves the spool only once pgBackRest has stored it.
push_wal() {
  [ -d "$spool" ] || return 0
  for path in $(ls "$spool" | grep -v '\\.part$' | sort); do
    if pgbackrest archive-push "$spool/$path" >"$state/push.log" 2>&1; then
      rm -f "$spool/$path"
      pushed=1
    else
      log "WAL $path not pushed yet: $(tail -n 1 "$state/push.log")"
      return 1
    fi
  done
}

# Answers wal-fetch.sh: the segment, "missing" (pgBackRest exit 1), or "error".
serve_fetch() {
  [ -d "$fetch" ] || return 0
  for request in "$fetch"/*.request; do
    [ -f "$request" ] || continue
    name="$(basename "$request" .request)"
    rm -f "$request"
    if pgbackrest archive-get "$name" "$fetch/$name.part" >"$state/fetch.log" 2>&1; then
      mv "$fetch/$name.part" "$fetch/$name"
    elif [ $? -eq 1 ]; then
      : >"$fetch/$name.missing"
    else
      log "fetching $name failed: $(tail -n 1 "$state/fetch.log")"
      : >"$fetch/$name.error"
    fi
    served=1
  done
}

stanza_ready() {
  [ -f "$state/stanza" ] && return 0
  pgbackrest stanza-create >"$state/stanza.log" 2>&1 || return 1
  : >"$state/stanza"
}

backup_postgres() {
  type="\${1:-auto}"
  if [ "$type" = auto ]; then
    if [ "$(date -u +%u)" = "$BACKUP_FULL_DAY" ]; then type=full; else type=diff; fi
  fi
  stanza_ready || { log "stanza-create failed: $(tail -n 3 "$state/stanza.log")"; return 1; }
  # pgBackRest waits until the WAL of the backup is in the repository; this agent is what puts it
  # there, so WAL is pushed beside the backup until it ends.
  : >"$state/backup-running"
  ( while [ -f "$state/backup-running" ]; do push_wal || true; sleep 1; done ) &
  pusher=$!
  status=0
  # pgBackRest takes a full backup when a differential has no full one to build on.
  pgbackrest backup --type="$type" || status=$?
  rm -f "$state/backup-running"
  wait "$pusher" || true
  return "$status"
}

restore_postgres() {
  target="\${1:?restore needs a target: latest or a time such as 2026-12-06 14:05:00+00}"
  if [ -f "$pgdata/postmaster.pid" ]; then log "PostgreSQL is running (postmaster.pid exists); stop it first"; return 1; fi
  # Segments PostgreSQL archived but the agent had not pushed yet go first, so that a restore to
  # latest on a volume that survived loses nothing (the spool is cleared below).
  if [ -n "$(ls "$spool" 2>/dev/null)" ] && ! push_wal; then
    log "warning: WAL segments in $spool could not be pushed; the restore ends before them"
  fi
  # Nothing is restored onto existing tables: pgBackRest rewrites the whole cluster, and its
  # --delta only skips files that are already identical.
  mkdir -p "$pgdata"
  chmod 700 "$pgdata"
  if [ "$target" = latest ]; then set -- --type=default; else set -- --type=time "--target=$target" --target-action=promote; fi
  pgbackrest restore --delta "$@" --recovery-option="restore_command=sh $config/${BACKUP_FILES.walFetch} %f %p"
  rm -rf "$spool" "$fetch"
  # The restored cluster starts a new timeline; the next loop takes a backup of it right away.
  rm -f "$state/last-success"
}

# --- Files -----------------------------------------------------------------------------------

# Each snapshot is tagged with the signing key's fingerprint. A new, empty deployment of the same
# file (after a disaster, before its restore) has a new key: it must not add snapshots that would
# become the "latest" ones a restore picks, so it refuses until the restore has brought the key back.
key_tag() {
  [ -f "$data/keys/signing.key" ] || return 0
  echo "signing-key:$(sha256sum "$data/keys/signing.key" | cut -c1-16)"
}

backup_files() {
  restic cat config >/dev/null 2>&1 || restic init
  tag="$(key_tag)"
  last="$(restic snapshots --host "$RESTIC_HOST" --tag sovereign-matrix --latest 1 --json | grep -o 'signing-key:[0-9a-f]*' | head -n 1 || true)"
  if [ -n "$last" ] && [ -n "$tag" ] && [ "$last" != "$tag" ]; then
    log "the repository's newest snapshot has another signing key ($last, here $tag): restore first (sovereign-matrix restore FILE --to latest), or give this deployment its own backup.s3.key_prefix"
    return 1
  fi
  paths=""
  for path in "$data/media/local_content" "$data/media/local_thumbnails" "$data/keys" "$synapse_config"; do
    [ -e "$path" ] && paths="$paths $path"
  done
  # shellcheck disable=SC2086 # the paths have no spaces (they are the kit's own)
  restic backup --host "$RESTIC_HOST" --tag sovereign-matrix \${tag:+--tag "$tag"} $paths
  # Snapshots past the retention are forgotten every day; the space they held is freed (prune,
  # which rewrites pack files and is the expensive part) once a week, on the full-backup day.
  prune=""
  if [ "$(date -u +%u)" = "$BACKUP_FULL_DAY" ]; then prune="--prune"; fi
  restic forget --host "$RESTIC_HOST" --tag sovereign-matrix --keep-daily "$RESTIC_KEEP_DAILY" \\
    --keep-weekly "$RESTIC_KEEP_WEEKLY" --keep-monthly "$RESTIC_KEEP_MONTHLY" $prune
}

# Restores media and signing key into a staging directory on the same volume, then swaps each
# directory in whole: nothing is restored onto existing files, and a failed restore changes nothing.
restore_files() {
  snapshot="\${1:?restore needs a snapshot id or latest}"
  staging="$data/.restore"
  rm -rf "$staging"
  restic restore "$snapshot" --host "$RESTIC_HOST" --target "$staging" --include "$data/media" --include "$data/keys"
  for part in media/local_content media/local_thumbnails keys; do
    if [ -e "$staging$data/$part" ]; then
      mkdir -p "$(dirname "$data/$part")"
      rm -rf "$data/$part.old"
      if [ -e "$data/$part" ]; then mv "$data/$part" "$data/$part.old"; fi
      mv "$staging$data/$part" "$data/$part"
      rm -rf "$data/$part.old"
    fi
  done
  rm -rf "$staging"
}

# --- Schedule --------------------------------------------------------------------------------

# A PostgreSQL backup needs the server up (postmaster.pid says "ready", which a hot standby says
# too) and out of recovery (pg_control's state is DB_IN_PRODUCTION, 6: the 4 bytes at offset 16,
# the same layout in every supported PostgreSQL; written at the end of the end-of-recovery
# checkpoint, while recovery.signal is gone before it). The sidecar starts before PostgreSQL, and
# after a restore it serves WAL until PostgreSQL is promoted; until then the schedule waits, and no
# failed attempt is counted (which would delay the backup by 10 minutes). There is no psql here.
ready() {
  [ "$kind" = postgres ] || return 0
  [ "$(sed -n 8p "$pgdata/postmaster.pid" 2>/dev/null | tr -d ' ')" = ready ] &&
    [ "$(od -An -tu4 -j16 -N4 "$pgdata/global/pg_control" 2>/dev/null | tr -d ' ')" = 6 ]
}

# Due once a day after BACKUP_TIME_UTC, right away when there has never been a successful one, and
# at most every 10 minutes after a failure.
due() {
  now="$(date -u +%s)"
  slot="$(date -u -d "$(date -u +%Y-%m-%d) $BACKUP_TIME_UTC" +%s)"
  last="$(cat "$state/last-success" 2>/dev/null || echo 0)"
  attempt="$(cat "$state/last-attempt" 2>/dev/null || echo 0)"
  [ $((now - attempt)) -ge 600 ] || return 1
  [ "$last" -eq 0 ] && return 0
  [ "$now" -ge "$slot" ] && [ "$last" -lt "$slot" ]
}

backup_now() {
  date -u +%s >"$state/last-attempt"
  if "backup_$kind" "$@"; then
    date -u +%s >"$state/last-success"
    log "backup finished"
  else
    log "backup failed; the next attempt is in 10 minutes"
    return 1
  fi
}

case "$command" in
  run)
    log "started; daily backup at $BACKUP_TIME_UTC UTC"
    while :; do
      pushed=0
      served=0
      if [ "$kind" = postgres ]; then
        serve_fetch || true
        push_wal || true
      fi
      if due && ready; then backup_now || true; fi
      [ "$pushed" = 1 ] || [ "$served" = 1 ] || sleep 1
    done
    ;;
  backup)
    if [ "$kind" = postgres ]; then push_wal; fi
    backup_now "$@"
    ;;
  list)
    if [ "$kind" = postgres ]; then pgbackrest info --output=json; else restic snapshots --host "$RESTIC_HOST" --json; fi
    ;;
  restore) "restore_$kind" "$@" ;;
  request-restore)
    # Written by sovereign-matrix restore through the running agent; restore-pending carries it out
    # when the pod starts again.
    printf '%s\n' "\${1:?request-restore needs a target}" >"$state/restore-request"
    log "restore to $1 requested; it runs when the pod starts again"
    ;;
  restore-pending)
    # The pods' first init container: a restore the operator asked for (sovereign-matrix restore
    # writes the target into this file, then restarts the pod) runs before anything else starts.
    [ -f "$state/restore-request" ] || exit 0
    target="$(cat "$state/restore-request")"
    log "restoring to $target, as requested"
    # PostgreSQL cannot be running: this is the pod's init container, and the volume is the pod's.
    if [ "$kind" = postgres ]; then rm -f "\${BACKUP_PGDATA:-${BACKUP_PATHS.pgdata}}/postmaster.pid"; fi
    "restore_$kind" "$target"
    rm -f "$state/restore-request"
    log "restore finished"
    ;;
  status)
    echo "last_success=$(cat "$state/last-success" 2>/dev/null || echo 0)"
    echo "last_attempt=$(cat "$state/last-attempt" 2>/dev/null || echo 0)"
    ;;
  *) echo "usage: backup-agent.sh $kind <run|backup|list|restore|status>" >&2; exit 2 ;;
esac
`;
