#!/usr/bin/env bash
# scripts/tools.sh — build pinned OpenTofu + Terraform providers from source
# (via the Go module proxy) into a cache OUTSIDE the repo, and write an
# OpenTofu CLI config that makes `tofu init` resolve the providers offline.
# Also builds the servers the integration tests run for real (Traefik, Pebble,
# and a Kubernetes control plane: etcd, kube-apiserver, kube-controller-manager,
# kubectl) and copies the CustomResourceDefinitions the kit's objects need.
# And an S3-compatible object store for the backup and remote-state tests
# (Versity's S3 gateway, versitygw, with its POSIX backend).
#
# Usage:
#   scripts/tools.sh                 # build/check every pinned tool
#   scripts/tools.sh tofu hcloud     # only the named tools
#   scripts/tools.sh openstack       # only the OpenStack provider
#   scripts/tools.sh traefik pebble  # only the ingress test's servers
#   scripts/tools.sh etcd kube crds  # only the control plane test's tools
#   scripts/tools.sh versitygw       # only the object store
#   scripts/tools.sh prometheus      # only Prometheus and promtool (monitoring tests)
#   scripts/tools.sh alertmanager    # only Alertmanager and amtool (monitoring tests)
#   scripts/tools.sh livekit         # only the LiveKit SFU (group calls test)
#   source "${SOVEREIGN_MATRIX_TOOLS:-$HOME/.cache/sovereign-matrix/tools}/env.sh"
#
# Layout under $DIR (default ~/.cache/sovereign-matrix/tools):
#   bin/tofu
#   bin/traefik, bin/pebble, bin/pebble-challtestsrv   test tools (no mirror)
#   bin/etcd, bin/kube-apiserver, bin/kube-controller-manager, bin/kubectl
#   bin/versitygw
#   crds/<group>_<plural>.yaml   CRDs copied verbatim from their Go modules
#   mirror/<host>/<namespace>/<type>/<version>/<os_arch>/terraform-provider-<type>_v<version>
#       ("unpacked" filesystem_mirror layout, for BOTH registry.opentofu.org
#        and registry.terraform.io, hard-linked, so tofu and terraform both
#        resolve plain `hashicorp/kubernetes`-style sources)
#   stamps/<tool>   what each binary was built from; rebuilt only when it differs
#   logs/<tool>.log the last build log of each tool
#   tofurc          CLI config (filesystem_mirror only => no network fetches)
#   env.sh          `source` it: puts bin/ on PATH, sets TF_CLI_CONFIG_FILE
#
# Idempotent and safe to rerun: binaries are built to a temp file and moved
# into place only on success; a concurrent run waits on a lock.
set -euo pipefail

# ---------------------------------------------------------------------------
# PINS — every pinned version lives here.
#
# Terraform providers at major version >= 2 that have no /vN module path
# (kubernetes, random, tls) cannot be fetched from the Go module proxy by their
# release tag. We pin the release tag's commit instead and name it by its
# canonical Go pseudo-version  vX.Y.(Z+1)-0.<UTC commit time>-<12-char hash>,
# where vX.Y.Z is the newest v0/v1 tag that is an ancestor of the commit.
# (The proxy used here refuses bare commit hashes and "@vX.Y.Z" queries for
# such modules; it does serve the canonical pseudo-version.)
# Commits were resolved once with
#   git rev-parse <tag>^{commit}   on a clone of github.com/hashicorp/<repo>
# and the pseudo-version's time is the commit's committer time in UTC.
# ---------------------------------------------------------------------------

# OpenTofu: newest stable release listed by
#   go list -m -versions github.com/opentofu/opentofu        (2026-11: v1.12.6)
TOFU_VERSION=1.12.6
TOFU_MODULE=github.com/opentofu/opentofu
TOFU_MODVER=v1.12.6
TOFU_PKG=./cmd/tofu
# version.dev=no drops the "-dev" suffix, as release builds do (version/version.go).
TOFU_LDFLAGS="-X github.com/opentofu/opentofu/version.dev=no"

