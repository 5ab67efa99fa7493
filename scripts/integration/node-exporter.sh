#!/usr/bin/env bash
# scripts/integration/node-exporter.sh — Debian's prometheus-node-exporter (1.5.0 on bookworm, the
# release the k3s node's Debian 12 installs) for the cloud-init integration test
# (test/integration/cloud-init.test.ts). The package is unpacked (apt-get download + dpkg-deb -x)
# into
#
#   ${SOVEREIGN_MATRIX_TOOLS:-$HOME/.cache/sovereign-matrix/tools}/node-exporter/root/
#
# rather than installed: installing it would start Debian's service on :9100 on every address of
# this machine. The test runs the binary itself, and checks the package's systemd unit with the
# kit's drop-in (systemd-analyze verify --root).
#
# Idempotent: when the tree is there, nothing is downloaded. The last line printed on stdout is the
# path of the unpacked tree.
#
# Usage: scripts/integration/node-exporter.sh   (on Debian or a Debian derivative, amd64)
set -euo pipefail

log() { echo "node-exporter.sh: $*" >&2; }

TOOLS="${SOVEREIGN_MATRIX_TOOLS:-$HOME/.cache/sovereign-matrix/tools}"
DIR="$TOOLS/node-exporter"

if [[ -x "$DIR/root/usr/bin/prometheus-node-exporter" ]]; then
  log "present: $(cat "$DIR/.version" 2>/dev/null || echo unknown version)"
  echo "$DIR/root"
  exit 0
fi

work="$(mktemp -d)"
chmod 755 "$work" # apt-get download fetches as the _apt user
trap 'rm -rf "$work"' EXIT
export DEBIAN_FRONTEND=noninteractive
# An empty package list (a fresh container) has no candidate to download.
if ! apt-cache policy prometheus-node-exporter | grep -q 'Candidate: [0-9]'; then
  apt-get update -qq
fi
(cd "$work" && apt-get download -qq prometheus-node-exporter >&2)
deb="$(ls "$work"/prometheus-node-exporter_*.deb)"
rm -rf "$DIR.tmp"
mkdir -p "$DIR.tmp"
dpkg-deb -x "$deb" "$DIR.tmp/root"
dpkg-deb -f "$deb" Version >"$DIR.tmp/.version"
# Moved into place only when complete, so an interrupted run is not taken for an installed one.
rm -rf "$DIR"
mv "$DIR.tmp" "$DIR"
log "unpacked $(cat "$DIR/.version")"
echo "$DIR/root"
