#!/usr/bin/env bash
# scripts/integration/postgres-exporter.sh — Debian's prometheus-postgres-exporter (0.11.1 on
# bookworm) for the monitoring integration test (test/integration/prometheus-scrape.test.ts).
# The package is unpacked (apt-get download + dpkg-deb -x) into
#
#   ${SOVEREIGN_MATRIX_TOOLS:-$HOME/.cache/sovereign-matrix/tools}/postgres-exporter/
#
# rather than installed: installing it would start Debian's service on :9187 with the host's
# PostgreSQL, and the test runs its own exporter against its own cluster. The binary is a Go
# program with no library of its own to find.
#
# Idempotent: when the binary is there, nothing is downloaded. The last line printed on stdout is
# the path of the binary.
#
# Usage: scripts/integration/postgres-exporter.sh   (on Debian or a Debian derivative, amd64)
set -euo pipefail

log() { echo "postgres-exporter.sh: $*" >&2; }

TOOLS="${SOVEREIGN_MATRIX_TOOLS:-$HOME/.cache/sovereign-matrix/tools}"
DIR="$TOOLS/postgres-exporter"
BIN="$DIR/root/usr/bin/prometheus-postgres-exporter"

if [[ -x "$BIN" ]]; then
  log "present: $(cat "$DIR/.version" 2>/dev/null || echo unknown version)"
  echo "$BIN"
  exit 0
fi

work="$(mktemp -d)"
chmod 755 "$work" # apt-get download fetches as the _apt user
trap 'rm -rf "$work"' EXIT
export DEBIAN_FRONTEND=noninteractive
# An empty package list (a fresh container) has no candidate to download.
if ! apt-cache policy prometheus-postgres-exporter | grep -q 'Candidate: [0-9]'; then
  apt-get update -qq
fi
(cd "$work" && apt-get download -qq prometheus-postgres-exporter >&2)
deb="$(ls "$work"/prometheus-postgres-exporter_*.deb)"
rm -rf "$DIR.tmp"
mkdir -p "$DIR.tmp"
dpkg-deb -x "$deb" "$DIR.tmp/root"
dpkg-deb -f "$deb" Version >"$DIR.tmp/.version"
# Moved into place only when complete, so an interrupted run is not taken for an installed one.
rm -rf "$DIR"
mv "$DIR.tmp" "$DIR"
log "unpacked $(cat "$DIR/.version")"
echo "$BIN"
