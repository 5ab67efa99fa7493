#!/usr/bin/env bash
# scripts/integration/chromium.sh — install the headless browser the docs integration test
# (test/integration/docs.test.ts) opens the generated HTML in: Debian's own `chromium` package.
# Playwright's browser downloads are not used (they come from outside the package registries);
# playwright-core from npm drives this binary instead.
#
# Idempotent: does nothing when /usr/bin/chromium runs; `apt-get update` only runs when
# something has to be installed. Prints `chromium=<path>` as its last line, for the caller.
#
# Usage: scripts/integration/chromium.sh   (as root, on Debian or a Debian derivative)
set -euo pipefail

log() { echo "chromium.sh: $*" >&2; }

CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"

works() {
  [[ -x "$CHROMIUM" ]] && "$CHROMIUM" --headless --no-sandbox --disable-gpu --version >/dev/null 2>&1
}

if ! works; then
  if [[ $(id -u) -ne 0 ]]; then
    log "must run as root to install Debian's chromium package"
    exit 1
  fi
  log "installing Debian's chromium package"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # fonts-liberation: metric-compatible Arial/Helvetica/Times, so text in screenshots has real glyphs.
  apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null
  works || { log "chromium was installed but does not run: $("$CHROMIUM" --headless --no-sandbox --version 2>&1 | tail -n 3)"; exit 1; }
fi

log "$("$CHROMIUM" --version 2>/dev/null)"
echo "chromium=$CHROMIUM"
