#!/bin/sh
# Rendered by sovereign-matrix; do not edit. PostgreSQL's archive_command: sh wal-spool.sh %p %f
set -eu
spool="${BACKUP_WAL_SPOOL:-{{POSTGRES_VOLUME}}/{{WAL_SPOOL_DIR}}}"
mkdir -p "$spool"
cp "$1" "$spool/$2.part"
sync "$spool/$2.part"
mv "$spool/$2.part" "$spool/$2"
sync "$spool"
