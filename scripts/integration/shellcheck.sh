#!/usr/bin/env bash
# scripts/integration/shellcheck.sh — install Debian's shellcheck for the integration test that
# lints every rendered shell script (test/integration/shell-scripts.test.ts).
#
# Idempotent: does nothing when shellcheck runs; `apt-get update` only runs when something has to
# be installed. Prints `shellcheck=<path>` as its last line, for the caller.
#
# Usage: scripts/integration/shellcheck.sh   (as root, on Debian or a Debian derivative)
set -euo pipefail

log() { echo "shellcheck.sh: $*" >&2; }

if ! shellcheck --version >/dev/null 2>&1; then
  if [[ $(id -u) -ne 0 ]]; then
    log "must run as root to install Debian's shellcheck package"
    exit 1
  fi
  log "installing Debian's shellcheck package"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends shellcheck >/dev/null 2>&1 || {
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends shellcheck >/dev/null
  }
fi

log "$(shellcheck --version | sed -n 2p)"
echo "shellcheck=$(command -v shellcheck)"
