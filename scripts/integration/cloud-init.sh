#!/usr/bin/env bash
# Installs Debian's cloud-init for the integration suite (its `cloud-init schema` validates our
# user data). Idempotent: does nothing when the command is already there.
set -euo pipefail
if command -v cloud-init >/dev/null 2>&1; then
  echo "cloud-init: $(cloud-init --version 2>&1) present"
  exit 0
fi
echo "cloud-init: installing the Debian package"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Only the schema checker is used; no service is started in a container without systemd.
apt-get install -y -qq --no-install-recommends cloud-init >/dev/null
echo "cloud-init: $(cloud-init --version 2>&1) installed"
