#!/usr/bin/env bash
# scripts/provider-schema.sh — regenerate src/providers/hcloud/schema.json
# from the hcloud provider built by scripts/tools.sh, fully offline.
#
# The file is the `tofu providers schema -json` output reduced to the hcloud
# provider, keyed as registry.terraform.io/hetznercloud/hcloud (the form
# @cdktf/provider-generator expects), written with sorted keys so reruns are
# byte-identical.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
OUT="$REPO/src/providers/hcloud/schema.json"
DIR="${SOVEREIGN_MATRIX_TOOLS:-$HOME/.cache/sovereign-matrix/tools}"

# Only tofu and hcloud are needed here (idempotent: cached tools are skipped).
"$REPO/scripts/tools.sh" tofu hcloud
# shellcheck source=/dev/null
source "$DIR/env.sh"

# The hcloud version comes from the single pin in tools.sh.
HCLOUD_VERSION="$(sed -n 's/^[[:space:]]*"hcloud[[:space:]]\{1,\}hetznercloud[[:space:]]\{1,\}\([0-9.]\{1,\}\)[[:space:]].*/\1/p' "$REPO/scripts/tools.sh" | head -n1)"
[[ -n "$HCLOUD_VERSION" ]] || { echo "provider-schema: cannot read the hcloud pin from scripts/tools.sh" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cat >"$work/main.tf.json" <<EOF
{
  "terraform": {
    "required_providers": {
      "hcloud": { "source": "hetznercloud/hcloud", "version": "= $HCLOUD_VERSION" }
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
node - "$work/schema.raw.json" "$OUT.tmp" <<'EOF'
const fs = require("fs");
const [src, dst] = process.argv.slice(2);
const raw = JSON.parse(fs.readFileSync(src, "utf8"));
const schemas = raw.provider_schemas || {};
// OpenTofu reports registry.opentofu.org/..., Terraform registry.terraform.io/...
const key = ["registry.opentofu.org/hetznercloud/hcloud", "registry.terraform.io/hetznercloud/hcloud"]
  .find((k) => k in schemas);
if (!key) {
  console.error("provider-schema: no hcloud provider in schema output; got: " + Object.keys(schemas).join(", "));
  process.exit(1);
}
const sortKeys = (v) =>
  Array.isArray(v) ? v.map(sortKeys)
  : v && typeof v === "object"
    ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])]))
    : v;
const out = {
  format_version: raw.format_version,
  provider_schemas: { "registry.terraform.io/hetznercloud/hcloud": schemas[key] },
};
fs.writeFileSync(dst, JSON.stringify(sortKeys(out), null, 2) + "\n");
EOF
mv -f "$OUT.tmp" "$OUT"
echo "provider-schema: wrote $OUT (hetznercloud/hcloud $HCLOUD_VERSION)" >&2
