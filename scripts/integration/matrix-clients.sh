#!/usr/bin/env bash
# scripts/integration/matrix-clients.sh — fetch the client code that reads the kit's MatrixRTC
# settings, from npm, into a cache OUTSIDE the repository (nothing is installed into node_modules):
#
#   ${SOVEREIGN_MATRIX_TOOLS:-$HOME/.cache/sovereign-matrix/tools}/matrix-clients/<package>-<version>/
#
# - matrix-js-sdk: the SDK Element Web and Element Call are built on; its MatrixRTC code decides
#   which transports (foci) a client accepts;
# - @element-hq/element-call-embedded: the Element Call build that Element Web bundles and runs
#   as its call widget.
# The versions are the ones Element Web v1.12.29's apps/web/package.json and lock file pin
# (matrix-js-sdk 42.4.0, element-call-embedded 0.24.0); the kit pins Element Web 1.12.30, whose
# package.json was not readable here (checked 2026-12).
# Idempotent: a package already unpacked is kept. The last line on stdout is the cache directory.
#
# Usage: scripts/integration/matrix-clients.sh
set -euo pipefail

PACKAGES=(matrix-js-sdk@42.4.0 @element-hq/element-call-embedded@0.24.0)

DIR="${SOVEREIGN_MATRIX_TOOLS:-$HOME/.cache/sovereign-matrix/tools}/matrix-clients"
mkdir -p "$DIR"
for spec in "${PACKAGES[@]}"; do
  name="${spec%@*}"
  version="${spec##*@}"
  target="$DIR/${name//\//+}-$version"
  [[ -f "$target/package.json" ]] && continue
  tmp="$(mktemp -d "$DIR/.tmp.XXXXXX")"
  (cd "$tmp" && npm pack --silent "$spec" >/dev/null)
  mkdir -p "$tmp/unpacked"
  tar -xzf "$tmp"/*.tgz -C "$tmp/unpacked"
  rm -rf "$target"
  mv "$tmp/unpacked/package" "$target"
  rm -rf "$tmp"
  echo "matrix-clients.sh: unpacked $spec" >&2
done
echo "$DIR"