# Providers: one row each.  Columns:
#   type namespace release-version go-module module-version
PROVIDERS=(
  # tag v1.68.0 = commit 93291f4960a23079d89574ab37b025b8e69da82d; a v1 module,
  # so the proxy serves the tag itself.
  "hcloud     hetznercloud 1.68.0 github.com/hetznercloud/terraform-provider-hcloud v1.68.0"
  # tag v2.38.0 = commit be88f44271050f69d52f410bca388834afedfe71 (2025-07-21),
  # the version @cdktf/provider-kubernetes 12.1.1 was generated from.
  # NOTE: the Go module proxy reachable from this project's machines answers
  # 403 "This module version is not available" for every v2/v3-era version of
  # this module (pseudo-version, commit hash and tag alike); it is therefore
  # listed in OPTIONAL_TOOLS below and reported as a warning, not an error.
  "kubernetes hashicorp    2.38.0 github.com/hashicorp/terraform-provider-kubernetes v1.13.4-0.20250721172020-be88f4427105"
  # newest 3.x tag v3.9.0 = commit f8d869dc98d90785f6c8f7131081fa5ef88f9d95.
  # Its go.mod still says module github.com/terraform-providers/terraform-provider-random,
  # so that (old, redirected) path is the one to download.
  "random     hashicorp    3.9.0  github.com/terraform-providers/terraform-provider-random v1.3.2-0.20260513075824-f8d869dc98d9"
  # newest 4.x tag v4.2.1 = commit 857b38cda3fca4b6539f23b6dfc9724c6537f7e7.
  "tls        hashicorp    4.2.1  github.com/hashicorp/terraform-provider-tls v1.2.1-0.20260130152455-857b38cda3fc"
  # The OpenStack provider (OVHcloud, Open Telekom Cloud, Cleura, private
  # clouds): tag v3.4.0 = commit 4fd8eba1f85edfdc7aed2d17bae3f3c814abad41, the
  # only v3 version `go list -m -versions` lists here (2026-12). A /v3 module,
  # so the proxy serves the tag; go.mod has no replace directive.
  "openstack  terraform-provider-openstack 3.4.0 github.com/terraform-provider-openstack/terraform-provider-openstack/v3 v3.4.0"
)

# Extra -X flags per provider, where its goreleaser config sets a version
# variable. hcloud sets Version and Commit; kubernetes' main.Version is a const (cannot be
# set by the linker), random and tls report no version. openstack: its
# .goreleaser.yml sets openstack.version (sent in its User-Agent).
declare -A PROVIDER_LDFLAGS=(
  [openstack]="-X github.com/terraform-provider-openstack/terraform-provider-openstack/v3/openstack.version=3.4.0"
  [hcloud]="-X github.com/hetznercloud/terraform-provider-hcloud/hcloud.Version=1.68.0 -X github.com/hetznercloud/terraform-provider-hcloud/hcloud.Commit=93291f4960a23079d89574ab37b025b8e69da82d"
)

# etcd: newest 3.6 patch release, `go list -m -versions go.etcd.io/etcd/server/v3`
# (2026-11). Kubernetes v1.37 itself is developed against etcd 3.7.0 (its
# build/dependencies.yaml and client modules); the control plane test runs
# kube-apiserver on this 3.6 server. The etcd binary is the main package of
# go.etcd.io/etcd/server/v3; see prepare_etcd.
ETCD_VERSION=3.6.16
# Kubernetes: the newest patch release of the minor the pinned k3s ships
# (src/versions.ts: k3s v1.37.0+k3s1 is Kubernetes v1.37.0), `go list -m
# -versions k8s.io/kubernetes` (2026-11); test/integration/kube-control-plane.test.ts
# checks the minor against the k3s pin. Built from k8s.io/kubernetes itself,
# with its staging modules as published: see prepare_kubernetes.
KUBE_VERSION=1.37.2
# The release's time as the Go module proxy reports it
# (`go list -m -json k8s.io/kubernetes@v1.37.2`), the binaries' buildDate.
KUBE_RELEASE_TIME=2026-10-27T12:01:04Z

# versitygw (Versity S3 gateway, Apache-2.0): the S3-compatible object store
# test/integration/object-store.ts runs (POSIX backend, TLS) in place of the EU
# object storage that holds backups and remote state. Newest version
# `go list -m -versions github.com/versity/versitygw` lists (2026-12: only
# v1.8.0; its go.mod says go 1.25.0 and has no replace directive).
VERSITYGW_VERSION=1.8.0
# The release's time as the Go module proxy reports it
# (`go list -m -json github.com/versity/versitygw@v1.8.0`), its BuildTime.
VERSITYGW_RELEASE_TIME=2026-09-04T20:21:34Z

# Prometheus (Apache-2.0). Its Go module is tagged v0.<minor>.<patch> for
# release 3.<minor>.<patch> (the module's VERSION file says 3.16.0 for
# v0.316.0); newest the Go proxy serves (2026-12). go.mod: go 1.26.7, no
# replace directive. Built without the `builtinassets` tag: the server runs
# its HTTP API and rule evaluation, without the web UI the tests do not use.
PROMETHEUS_VERSION=3.16.0
PROMETHEUS_MODVER=v0.316.0

# Alertmanager (Apache-2.0): the same release src/versions.ts deploys; newest
# `go list -m -versions github.com/prometheus/alertmanager` lists (2026-12:
# v0.35.0; go.mod: go 1.26.0, no replace directive). amtool checks the
# rendered alertmanager.yml; the server delivers the alert-path test's mail.
ALERTMANAGER_VERSION=0.35.0
# LiveKit (Apache-2.0), the SFU of group calls. The newest release the proxy
# lists is v1.13.11 (2026-12), but v1.13.6 and later replace pion/webrtc,
# pion/dtls and pion/ice by LiveKit's "warp" forks (github.com/livekit/
# webrtc-pion/v4, dtls/v3, ice/v4), and the proxy reachable here refuses every
# version of those three modules (403 "This module version is not available").
# v1.13.5 has no replace directive, builds as downloaded (go 1.26.0), and is
# the SFU release ESS Community pins; src/versions.ts pins the same.
# Its version is a constant (version/version.go), no ldflags.
# test/integration/livekit.test.ts boots it with the rendered configuration.
LIVEKIT_VERSION=1.13.5

