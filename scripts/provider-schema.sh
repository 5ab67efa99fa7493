#!/usr/bin/env bash
# scripts/provider-schema.sh — regenerate src/providers/<provider>/schema.json
# from the provider built by scripts/tools.sh, fully offline.
#
# Usage: scripts/provider-schema.sh [hcloud|openstack]   (default: hcloud)
#
# The file is the `tofu providers schema -json` output reduced to that
# provider, keyed as registry.terraform.io/<namespace>/<type> (the form
# @cdktf/provider-generator expects), written with sorted keys so reruns are
# byte-identical. For openstack it is further reduced to the resources and data
# sources the kit uses (OPENSTACK_KEEP below): the provider has 108
# resources and 61 data sources (v3.4.0), and bindings for all of them would add megabytes of TypeScript that
# every type-check compiles. The kept entries are the provider's own schema,
# unchanged.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
DIR="${SOVEREIGN_MATRIX_TOOLS:-$HOME/.cache/sovereign-matrix/tools}"
PROVIDER="${1:-hcloud}"

case "$PROVIDER" in
  hcloud) NAMESPACE=hetznercloud; KEEP="" ;;
  # Resources and data sources (both kinds, where the provider has the name as
  # both) stacks/openstack-infra.ts uses.
  openstack) NAMESPACE=terraform-provider-openstack
    KEEP="openstack_networking_network_v2 openstack_networking_subnet_v2 openstack_networking_router_v2
      openstack_networking_router_interface_v2 openstack_networking_secgroup_v2 openstack_networking_secgroup_rule_v2
      openstack_networking_port_v2 openstack_networking_floatingip_v2 openstack_networking_floatingip_associate_v2
      openstack_compute_instance_v2 openstack_blockstorage_volume_v3
      openstack_dns_recordset_v2 openstack_dns_zone_v2 openstack_images_image_v2" ;;
  *) echo "provider-schema: unknown provider '$PROVIDER' (expected hcloud or openstack)" >&2; exit 2 ;;
esac
OUT="$REPO/src/providers/$PROVIDER/schema.json"

# Only tofu and the provider are needed here (idempotent: cached tools are skipped).
"$REPO/scripts/tools.sh" tofu "$PROVIDER"
# shellcheck source=/dev/null
source "$DIR/env.sh"

# The version comes from the single pin in tools.sh.
VERSION="$(sed -n "s/^[[:space:]]*\"$PROVIDER[[:space:]]\{1,\}$NAMESPACE[[:space:]]\{1,\}\([0-9.]\{1,\}\)[[:space:]].*/\1/p" "$REPO/scripts/tools.sh" | head -n1)"
[[ -n "$VERSION" ]] || { echo "provider-schema: cannot read the $PROVIDER pin from scripts/tools.sh" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cat >"$work/main.tf.json" <<EOF
{
  "terraform": {
    "required_providers": {
      "$PROVIDER": { "source": "$NAMESPACE/$PROVIDER", "version": "= $VERSION" }
    }
  }
}
EOF

(
  cd "$work"
  tofu init -backend=false -input=false -no-color >init.log 2>&1 || { cat init.log >&2; exit 1; }
  tofu providers schema -json >schema.raw.json
)

mkdir -p "$(dirname "$OUT")"
node - "$work/schema.raw.json" "$OUT.tmp" "$NAMESPACE/$PROVIDER" "$KEEP" <<'EOF'
const fs = require("fs");
const [src, dst, address, keepList] = process.argv.slice(2);
const raw = JSON.parse(fs.readFileSync(src, "utf8"));
const schemas = raw.provider_schemas || {};
// OpenTofu reports registry.opentofu.org/..., Terraform registry.terraform.io/...
const key = [`registry.opentofu.org/${address}`, `registry.terraform.io/${address}`].find((k) => k in schemas);
if (!key) {
  console.error(`provider-schema: no ${address} provider in schema output; got: ` + Object.keys(schemas).join(", "));
  process.exit(1);
}
const keep = new Set(keepList.split(/\s+/).filter(Boolean));
const provider = schemas[key];
if (keep.size > 0) {
  for (const kind of ["resource_schemas", "data_source_schemas"]) {
    provider[kind] = Object.fromEntries(Object.entries(provider[kind] || {}).filter(([name]) => keep.has(name)));
  }
  const found = new Set([...Object.keys(provider.resource_schemas), ...Object.keys(provider.data_source_schemas)]);
  const missing = [...keep].filter((name) => !found.has(name));
  if (missing.length) {
    console.error(`provider-schema: ${address} has no ${missing.join(", ")}`);
    process.exit(1);
  }
  // Functions and ephemeral resources are not used and not generated.
  delete provider.functions;
  delete provider.ephemeral_resource_schemas;
}
const sortKeys = (v) =>
  Array.isArray(v) ? v.map(sortKeys)
  : v && typeof v === "object"
    ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])]))
    : v;
const out = {
  format_version: raw.format_version,
  provider_schemas: { [`registry.terraform.io/${address}`]: provider },
};
fs.writeFileSync(dst, JSON.stringify(sortKeys(out), null, 2) + "\n");
EOF
mv -f "$OUT.tmp" "$OUT"
echo "provider-schema: wrote $OUT ($NAMESPACE/$PROVIDER $VERSION)" >&2
