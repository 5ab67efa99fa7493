#!/usr/bin/env bash
# scripts/integration/postgres.sh — install the PostgreSQL the integration suites boot (Synapse,
# Keycloak): the major version production pins (PINNED_VERSIONS.postgres in src/versions.ts, the
# docker.io/library/postgres image), and the backup tools the backup suites run against it
# (pgBackRest and restic). Debian bookworm has only PostgreSQL 15, so Debian trixie's
# postgresql-17, postgresql-client-17, pgbackrest and restic, with every library they link
# (trixie's glibc included: they need a newer one than the host's), are unpacked with a private
# apt state into
#
#   ${SOVEREIGN_MATRIX_TOOLS:-$HOME/.cache/sovereign-matrix/tools}/postgres-17/root/
#
# Nothing is added to the host's apt sources and no host package is installed (the same approach
# as the sid coturn in scripts/integration/coturn.sh).
#
# How the binaries run and find their files:
#  - The ELF programs move from root/usr/lib/postgresql/17/bin/ to .../17/bin.elf/; in their
#    place, in bin/, a shell wrapper per program runs the ELF through the tree's own dynamic
#    loader (root/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2, with --library-path to the
#    tree's libraries) and passes the WRAPPER's path as argv[0] (ld.so --argv0).
#  - PostgreSQL locates itself from argv[0] (find_my_exec) and derives its share/ and lib/
#    directories relative to that (the compiled-in /usr/lib/postgresql/17/bin ->
#    /usr/share/postgresql/17 and /usr/lib/postgresql/17/lib). argv[0] being the wrapper in
#    root/usr/lib/postgresql/17/bin, they resolve to root/usr/share/postgresql/17 and
#    root/usr/lib/postgresql/17/lib (checked below with pg_config).
#  - Programs that start other programs (initdb -> postgres, pg_ctl -> postgres) look for them
#    next to argv[0], so they run the wrappers too, never an ELF with the host's loader.
#  - Time zones come from the host's /usr/share/zoneinfo (Debian builds with
#    --with-system-tzdata); the wrappers point GCONV_PATH at the tree's glibc modules.
#  - pgbackrest and restic stay where Debian puts them (root/usr/bin/); their wrappers are in the
#    same bin/ as PostgreSQL's, written the same way. pgBackRest starts its local and async
#    processes (archive-push/get --archive-async, parallel backup and restore) by running its own
#    argv[0] again (its `cmd` option defaults to it), so argv[0] being the wrapper matters there
#    too. restic is a Go program that links glibc (cgo) and runs the same way.
# The tree is relocatable (the wrappers find it from their own path).
#
# Idempotent: when the stamp file postgres-17/.installed lists every package above, nothing is
# done; a tree from an older version of this script (without pgbackrest or restic) is rebuilt.
# Set DEBIAN_MIRROR / DEBIAN_SECURITY_MIRROR to use other mirrors. The last line printed on stdout
# is the directory of the wrappers (initdb, pg_ctl, postgres, psql, ..., pgbackrest, restic).
#
# Usage: scripts/integration/postgres.sh   (as root, on Debian or a Debian derivative, amd64)
set -euo pipefail
cd "$(dirname "$0")/../.."

log() { echo "postgres.sh: $*" >&2; }

MAJOR="$(sed -n "s/^ *postgres: '\([0-9][0-9]*\)\.[0-9.]*',.*/\1/p" src/versions.ts | head -n 1)"
if [[ -z "$MAJOR" ]]; then
  log "cannot read PINNED_VERSIONS.postgres from src/versions.ts"
  exit 1
fi
if [[ "$MAJOR" != 17 ]]; then
  log "PINNED_VERSIONS.postgres is $MAJOR.x, but this script installs Debian trixie's postgresql-17; update the suite and the script"
  exit 1
fi
SUITE=trixie
TOOLS="${SOVEREIGN_MATRIX_TOOLS:-$HOME/.cache/sovereign-matrix/tools}"
DIR="$TOOLS/postgres-$MAJOR"
STAMP="$DIR/.installed"
BIN="$DIR/root/usr/lib/postgresql/$MAJOR/bin"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SECURITY_MIRROR="${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
# The packages the tree is made of (plus the libraries they link, recursively; not
# postgresql-common, locales, ssl-cert and the like: the suites run the binaries directly, in the
# C locale). Programs outside /usr/lib/postgresql/$MAJOR/bin that get a wrapper next to
# PostgreSQL's: name and path in the tree.
packages=("postgresql-$MAJOR" "postgresql-client-$MAJOR" pgbackrest restic)
EXTRA_PROGRAMS=("pgbackrest /usr/bin/pgbackrest" "restic /usr/bin/restic")