# Test tools: real servers test/integration/ingress.test.ts runs. Plain
# binaries in bin/, not providers (no mirror). One row per binary; a tool may
# build several binaries of one module (`pebble` is the ACME test CA plus its
# companion DNS server, which resolves every name to 127.0.0.1 so that
# Pebble's HTTP-01 validation reaches the local Traefik).  Columns:
#   tool binary release-version go-module module-version package
TEST_TOOLS=(
  # Traefik v3.7.13 (the proxy refuses v3.7.0), built from a patched copy of
  # its module: see prepare_traefik below. Its module embeds webui/static,
  # which in the module zip holds only a markdown file: the binary builds and
  # serves no dashboard, which the tests do not use.
  "traefik traefik             3.7.13 github.com/traefik/traefik/v3    v3.7.13 ./cmd/traefik"
  "pebble  pebble              2.10.3 github.com/letsencrypt/pebble/v2 v2.10.3 ./cmd/pebble"
  "pebble  pebble-challtestsrv 2.10.3 github.com/letsencrypt/pebble/v2 v2.10.3 ./cmd/pebble-challtestsrv"
  # A Kubernetes control plane without nodes for test/integration/kube-control-plane.ts:
  # etcd, then Kubernetes (ETCD_VERSION, KUBE_VERSION above).
  "etcd    etcd                    $ETCD_VERSION go.etcd.io/etcd/server/v3 v$ETCD_VERSION ."
  "kube    kube-apiserver          $KUBE_VERSION k8s.io/kubernetes         v$KUBE_VERSION ./cmd/kube-apiserver"
  "kube    kube-controller-manager $KUBE_VERSION k8s.io/kubernetes         v$KUBE_VERSION ./cmd/kube-controller-manager"
  "kube    kubectl                 $KUBE_VERSION k8s.io/kubernetes         v$KUBE_VERSION ./cmd/kubectl"
  # The object store (VERSITYGW_VERSION above).
  "versitygw versitygw $VERSITYGW_VERSION github.com/versity/versitygw v$VERSITYGW_VERSION ./cmd/versitygw"
  # Monitoring (PROMETHEUS_VERSION above): the server that scrapes the real
  # Synapse and PostgreSQL, and promtool, which checks and unit-tests the rules.
  "prometheus prometheus $PROMETHEUS_VERSION github.com/prometheus/prometheus $PROMETHEUS_MODVER ./cmd/prometheus"
  "prometheus promtool   $PROMETHEUS_VERSION github.com/prometheus/prometheus $PROMETHEUS_MODVER ./cmd/promtool"
  # ALERTMANAGER_VERSION above: amtool, and the server (see prepare_alertmanager).
  "alertmanager amtool       $ALERTMANAGER_VERSION github.com/prometheus/alertmanager v$ALERTMANAGER_VERSION ./cmd/amtool"
  "alertmanager alertmanager $ALERTMANAGER_VERSION github.com/prometheus/alertmanager v$ALERTMANAGER_VERSION ./cmd/alertmanager"
  # Group calls (LIVEKIT_VERSION above): the SFU.
  "livekit livekit-server $LIVEKIT_VERSION github.com/livekit/livekit-server v$LIVEKIT_VERSION ./cmd/server"
)

# Kubernetes publishes the staging modules of release v1.X.Y (k8s.io/api,
# client-go, apiserver, ...) under the tag v0.X.Y.
KUBE_STAGING_VERSION="v0.${KUBE_VERSION#*.}"
# The version variables hack/lib/version.sh (kube::version::ldflags) sets in a
# release build, in both k8s.io/component-base/version (servers, kubectl) and
# k8s.io/client-go/pkg/version (client user agents); buildDate is the release's
# time, so the binaries do not depend on the day they were built. gitCommit and
# gitTreeState stay unset: the module zip carries no commit.
KUBE_LDFLAGS=""
for kv in "gitVersion=v$KUBE_VERSION" "gitMajor=${KUBE_VERSION%%.*}" "gitMinor=$(cut -d. -f2 <<<"$KUBE_VERSION")" "buildDate=$KUBE_RELEASE_TIME"; do
  KUBE_LDFLAGS+=" -X k8s.io/component-base/version.$kv -X k8s.io/client-go/pkg/version.$kv"
