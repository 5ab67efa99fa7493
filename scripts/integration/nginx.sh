#!/usr/bin/env bash
# Installs Debian's nginx for the integration suite (it serves the rendered well-known server
# configuration). Idempotent; the Debian service is not left running.
set -euo pipefail
if command -v nginx >/dev/null 2>&1; then
  echo "nginx: $(nginx -v 2>&1) present"
  exit 0
fi
echo "nginx: installing the Debian package"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends nginx-light >/dev/null
# The package may start its default site; the test runs its own instance.
(service nginx stop || nginx -s stop || true) >/dev/null 2>&1
echo "nginx: $(nginx -v 2>&1) installed"