# True when the stamp exists and lists every package of the tree.
complete() {
  local p
  [[ -f "$STAMP" ]] || return 1
  for p in "${packages[@]}"; do grep -q "^$p=" "$STAMP" || return 1; done
}
summary() {
  local p
  for p in "${packages[@]}"; do printf '%s %s, ' "$p" "$(sed -n "s/^$p=//p" "$STAMP")"; done | sed 's/, $//'
}

if complete; then
  log "PostgreSQL $MAJOR and the backup tools from Debian $SUITE present in $DIR ($(summary))"
  echo "$BIN"
  exit 0
fi

if [[ "$(uname -m)" != x86_64 ]]; then
  log "only x86_64 is supported (the wrappers use ld-linux-x86-64.so.2), not $(uname -m)"
  exit 1
fi
if [[ "$(id -u)" != 0 ]]; then
  log "PostgreSQL $MAJOR is not installed in $DIR; run this script once as root (apt-get download with a private state)"
  exit 1
fi
for tool in apt-get apt-cache dpkg-deb flock readlink; do
  command -v "$tool" >/dev/null || { log "$tool is missing"; exit 1; }
done
if [[ ! -r "$KEYRING" ]]; then
  log "$KEYRING is missing (package debian-archive-keyring)"
  exit 1
fi

mkdir -p "$TOOLS"
# A concurrent run (another suite) waits here, then finds the stamp.
exec 9>"$TOOLS/.postgres-$MAJOR.lock"
flock 9
if complete; then
  echo "$BIN"
  exit 0
fi
if [[ -f "$STAMP" ]]; then
  log "the tree in $DIR lacks some of ${packages[*]} (an older version of this script); rebuilding it"
fi

t0=$SECONDS
log "unpacking ${packages[*]} from Debian $SUITE into $DIR"
work="$(mktemp -d)"
trap 'rm -rf "$work" "$DIR.new"' EXIT
mkdir -p "$work/lists/partial" "$work/debs"
cat >"$work/sources.list" <<EOF
deb [signed-by=$KEYRING] $MIRROR $SUITE main
deb [signed-by=$KEYRING] $SECURITY_MIRROR $SUITE-security main
EOF
apt_opts=(
  -o "Dir::Etc::sourcelist=$work/sources.list" -o Dir::Etc::sourceparts=-
  -o "Dir::State::Lists=$work/lists" -o Dir::State::status=/dev/null
  -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= -o APT::Sandbox::User=root
  -o APT::Architecture=amd64 -o APT::Architectures::=amd64
)
if ! apt-get "${apt_opts[@]}" --error-on=any update -qq >&2 ||
  ! apt-cache "${apt_opts[@]}" show "postgresql-$MAJOR" >/dev/null 2>&1; then
  log "cannot read the package lists of Debian $SUITE from $MIRROR and $SECURITY_MIRROR (see above)"
  exit 1
fi
# The packages and the libraries they link, recursively (zlib1g is a library without the lib
# prefix; pgbackrest depends on it directly).
libs=$(for p in "${packages[@]}"; do apt-cache "${apt_opts[@]}" show "$p" | sed -n 's/^Depends: //p' | head -n 1; done |
  tr ',' '\n' | sed 's/([^)]*)//g; s/|.*//; s/ //g' | grep -E '^(lib|zlib1g$)' | sort -u)
deps=$(apt-cache "${apt_opts[@]}" depends --recurse --no-recommends --no-suggests --no-conflicts \
  --no-breaks --no-replaces --no-enhances $libs | grep -E '^[a-z0-9]' | sort -u)
(cd "$work/debs" && apt-get "${apt_opts[@]}" download "${packages[@]}" $deps >/dev/null)
log "downloaded $(ls "$work/debs" | wc -l) packages ($(du -sh "$work/debs" | cut -f1)) in $((SECONDS - t0)) s"

