#!/usr/bin/env bash
# scripts/integration/keycloak.sh — install what the Keycloak integration test needs, OUTSIDE the
# repository:
#
#   ${SOVEREIGN_MATRIX_TOOLS:-$HOME/.cache/sovereign-matrix/tools}/keycloak-<version>/
#
# - Keycloak's official distribution (org.keycloak:keycloak-quarkus-dist:<version>:zip) from
#   Maven Central, checked against the SHA-512 that Central publishes next to it;
# - a JDK Keycloak 26 runs on (17, 21 or 25; see pick_java below).
# The throwaway database comes from scripts/integration/postgres.sh.
#
# The version is read from src/versions.ts (PINNED_VERSIONS.keycloak), so there is one pin.
# Idempotent: every step checks first and does nothing when it is already done. The last two lines
# printed on stdout are `KC_HOME=<dir>` and `JAVA_HOME=<dir>`, for the caller to use.
#
# Usage: scripts/integration/keycloak.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

log() { echo "keycloak.sh: $*" >&2; }

VERSION="$(sed -n "s/^ *keycloak: '\([0-9][0-9.]*\)',.*/\1/p" src/versions.ts | head -n 1)"
if [[ -z "$VERSION" ]]; then
  log "cannot read PINNED_VERSIONS.keycloak from src/versions.ts"
  exit 1
fi
TOOLS="${SOVEREIGN_MATRIX_TOOLS:-$HOME/.cache/sovereign-matrix/tools}"
KC_HOME="$TOOLS/keycloak-$VERSION"
CENTRAL="${SOVEREIGN_MATRIX_MAVEN_CENTRAL:-https://repo1.maven.org/maven2}"
URL="$CENTRAL/org/keycloak/keycloak-quarkus-dist/$VERSION/keycloak-quarkus-dist-$VERSION.zip"

# --- system packages --------------------------------------------------------------------
need=()
command -v unzip >/dev/null 2>&1 || need+=(unzip)
command -v curl >/dev/null 2>&1 || need+=(curl ca-certificates)

# The JDK: the newest installed major that Keycloak supports (the container image runs 21).
# KEYCLOAK_JAVA_HOME overrides the choice.
java_major() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p'; }
pick_java() {
  if [[ -n "${KEYCLOAK_JAVA_HOME:-}" ]]; then
    echo "$KEYCLOAK_JAVA_HOME"
    return 0
  fi
  local want dir
  for want in 21 25 17; do
    for dir in /usr/lib/jvm/*; do
      [[ -x "$dir/bin/java" && ! -L "$dir" ]] || continue
      if [[ "$(java_major "$dir")" == "$want" ]]; then
        echo "$dir"
        return 0
      fi
    done
  done
  return 1
}
JAVA_DIR="$(pick_java || true)"
[[ -n "$JAVA_DIR" ]] || need+=(openjdk-17-jdk-headless)

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
  JAVA_DIR="$(pick_java)"
else
  log "system packages present"
fi
log "JDK $(java_major "$JAVA_DIR") at $JAVA_DIR"

# --- Keycloak distribution --------------------------------------------------------------
# The stamp is written last, after the checksum and the unpacking succeeded; a half-finished
# earlier run has no stamp and is redone from scratch.
STAMP="$KC_HOME/.sovereign-matrix-verified"
if [[ -f "$STAMP" && -x "$KC_HOME/bin/kc.sh" ]]; then
  log "Keycloak $VERSION already installed in $KC_HOME"
else
  mkdir -p "$TOOLS/downloads"
  # A concurrent run waits here instead of unpacking into the same directory.
  exec 9>"$TOOLS/.keycloak-$VERSION.lock"
  flock 9
  if [[ ! -f "$STAMP" ]]; then
    ZIP="$TOOLS/downloads/keycloak-quarkus-dist-$VERSION.zip"
    expected="$(curl -fsSL --retry 3 "$URL.sha512" | awk '{print $1}')"
    if [[ ! "$expected" =~ ^[0-9a-f]{128}$ ]]; then
      log "no SHA-512 for $URL on Maven Central"
      exit 1
    fi
    if [[ -f "$ZIP" ]] && echo "$expected  $ZIP" | sha512sum -c --status; then
      log "using the downloaded $ZIP"
    else
      t0=$SECONDS
      log "downloading $URL"
      curl -fsSL --retry 3 -o "$ZIP.part" "$URL"
      mv "$ZIP.part" "$ZIP"
      log "download done in $((SECONDS - t0)) s ($(du -m "$ZIP" | cut -f1) MB)"
      if ! echo "$expected  $ZIP" | sha512sum -c --status; then
        rm -f "$ZIP"
        log "SHA-512 mismatch for $ZIP; removed it"
        exit 1
      fi
    fi
    log "SHA-512 verified against Maven Central"
    rm -rf "$KC_HOME" "$KC_HOME.unpack"
    mkdir -p "$KC_HOME.unpack"
    unzip -q "$ZIP" -d "$KC_HOME.unpack"
    mv "$KC_HOME.unpack/keycloak-$VERSION" "$KC_HOME"
    rmdir "$KC_HOME.unpack"
    echo "$expected" >"$STAMP"
    log "Keycloak $VERSION unpacked in $KC_HOME"
  fi
fi
echo "KC_HOME=$KC_HOME"
echo "JAVA_HOME=$JAVA_DIR"
