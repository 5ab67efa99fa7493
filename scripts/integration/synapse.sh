#!/usr/bin/env bash
# scripts/integration/synapse.sh — install what the Synapse integration test needs:
# the pinned Synapse release from PyPI in a virtualenv OUTSIDE the repository (PostgreSQL comes
# from scripts/integration/postgres.sh):
#
#   ${SOVEREIGN_MATRIX_TOOLS:-$HOME/.cache/sovereign-matrix/tools}/synapse-<version>/
#
# The version is read from src/versions.ts (PINNED_VERSIONS.synapse), so there is one pin.
# Besides the `postgres` extra, the venv has Synapse's `redis` extra (txredisapi, hiredis) at the
# versions pinned below: workers talk to each other through Redis (test/integration/synapse-workers.test.ts).
# Idempotent: every step checks first and does nothing when it is already done. The venv records
# the requirement lines it was built from (.requirements); when they change, it is rebuilt. The
# last line printed on stdout is the venv's python interpreter, for the caller to use.
#
# Usage: scripts/integration/synapse.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

log() { echo "synapse.sh: $*" >&2; }

VERSION="$(sed -n "s/^ *synapse: '\([0-9][0-9.a-z]*\)',.*/\1/p" src/versions.ts | head -n 1)"
if [[ -z "$VERSION" ]]; then
  log "cannot read PINNED_VERSIONS.synapse from src/versions.ts"
  exit 1
fi
TOOLS="${SOVEREIGN_MATRIX_TOOLS:-$HOME/.cache/sovereign-matrix/tools}"
VENV="$TOOLS/synapse-$VERSION"
# The `redis` extra's packages, pinned inside Synapse's own bounds (1.163.2: txredisapi>=1.4.12,<1.6.0;
# hiredis>=0.3), newest releases that fit on 2026-12-07.
REQUIREMENTS="matrix-synapse[postgres,redis]==$VERSION
txredisapi==1.5.0
hiredis==3.5.0"

# --- system packages --------------------------------------------------------------------
# python3-venv: `python3 -m venv` on Debian. Synapse and psycopg2-binary come as wheels,
# so no compiler is needed; libpq-dev, build-essential and python3-dev are the fallback
# for a platform without psycopg2 wheels (pip then builds psycopg2 from source).
need=()
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
command -v pg_config >/dev/null 2>&1 || need+=(libpq-dev)
command -v gcc >/dev/null 2>&1 || need+=(build-essential)
python3 -c 'import sysconfig, os, sys; sys.exit(0 if os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")) else 1)' \
  >/dev/null 2>&1 || need+=(python3-dev)
if ((${#need[@]} > 0)); then
  if [[ "$(id -u)" != 0 ]]; then
    log "missing packages ${need[*]}; run as root or install them: apt-get install ${need[*]}"
    exit 1
  fi
  log "installing ${need[*]} (apt-get)"
  t0=$SECONDS
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
  log "apt-get done in $((SECONDS - t0)) s"
else
  log "system packages present"
fi

# --- Synapse virtualenv -----------------------------------------------------------------
PY="$VENV/bin/python"
if [[ -x "$PY" ]] && [[ "$(cat "$VENV/.requirements" 2>/dev/null)" == "$REQUIREMENTS" ]] && "$PY" - "$VERSION" >/dev/null 2>&1 <<'PYEOF'
import sys
from importlib.metadata import version
assert version("matrix-synapse") == sys.argv[1]
import psycopg2, txredisapi, hiredis, synapse.app.homeserver  # noqa: F401
PYEOF
then
  log "matrix-synapse $VERSION already installed in $VENV"
else
  mkdir -p "$TOOLS"
  # A concurrent run waits here instead of installing into the same venv.
  exec 9>"$TOOLS/.synapse-$VERSION.lock"
  flock 9
  # A half-finished earlier install fails the check above and is redone from scratch.
  rm -rf "$VENV"
  log "creating venv $VENV"
  python3 -m venv "$VENV"
  t0=$SECONDS
  log "pip install $(echo "$REQUIREMENTS" | tr '\n' ' ')(a minute or two)"
  "$PY" -m pip install --quiet --upgrade pip >&2
  mapfile -t requirements <<<"$REQUIREMENTS"
  "$PY" -m pip install --quiet "${requirements[@]}" >&2
  "$PY" -c 'import psycopg2, txredisapi, hiredis, synapse.app.homeserver' >&2
  # Written last: an interrupted install has no stamp and is redone.
  echo "$REQUIREMENTS" >"$VENV/.requirements"
  log "pip install done in $((SECONDS - t0)) s"
fi
echo "$PY"