rm -rf "$DIR.new"
mkdir -p "$DIR.new/root"
for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$DIR.new/root"; done
# Documentation and manual pages are not needed.
rm -rf "$DIR.new/root/usr/share/doc" "$DIR.new/root/usr/share/man"

pgdir="$DIR.new/root/usr/lib/postgresql/$MAJOR"
mv "$pgdir/bin" "$pgdir/bin.elf"
mkdir "$pgdir/bin"
# write_wrapper PROGRAM ELF-PATH-IN-THE-TREE WHAT
write_wrapper() {
  local program=$1 elf=$2 what=$3
  cat >"$pgdir/bin/$program" <<EOF
#!/bin/sh
# $what from Debian $SUITE, run with the tree's own glibc and libraries; argv[0] is this
# wrapper (see scripts/integration/postgres.sh).
self="\$(readlink -f -- "\$0")"
bin="\${self%/*}"
root="\${bin%/usr/lib/postgresql/$MAJOR/bin}"
GCONV_PATH="\$root/usr/lib/x86_64-linux-gnu/gconv"
export GCONV_PATH
exec "\$root/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" --library-path "\$root/usr/lib/x86_64-linux-gnu" --argv0 "\$self" "\$root$elf" "\$@"
EOF
  chmod 755 "$pgdir/bin/$program"
}
# PostgreSQL derives its share/ and lib/ directories from argv[0] and finds its other programs
# next to it.
for elf in "$pgdir"/bin.elf/*; do
  write_wrapper "$(basename "$elf")" "/usr/lib/postgresql/$MAJOR/bin.elf/$(basename "$elf")" "PostgreSQL $MAJOR"
done
for row in "${EXTRA_PROGRAMS[@]}"; do
  read -r program elf <<<"$row"
  [[ -x "$DIR.new/root$elf" && ! -e "$pgdir/bin/$program" ]] || { log "$elf is missing from the tree, or $program is a PostgreSQL program too"; exit 1; }
  write_wrapper "$program" "$elf" "$program"
done

# Check the unpacked tree before it replaces anything: the programs run, and PostgreSQL resolves
# its directories inside the tree (not to the compiled-in /usr/share/postgresql/$MAJOR).
newbin="$pgdir/bin"
newroot="$(readlink -f -- "$DIR.new/root")"
for program in postgres initdb pg_ctl psql; do
  "$newbin/$program" --version >&2 || { log "the unpacked $program does not run"; exit 1; }
done
for dir in SHAREDIR:/usr/share/postgresql/$MAJOR PKGLIBDIR:/usr/lib/postgresql/$MAJOR/lib BINDIR:/usr/lib/postgresql/$MAJOR/bin; do
  got="$("$newbin/pg_config" "--$(echo "${dir%%:*}" | tr 'A-Z' 'a-z')")"
  if [[ "$got" != "$newroot${dir#*:}" ]]; then
    log "pg_config reports ${dir%%:*} = $got, expected $newroot${dir#*:}"
    exit 1
  fi
done
[[ -f "$newroot/usr/share/postgresql/$MAJOR/postgres.bki" ]] || { log "postgres.bki missing from the tree"; exit 1; }
# The backup tools run (help loads pgBackRest's whole option table).
"$newbin/pgbackrest" version >&2 || { log "the unpacked pgbackrest does not run"; exit 1; }
"$newbin/pgbackrest" help >/dev/null || { log "the unpacked pgbackrest help does not run"; exit 1; }
"$newbin/restic" version >&2 || { log "the unpacked restic does not run"; exit 1; }

# Stamp: the exact package versions in the tree.
for deb in "$work"/debs/*.deb; do dpkg-deb -f "$deb" Package Version | paste -sd= | sed 's/=Version: /=/; s/^Package: //'; done |
  sort >"$DIR.new/.installed.tmp"
# postgresql-17 first, for the summary line above.
{ grep "^postgresql-$MAJOR=" "$DIR.new/.installed.tmp"; grep -v "^postgresql-$MAJOR=" "$DIR.new/.installed.tmp"; } >"$DIR.new/.installed"
rm "$DIR.new/.installed.tmp"
rm -rf "$DIR"
mv "$DIR.new" "$DIR"
trap 'rm -rf "$work"' EXIT
log "PostgreSQL $MAJOR and the backup tools from Debian $SUITE ($(summary)) installed in $((SECONDS - t0)) s"
echo "$BIN"
