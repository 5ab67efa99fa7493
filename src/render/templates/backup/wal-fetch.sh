#!/bin/sh
# Rendered by sovereign-matrix; do not edit. PostgreSQL's restore_command: sh wal-fetch.sh %f %p
set -eu
dir="${BACKUP_WAL_FETCH:-{{POSTGRES_VOLUME}}/wal-fetch}"
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
