#!/usr/bin/env bash
# scripts/integration/debian-unpack.sh PACKAGE — one Debian package (from this machine's apt
# sources), unpacked (apt-get download + dpkg-deb -x) into
#
#   ${SOVEREIGN_MATRIX_TOOLS:-$HOME/.cache/sovereign-matrix/tools}/debian/PACKAGE/root/
#
# rather than installed: installing an exporter would start Debian's service (node_exporter on
# :9100, postgres_exporter on :9187 against the host's PostgreSQL), and the tests run their own
# with the kit's configuration. The monitoring tests use prometheus-node-exporter and
# prometheus-postgres-exporter; both are Go programs with no library of their own to find.
#
# Idempotent: when the package is unpacked, nothing is downloaded. The last line printed on stdout
# is the unpacked root directory.
#
# Usage: scripts/integration/debian-unpack.sh PACKAGE   (on Debian or a Debian derivative)
set -euo pipefail

PACKAGE="${1:?usage: debian-unpack.sh PACKAGE}"
[[ "$PACKAGE" =~ ^[a-z0-9][a-z0-9+.-]+$ ]] || { echo "debian-unpack.sh: not a Debian package name: $PACKAGE" >&2; exit 2; }
log() { echo "debian-unpack.sh: $PACKAGE: $*" >&2; }

TOOLS="${SOVEREIGN_MATRIX_TOOLS:-$HOME/.cache/sovereign-matrix/tools}"
DIR="$TOOLS/debian/$PACKAGE"

if [[ -f "$DIR/.version" ]]; then
  log "present: $(cat "$DIR/.version")"
  echo "$DIR/root"
  exit 0
fi

work="$(mktemp -d)"
chmod 755 "$work" # apt-get download fetches as the _apt user
trap 'rm -rf "$work"' EXIT
export DEBIAN_FRONTEND=noninteractive
# An empty package list (a fresh container) has no candidate to download.
if ! apt-cache policy "$PACKAGE" | grep -q 'Candidate: [0-9]'; then
  apt-get update -qq
fi
(cd "$work" && apt-get download -qq "$PACKAGE" >&2)
deb="$(ls "$work"/"$PACKAGE"_*.deb)"
rm -rf "$DIR.tmp"
mkdir -p "$DIR.tmp"
dpkg-deb -x "$deb" "$DIR.tmp/root"
dpkg-deb -f "$deb" Version >"$DIR.tmp/.version"
# Moved into place only when complete (.version last), so an interrupted run is not taken for an unpacked one.
rm -rf "$DIR"
mv "$DIR.tmp" "$DIR"
log "unpacked $(cat "$DIR/.version")"
echo "$DIR/root"
