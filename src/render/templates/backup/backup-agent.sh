#!/bin/sh
# Rendered by sovereign-matrix; do not edit. The backup agent: backup-agent.sh <postgres|files> <command>
# (run | backup [full|diff] | list | restore TARGET | request-restore TARGET | restore-pending | status). See src/render/backup.ts.
set -eu
config="${BACKUP_CONFIG_DIR:-{{CONFIG_DIR}}}"
. "$config/{{SETTINGS_FILE}}"
export AWS_DEFAULT_REGION
PGBACKREST_CONFIG="${PGBACKREST_CONFIG:-$config/{{PGBACKREST_CONF}}}"
export PGBACKREST_CONFIG PGBACKREST_STANZA
kind="${1:-}"
command="${2:-}"
[ $# -ge 2 ] && shift 2

log() { echo "backup-agent $kind: $*" >&2; }

case "$kind" in
  postgres)
    volume="${BACKUP_POSTGRES_VOLUME:-{{POSTGRES_VOLUME}}}"
    pgdata="${BACKUP_PGDATA:-{{PGDATA}}}"
    state="${BACKUP_STATE_DIR:-$volume/{{STATE_DIR}}}"
    spool="${BACKUP_WAL_SPOOL:-$volume/{{WAL_SPOOL_DIR}}}"
    fetch="${BACKUP_WAL_FETCH:-$volume/wal-fetch}"
    ;;
  files)
    data="${BACKUP_SYNAPSE_DATA:-{{SYNAPSE_DATA}}}"
    synapse_config="${BACKUP_SYNAPSE_CONFIG:-{{SYNAPSE_CONFIG}}}"
    state="${BACKUP_STATE_DIR:-$data/{{STATE_DIR}}}"
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
  for path in $(ls "$spool" | grep -v '\.part$' | sort); do
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
  type="${1:-auto}"
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
  target="${1:?restore needs a target: latest or a time such as 2026-12-06 14:05:00+00}"
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
  pgbackrest restore --delta "$@" --recovery-option="restore_command=sh $config/{{WAL_FETCH_SCRIPT}} %f %p"
  rm -rf "$spool" "$fetch"
  # The restored cluster starts a new timeline; the next loop takes a backup of it right away.
  rm -f "$state/{{LAST_SUCCESS_FILE}}"
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
  restic backup --host "$RESTIC_HOST" --tag sovereign-matrix ${tag:+--tag "$tag"} $paths
  # Snapshots past the retention are forgotten every day; the space they held is freed (prune,
  # which rewrites pack files and is the expensive part) once a week, on the full-backup day.
  prune=""
  if [ "$(date -u +%u)" = "$BACKUP_FULL_DAY" ]; then prune="--prune"; fi
  restic forget --host "$RESTIC_HOST" --tag sovereign-matrix --keep-daily "$RESTIC_KEEP_DAILY" \
    --keep-weekly "$RESTIC_KEEP_WEEKLY" --keep-monthly "$RESTIC_KEEP_MONTHLY" $prune
}

# Restores media and signing key into a staging directory on the same volume, then swaps each
# directory in whole: nothing is restored onto existing files, and a failed restore changes nothing.
restore_files() {
  snapshot="${1:?restore needs a snapshot id or latest}"
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
  last="$(cat "$state/{{LAST_SUCCESS_FILE}}" 2>/dev/null || echo 0)"
  attempt="$(cat "$state/last-attempt" 2>/dev/null || echo 0)"
  [ $((now - attempt)) -ge 600 ] || return 1
  [ "$last" -eq 0 ] && return 0
  [ "$now" -ge "$slot" ] && [ "$last" -lt "$slot" ]
}

backup_now() {
  date -u +%s >"$state/last-attempt"
  if "backup_$kind" "$@"; then
    date -u +%s >"$state/{{LAST_SUCCESS_FILE}}"
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
    printf '%s
' "${1:?request-restore needs a target}" >"$state/restore-request"
    log "restore to $1 requested; it runs when the pod starts again"
    ;;
  restore-pending)
    # The pods' first init container: a restore the operator asked for (sovereign-matrix restore
    # writes the target into this file, then restarts the pod) runs before anything else starts.
    [ -f "$state/restore-request" ] || exit 0
    target="$(cat "$state/restore-request")"
    log "restoring to $target, as requested"
    # PostgreSQL cannot be running: this is the pod's init container, and the volume is the pod's.
    if [ "$kind" = postgres ]; then rm -f "${BACKUP_PGDATA:-{{PGDATA}}}/postmaster.pid"; fi
    "restore_$kind" "$target"
    rm -f "$state/restore-request"
    log "restore finished"
    ;;
  status)
    echo "last_success=$(cat "$state/{{LAST_SUCCESS_FILE}}" 2>/dev/null || echo 0)"
    echo "last_attempt=$(cat "$state/last-attempt" 2>/dev/null || echo 0)"
    ;;
  *) echo "usage: backup-agent.sh $kind <run|backup|list|restore|status>" >&2; exit 2 ;;
esac