done
KUBE_LDFLAGS=${KUBE_LDFLAGS# }

# Version variables, as the projects' release builds set them
# (traefik: Makefile `binary`; pebble: `var version = "dev"` in cmd/pebble).
# (etcd: its version is a constant in go.etcd.io/etcd/api/v3/version; the
# release build sets only GitSHA, which the module zip does not carry.)
# (versitygw: .goreleaser.yaml sets main.Version (without the v), main.BuildTime
# and main.Build, the commit, which the module zip does not carry.)
declare -A TEST_TOOL_LDFLAGS=(
  [traefik]="-X github.com/traefik/traefik/v3/pkg/version.Version=v3.7.13"
  [pebble]="-X main.version=v2.10.3"
  [kube-apiserver]="$KUBE_LDFLAGS"
  [kube-controller-manager]="$KUBE_LDFLAGS"
  [kubectl]="$KUBE_LDFLAGS"
  [versitygw]="-X main.Version=$VERSITYGW_VERSION -X main.BuildTime=$VERSITYGW_RELEASE_TIME"
  # (Prometheus: Makefile.common's promu build sets github.com/prometheus/common/version.)
  [prometheus]="-X github.com/prometheus/common/version.Version=$PROMETHEUS_VERSION"
  [promtool]="-X github.com/prometheus/common/version.Version=$PROMETHEUS_VERSION"
  [amtool]="-X github.com/prometheus/common/version.Version=$ALERTMANAGER_VERSION"
  [alertmanager]="-X github.com/prometheus/common/version.Version=$ALERTMANAGER_VERSION"
)

# Binaries whose module cannot be built as downloaded: a function that makes a
# patched, writable copy and prints the directory to build in.
declare -A TEST_TOOL_PREPARE=(
  [traefik]=prepare_traefik
  [etcd]=prepare_etcd
  [kube-apiserver]=prepare_kubernetes
  [kube-controller-manager]=prepare_kubernetes
  [kubectl]=prepare_kubernetes
  [alertmanager]=prepare_alertmanager
)

# CustomResourceDefinitions of the objects the kit creates that are not built
# into Kubernetes, copied verbatim from the Go modules of the projects that
# define them into $DIR/crds/ (tool `crds`).  Columns:
#   go-module module-version file-in-module
CRDS=(
  # k3s's HelmChartConfig (helm.cattle.io/v1), as helm-controller generates it
  # (controller-gen). v0.17.7 is the helm-controller k3s's go.mod requires on
  # the branch the v1.37 releases come from (read 2026-11).
  "github.com/k3s-io/helm-controller v0.17.7 pkg/crds/yaml/generated/helm.cattle.io_helmchartconfigs.yaml"
  # cert-manager's Issuer, ClusterIssuer and Certificate (cert-manager.io/v1):
  # newest release, `go list -m -versions github.com/cert-manager/cert-manager`
  # (2026-11); the kit does not pin the cert-manager of an existing cluster.
  # deploy/crds holds controller-gen's plain YAML; the Helm chart's
  # templates/crd-*.yaml wrap the same spec (compared equal for v1.21.2) in
  # template lines, so the plain files are used and nothing is stripped.
  "github.com/cert-manager/cert-manager v1.21.2 deploy/crds/cert-manager.io_issuers.yaml"
  "github.com/cert-manager/cert-manager v1.21.2 deploy/crds/cert-manager.io_clusterissuers.yaml"
  "github.com/cert-manager/cert-manager v1.21.2 deploy/crds/cert-manager.io_certificates.yaml"
  # The Prometheus Operator's ServiceMonitor and PrometheusRule (monitoring.coreos.com/v1), for
  # monitoring.stack prometheus-operator/auto. v0.85.0 is the only version the Go module proxy
  # serves of the main module (`go list -m -versions`, 2026-12); example/prometheus-operator-crd
  # holds controller-gen's plain YAML (no template lines), so nothing is stripped.
  "github.com/prometheus-operator/prometheus-operator v0.85.0 example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml"
  "github.com/prometheus-operator/prometheus-operator v0.85.0 example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml"
  # CloudNativePG's Cluster (postgresql.cnpg.io/v1), for scale.postgres.engine cloudnative-pg
  # (src/versions.ts CLOUDNATIVE_PG_VERSION says the same release). The proxy answers 403 for the
  # version list and @latest, but serves explicit versions; v1.30.1 is the newest that downloads
  # (probed 2026-12: v1.30.2, v1.30.3 and v1.31.0 are 403). config/crd/bases holds
  # controller-gen's plain YAML (about 470 kB: too large for client-side apply's annotation,
  # which is why the control plane applies CRDs server-side).
  "github.com/cloudnative-pg/cloudnative-pg v1.30.1 config/crd/bases/postgresql.cnpg.io_clusters.yaml"
)

# Tools whose failure is reported as a warning and does not fail the script
# (space separated). Override with SOVEREIGN_MATRIX_TOOLS_OPTIONAL="" to make
# every tool mandatory.
OPTIONAL_TOOLS="${SOVEREIGN_MATRIX_TOOLS_OPTIONAL-kubernetes}"

# ---------------------------------------------------------------------------

DIR="${SOVEREIGN_MATRIX_TOOLS:-$HOME/.cache/sovereign-matrix/tools}"
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd -P)"   # absolute: tofurc and env.sh must not depend on cwd
mkdir -p "$DIR/bin" "$DIR/mirror" "$DIR/stamps" "$DIR/logs"

