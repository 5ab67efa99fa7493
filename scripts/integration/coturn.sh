#!/usr/bin/env bash
# scripts/integration/coturn.sh — install the coturn builds the coturn integration test boots:
#
#  1. Debian's own coturn package (bookworm: 4.6.1), with `apt-get install coturn`. The
#     package's service is never started: a temporary policy-rc.d refuses service starts during
#     the install, and the systemd unit (if systemd runs) is disabled and stopped afterwards.
#  2. The newest coturn Debian has (sid; 4.18.0 when this was written), closer to the pinned
#     image (PINNED_VERSIONS.coturn). Its libraries need a newer glibc than the host's, so the
#     package and the libraries it links are unpacked with their own dynamic loader into
#
#       ${SOVEREIGN_MATRIX_TOOLS:-$HOME/.cache/sovereign-matrix/tools}/coturn-sid/
#
#     using a private apt state (nothing is added to the host's apt sources). Wrappers in its
#     bin/ run turnserver, turnutils_uclient and turnutils_peer through that loader.
#     COTURN_SID=skip leaves this step out (the test then runs Debian's package only).
#
# Idempotent: each step checks first and does nothing when it is already done; `apt-get update`
# only runs when something has to be installed. Prints `debian=<bin dir>` and `sid=<bin dir>`
# (or `sid=`) as its last lines, for the caller.
#
# Usage: scripts/integration/coturn.sh   (as root, on Debian or a Debian derivative)
set -euo pipefail

log() { echo "coturn.sh: $*" >&2; }

TOOLS="${SOVEREIGN_MATRIX_TOOLS:-$HOME/.cache/sovereign-matrix/tools}"
SID_DIR="$TOOLS/coturn-sid"
SID_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SID_KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

need_root() {
  if [[ $(id -u) -ne 0 ]]; then
    log "must run as root to install packages"
    exit 1
  fi
}

# --- 1. Debian's coturn package ------------------------------------------------------------
if ! command -v turnserver >/dev/null || ! command -v turnutils_uclient >/dev/null; then
  need_root
  log "installing Debian's coturn package"
  export DEBIAN_FRONTEND=noninteractive
  # Refuse service starts during the install (exit 101 = action forbidden, see invoke-rc.d(8)),
  # unless the machine already has a policy (Docker images do, with the same effect).
  policy_added=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    policy_added=1
  fi
  trap '[[ $policy_added == 1 ]] && rm -f /usr/sbin/policy-rc.d' EXIT
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends coturn openssl iproute2 >/dev/null
  [[ $policy_added == 1 ]] && rm -f /usr/sbin/policy-rc.d
  trap - EXIT
fi
# Never leave the package's own service running (it would listen on 3478 on every address).
if [[ -d /run/systemd/system ]] && systemctl list-unit-files coturn.service >/dev/null 2>&1; then
  systemctl disable --now coturn.service >/dev/null 2>&1 || true
fi
for tool in openssl ip ss; do
  if ! command -v "$tool" >/dev/null; then
    need_root
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends openssl iproute2 >/dev/null
    break
  fi
done
log "Debian coturn $(turnserver --version 2>/dev/null | tail -n 1)"

# --- 2. The newest Debian build (sid), unpacked with its own loader -------------------------
sid_works() {
  [[ -x "$SID_DIR/bin/turnserver" ]] && "$SID_DIR/bin/turnserver" --version >/dev/null 2>&1
}

if [[ "${COTURN_SID:-}" != "skip" ]] && ! sid_works; then
  need_root
  log "unpacking coturn from Debian sid into $SID_DIR"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/lists/partial" "$work/debs"
  echo "deb [signed-by=$SID_KEYRING] $SID_MIRROR sid main" >"$work/sources.list"
  apt_opts=(
    -o "Dir::Etc::sourcelist=$work/sources.list" -o Dir::Etc::sourceparts=-
    -o "Dir::State::Lists=$work/lists" -o Dir::State::status=/dev/null
    -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= -o APT::Sandbox::User=root
  )
  apt-get "${apt_opts[@]}" update -qq
  # coturn's runtime libraries and everything they depend on (not the service's helpers such
  # as sqlite3, telnet or systemd, which the test does not need).
  libs=$(apt-cache "${apt_opts[@]}" show coturn | sed -n 's/^Depends: //p' | head -n 1 | tr ',' '\n' |
    sed 's/([^)]*)//g; s/|.*//; s/ //g' | grep '^lib' | sort -u)
  pkgs=$(apt-cache "${apt_opts[@]}" depends --recurse --no-recommends --no-suggests --no-conflicts \
    --no-breaks --no-replaces --no-enhances $libs | grep -E '^[a-z0-9]' | sort -u)
  (cd "$work/debs" && apt-get "${apt_opts[@]}" download coturn $pkgs >/dev/null)
  rm -rf "$SID_DIR.new"
  mkdir -p "$SID_DIR.new/root" "$SID_DIR.new/bin"
  for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$SID_DIR.new/root"; done
  for program in turnserver turnutils_uclient turnutils_peer; do
    cat >"$SID_DIR.new/bin/$program" <<EOF
#!/bin/sh
# coturn from Debian sid, run with its own glibc and libraries (see scripts/integration/coturn.sh)
root="\$(dirname "\$0")/../root"
exec "\$root/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" --library-path "\$root/usr/lib/x86_64-linux-gnu" "\$root/usr/bin/$program" "\$@"
EOF
    chmod 755 "$SID_DIR.new/bin/$program"
  done
  rm -rf "$SID_DIR"
  mv "$SID_DIR.new" "$SID_DIR"
  sid_works || { log "the unpacked sid coturn does not run"; exit 1; }
fi

echo "debian=$(dirname "$(command -v turnserver)")"
if sid_works; then
  log "Debian sid coturn $("$SID_DIR/bin/turnserver" --version 2>/dev/null | tail -n 1)"
  echo "sid=$SID_DIR/bin"
else
  echo "sid="
fi