# Mirror hosts: OpenTofu expands `hashicorp/x` to registry.opentofu.org,
# Terraform to registry.terraform.io. The first host holds the real file.
MIRROR_HOSTS=(registry.opentofu.org registry.terraform.io)

log() { printf 'tools: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

command -v go >/dev/null 2>&1 || die "go not found on PATH (Go >= 1.26 is needed to build the tools)"

# One run at a time: a second concurrent run waits instead of racing on mv.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$DIR/.lock"
  flock 9
fi

# Build settings. CGO off => static binaries, no C toolchain needed.
# -modcacherw: the module cache is read-only by default; keep it removable.
# -buildvcs=false: the module cache dir is not a VCS checkout.
export CGO_ENABLED=0
export GOFLAGS="-modcacherw -buildvcs=false"
# GOWORK=off: a module zip may carry its repository's go.work (Prometheus's names
# sub-modules the zip does not contain); each tool is built as its module alone.
export GOWORK=off
PLATFORM="$(go env GOOS)_$(go env GOARCH)"
GO_VERSION="$(go env GOVERSION)"

# Which tools to handle: arguments, or all of them.
ALL_TOOLS=(tofu)
for row in "${PROVIDERS[@]}"; do read -r t _ <<<"$row"; ALL_TOOLS+=("$t"); done
for row in "${TEST_TOOLS[@]}"; do
  read -r t _ <<<"$row"
  [[ " ${ALL_TOOLS[*]} " == *" $t "* ]] || ALL_TOOLS+=("$t")
done
ALL_TOOLS+=(crds)
if (($#)); then
  WANT=("$@")
  for w in "${WANT[@]}"; do
    [[ " ${ALL_TOOLS[*]} " == *" $w "* ]] || die "unknown tool '$w' (known: ${ALL_TOOLS[*]})"
  done
else
  WANT=("${ALL_TOOLS[@]}")
fi
wanted() { [[ " ${WANT[*]} " == *" $1 "* ]]; }

FAILED=()   # mandatory tools that failed
WARNED=()   # optional tools that failed

human_size() { du -h "$1" | cut -f1; }

# build_go NAME VERSION MODULE MODVER PKG OUT LDFLAGS [PREPARE]
# Downloads MODULE@MODVER from the Go module proxy and builds PKG inside the
# module's own directory, so its go.mod (replace directives included) and
# go.sum apply. `go install pkg@ver` would ignore replace directives and fail
# for OpenTofu. With PREPARE (a function name), builds instead in the directory
# `PREPARE <module dir>` prints. Returns non-zero on failure without touching OUT.
build_go() {
  local name=$1 version=$2 module=$3 modver=$4 pkg=$5 out=$6 ldflags=$7 prepare=${8:-}
  local stamp="$DIR/stamps/$name" logf="$DIR/logs/$name.log"
  # Everything that determines the binary; a change => rebuild. A patch step
  # counts by the hash of its own text.
  local want="$name $version $module@$modver pkg=$pkg platform=$PLATFORM ldflags=-s -w${ldflags:+ $ldflags}"
  if [[ -n "$prepare" ]]; then
    want+=" prepare=$prepare:$(declare -f "$prepare" | sha256sum | cut -c1-16)"
  fi

  if [[ -x "$out" && -f "$stamp" && "$(<"$stamp")" == "$want" ]]; then
    log "$name $version cached"
    return 0
  fi

  log "building $name $version ($module@$modver) ..."
  local start=$SECONDS
  : >"$logf"

  # go mod download -json prints {"Dir": ...} on success, {"Error": ...} on failure.
  local json dir
  if ! json="$(go mod download -json "$module@$modver" 2>>"$logf")"; then
    printf '%s\n' "$json" >>"$logf"
    local why
    why="$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Error": "\(.*\)",\{0,1\}$/\1/p' | head -n1)"
    [[ -n "$why" ]] || why="$(tail -n 3 "$logf")"
    why="${why//\\n/ }"
    log "FAILED $name $version: cannot download $module@$modver from the Go module proxy: ${why//\\t/}"
    return 1
  fi
  dir="$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' | head -n1)"
  [[ -n "$dir" && -d "$dir" ]] || { log "FAILED $name $version: go mod download printed no Dir"; return 1; }
  if [[ -n "$prepare" ]]; then
    if ! dir="$("$prepare" "$dir" 2>>"$logf")"; then
      log "FAILED $name $version: $prepare failed; last lines of $logf:"
      tail -n 15 "$logf" | sed 's/^/tools:   /' >&2
      return 1
    fi
  fi

  # Build to a temp file in the destination directory, then mv (atomic).
  mkdir -p "$(dirname "$out")"
  local tmp="$out.tmp.$$"
  if ! (cd "$dir" && nice -n 10 go build -trimpath -ldflags "-s -w $ldflags" -o "$tmp" "$pkg") >>"$logf" 2>&1; then
    rm -f "$tmp"
    log "FAILED $name $version: go build $pkg in $dir failed after $((SECONDS - start))s; last lines of $logf:"
    tail -n 15 "$logf" | sed 's/^/tools:   /' >&2
    return 1
  fi
  mv -f "$tmp" "$out"
  printf '%s\n' "$want" >"$stamp"
  log "built $name $version in $((SECONDS - start))s ($(human_size "$out"), $GO_VERSION)"
}

# prepare_traefik MODULE_DIR — prints the directory of a patched copy of the
# traefik module that builds with what the Go module proxy reachable here
# serves. As downloaded it cannot build, for three reasons (checked 2026-11):
#  1. go.mod replaces github.com/traefik/traefik/dynamic/ext with the nested
#     module ./pkg/config/dynamic/ext, which a module zip never contains and
#     the proxy does not serve on its own;
#  2. go.mod replaces github.com/abbot/go-http-auth with the fork
#     github.com/containous/go-http-auth@v0.4.1-0.20260804094822-b975dcaa8c48,
#     which the proxy refuses;
#  3. lego (its ACME library) registers every DNS-01 provider, and the proxy
#     refuses the SDK modules of those listed in `dropped` below (403 "This
#     module version is not available", every version; lego v5.4.1, the
#     version traefik v3.7.13 requires). The kit uses HTTP-01 only.
# The copy changes exactly that:
#  1. the nested module is written back as upstream has it (two empty
#     extension structs; unchanged since its creation but for the go line);
#  2. go-http-auth is the same fork at its previous commit,
#     v0.4.1-0.20200324110947-a37a7636d23e, which the proxy serves and which
#     every Traefik up to v3.7.10 was built with (v3.7.11 bumped it, #13636);
#     only the BasicAuth and DigestAuth middlewares use it, the kit neither;
#  3. lego is a copy whose DNS-01 provider factory lacks those providers
#     (choosing one fails with "DNS provider X is not in this build").
# Routing, entry points, TLS, the ACME client and its HTTP-01 challenge are
# Traefik's and lego's own code.
prepare_traefik() {
  local mod=$1 src="$DIR/src/traefik" lego_src="$DIR/src/lego"
  local dropped="alidns aliesa azion dnsimple edgedns edgeone huaweicloud oraclecloud regfish sakuracloud tencentcloud ucloud yandexcloud"
  rm -rf "$src" "$lego_src"
  mkdir -p "$DIR/src"
  cp -R "$mod" "$src" && chmod -R u+w "$src" || return 1

  # 1. The nested dynamic/ext module.
  mkdir -p "$src/pkg/config/dynamic/ext"
  printf 'module github.com/traefik/traefik/dynamic/ext\n\ngo 1.26.0\n' >"$src/pkg/config/dynamic/ext/go.mod"
  cat >"$src/pkg/config/dynamic/ext/ext.go" <<'GO'
package ext

// HTTP is a dynamic.HTTP extension.
type HTTP struct{}

// Router is a dynamic.Router extension.
type Router struct{}
GO

  # 2. go-http-auth: the fork's previous commit instead of the refused one.
  local auth=github.com/containous/go-http-auth@v0.4.1-0.20200324110947-a37a7636d23e
  (cd "$src" && go mod edit -replace "github.com/abbot/go-http-auth=$auth" && go mod download "$auth") >&2 || return 1

  # 3. lego without the DNS providers whose SDKs are refused.
  local lego_ver lego_json lego_dir p factory
  lego_ver="$(awk '$1 == "github.com/go-acme/lego/v5" { print $2; exit }' "$src/go.mod")"
  [[ -n "$lego_ver" ]] || { echo "prepare_traefik: no github.com/go-acme/lego/v5 in go.mod" >&2; return 1; }
  lego_json="$(cd "$src" && go mod download -json "github.com/go-acme/lego/v5@$lego_ver")" || { printf '%s\n' "$lego_json" >&2; return 1; }
  lego_dir="$(printf '%s\n' "$lego_json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' | head -n1)"
  [[ -n "$lego_dir" && -d "$lego_dir" ]] || { echo "prepare_traefik: no Dir for lego $lego_ver" >&2; return 1; }
  cp -R "$lego_dir" "$lego_src" && chmod -R u+w "$lego_src" || return 1
  factory="$lego_src/providers/dns/zz_gen_dns_providers.go"
  for p in $dropped; do
    grep -q "^	\"github.com/go-acme/lego/v5/providers/dns/$p\"\$" "$factory" \
      || { echo "prepare_traefik: lego $lego_ver has no DNS provider $p" >&2; return 1; }
    sed -i -e "\#^	\"github.com/go-acme/lego/v5/providers/dns/$p\"\$#d" \
      -e "s#^		return $p\\.NewDNSProvider()\$#		return nil, fmt.Errorf(\"DNS provider %s is not in this build\", name)#" "$factory"
    ! grep -q "[^a-z]$p\.NewDNSProvider" "$factory" || { echo "prepare_traefik: $p still in $factory" >&2; return 1; }
  done
  (cd "$src" && go mod edit -replace "github.com/go-acme/lego/v5=$lego_src") >&2 || return 1
  printf '%s\n' "$src"
}

# prepare_alertmanager MODULE_DIR — prints the directory of a copy of
# github.com/prometheus/alertmanager whose web UI directory exists: ui/web.go
# embeds ui/app/dist (`//go:embed app/dist`), which the release's UI build
# makes and the module zip does not contain, so `go build ./cmd/alertmanager`
# fails with "pattern app/dist: no matching files found". The copy holds one
# placeholder file there: the server's API, routing and notifiers are
# Alertmanager's own; its web pages are empty, which the tests do not use.
prepare_alertmanager() {
  local mod=$1 src="$DIR/src/alertmanager"
  rm -rf "$src"
  mkdir -p "$DIR/src"
  cp -R "$mod" "$src" && chmod -R u+w "$src" || return 1
  [[ ! -e "$src/ui/app/dist" ]] || { echo "prepare_alertmanager: ui/app/dist exists in the module; drop this step" >&2; return 1; }
  mkdir -p "$src/ui/app/dist"
  printf '<!-- web UI not built: see scripts/tools.sh prepare_alertmanager -->\n' >"$src/ui/app/dist/index.html"
  printf '%s\n' "$src"
}

# publish_local_replaces SRC PREFIX VERSION — in the copy SRC of a module whose
# go.mod replaces its sibling modules by directories of its repository (targets
# starting with PREFIX), which a module zip never contains: drops those
# replace directives and requires each sibling the module requires at VERSION,
# the tag under which the same release of the sibling is published on the Go
# module proxy, recording its checksums in go.sum. The siblings are read from
# go.mod, not listed here. Siblings the module does not require lose only their
# replace directive.
publish_local_replaces() {
  local src=$1 prefix=$2 version=$3 m
  local -a replaced edits=() required=()
  mapfile -t replaced < <(awk -v p="$prefix" '{ sub(/^replace[[:space:]]+/, "") }
    $2 == "=>" && index($3, p) == 1 { print $1 }' "$src/go.mod")
  ((${#replaced[@]})) || { echo "publish_local_replaces: no replace directive to $prefix in $src/go.mod" >&2; return 1; }
  for m in "${replaced[@]}"; do
    edits+=("-dropreplace=$m")
    if awk -v m="$m" '{ sub(/^require[[:space:]]+/, "") } $1 == m && $2 ~ /^v/ { found = 1 } END { exit !found }' "$src/go.mod"; then
      edits+=("-require=$m@$version")
      required+=("$m@$version")
    fi
  done
  (cd "$src" && go mod edit "${edits[@]}" && go mod download "${required[@]}") >&2 || return 1
  echo "publish_local_replaces: ${required[*]}" >&2
}

# prepare_etcd MODULE_DIR — prints the directory of a copy of
# go.etcd.io/etcd/server/v3 whose go.mod uses the published api, client and
# pkg modules of the same release (it replaces them by ../api, ../client/...,
# directories of etcd's repository that the module zip does not contain).
prepare_etcd() {
  local mod=$1 src="$DIR/src/etcd"
  rm -rf "$src"
  mkdir -p "$DIR/src"
  cp -R "$mod" "$src" && chmod -R u+w "$src" || return 1
  publish_local_replaces "$src" ../ "$(awk '$1 == "go.etcd.io/etcd/api/v3" { print $2; exit }' "$src/go.mod")" || return 1
  printf '%s\n' "$src"
}

# prepare_kubernetes MODULE_DIR — prints the directory of a copy of
# k8s.io/kubernetes that builds from the Go module proxy. As downloaded it
# cannot: go.mod requires its staging modules (k8s.io/api, apimachinery,
# client-go, apiserver, component-base, kubectl, ...) at v0.0.0 and replaces
# them by ./staging/src/k8s.io/*, which the module zip does not contain
# (staging/ holds only its README), and vendor/ and go.work refer to the same
# missing directories. The copy requires each staging module at
# $KUBE_STAGING_VERSION, the tag under which Kubernetes publishes the staging
# directories of this release, and has no vendor/ and no go.work. Every other
# requirement is the release's own.
prepare_kubernetes() {
  local mod=$1 src="$DIR/src/kubernetes"
  rm -rf "$src"
  mkdir -p "$DIR/src"
  cp -R "$mod" "$src" && chmod -R u+w "$src" || return 1
  rm -rf "$src/vendor" "$src/go.work" "$src/go.work.sum"
  publish_local_replaces "$src" ./staging/src/ "$KUBE_STAGING_VERSION" || return 1
  printf '%s\n' "$src"
}

# build_crds — copies the files of CRDS into $DIR/crds (replaced whole, only
# when every file was found and is a CustomResourceDefinition).
build_crds() {
  local stamp="$DIR/stamps/crds" logf="$DIR/logs/crds.log" out="$DIR/crds"
  local want row module modver file json dir
  want="crds $(printf '%s;' "${CRDS[@]}")"
  if [[ -d "$out" && -f "$stamp" && "$(<"$stamp")" == "$want" ]]; then
    log "crds cached"
    return 0
  fi
  log "copying crds ..."
  : >"$logf"
  local tmp="$out.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  for row in "${CRDS[@]}"; do
    read -r module modver file <<<"$row"
    if ! json="$(go mod download -json "$module@$modver" 2>>"$logf")"; then
      printf '%s\n' "$json" >>"$logf"
      log "FAILED crds: cannot download $module@$modver from the Go module proxy (see $logf)"
      rm -rf "$tmp"
      return 1
    fi
    dir="$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' | head -n1)"
    if [[ ! -f "$dir/$file" ]] || ! grep -q '^kind: CustomResourceDefinition$' "$dir/$file"; then
      log "FAILED crds: $module@$modver has no CustomResourceDefinition $file"
      rm -rf "$tmp"
      return 1
    fi
    cp "$dir/$file" "$tmp/$(basename "$file")" && chmod u+w "$tmp/$(basename "$file")"
    printf '%s@%s %s\n' "$module" "$modver" "$file" >>"$logf"
  done
  rm -rf "$out"
  mv "$tmp" "$out"
  printf '%s\n' "$want" >"$stamp"
  log "copied ${#CRDS[@]} crds to $out"
}

record_failure() {
  local name=$1 version=$2
  if [[ " $OPTIONAL_TOOLS " == *" $name "* ]]; then
    WARNED+=("$name $version")
  else
    FAILED+=("$name $version")
  fi
}

# --- OpenTofu ---------------------------------------------------------------
if wanted tofu; then
  build_go tofu "$TOFU_VERSION" "$TOFU_MODULE" "$TOFU_MODVER" "$TOFU_PKG" \
    "$DIR/bin/tofu" "$TOFU_LDFLAGS" || record_failure tofu "$TOFU_VERSION"
fi

# --- Providers --------------------------------------------------------------
for row in "${PROVIDERS[@]}"; do
  read -r type ns version module modver <<<"$row"
  wanted "$type" || continue
  file="terraform-provider-${type}_v${version}"
  rel="$ns/$type/$version/$PLATFORM"
  primary="$DIR/mirror/${MIRROR_HOSTS[0]}/$rel/$file"
  # Every provider repo here has its main package at the module root.
  if build_go "$type" "$version" "$module" "$modver" . "$primary" "${PROVIDER_LDFLAGS[$type]:-}"; then
    # Same bytes under the other host(s). A hard link, not a directory
    # symlink: the lock-file hash walks the package directory, and a
    # symlinked directory would not be descended into.
    for host in "${MIRROR_HOSTS[@]:1}"; do
      mkdir -p "$DIR/mirror/$host/$rel"
      ln -f "$primary" "$DIR/mirror/$host/$rel/$file"
    done
  else
    record_failure "$type" "$version"
  fi
done

# --- Test tools ---------------------------------------------------------------
for row in "${TEST_TOOLS[@]}"; do
  read -r tool bin version module modver pkg <<<"$row"
  wanted "$tool" || continue
  build_go "$bin" "$version" "$module" "$modver" "$pkg" "$DIR/bin/$bin" "${TEST_TOOL_LDFLAGS[$bin]:-}" \
    "${TEST_TOOL_PREPARE[$bin]:-}" || record_failure "$tool" "$version"
done

# --- CRDs ---------------------------------------------------------------------
if wanted crds; then
  build_crds || record_failure crds "$(printf '%s\n' "${CRDS[@]}" | awk '{ print $1 "@" $2 }' | sort -u | paste -sd' ')"
fi

# --- CLI config and env -----------------------------------------------------
# filesystem_mirror with no `direct` block: every provider must come from the
# mirror, so `tofu init` never touches the network (a provider that is not in
# the mirror fails with "no available releases match" instead).
tofurc_tmp="$DIR/tofurc.tmp.$$"
cat >"$tofurc_tmp" <<EOF
# Generated by scripts/tools.sh — do not edit; rerun the script instead.
# Providers come only from the local mirror: nothing is fetched from the network.
provider_installation {
  filesystem_mirror {
    path = "$DIR/mirror"
  }
}
disable_checkpoint = true
EOF
mv -f "$tofurc_tmp" "$DIR/tofurc"

env_tmp="$DIR/env.sh.tmp.$$"
cat >"$env_tmp" <<EOF
# Generated by scripts/tools.sh. Usage: source "$DIR/env.sh"
export PATH="$DIR/bin:\$PATH"
export TF_CLI_CONFIG_FILE="$DIR/tofurc"
EOF
mv -f "$env_tmp" "$DIR/env.sh"

# --- Summary ----------------------------------------------------------------
log "tofu:    $DIR/bin/tofu"
log "mirror:  $DIR/mirror"
log "config:  $DIR/tofurc"
log "env:     source $DIR/env.sh"
for w in ${WARNED[@]+"${WARNED[@]}"}; do
  log "WARNING: optional tool $w was not built (see $DIR/logs/${w%% *}.log); configurations needing it will not init offline"
done
if ((${#FAILED[@]})); then
  die "failed to build: $(IFS=,; echo "${FAILED[*]}")"
fi
