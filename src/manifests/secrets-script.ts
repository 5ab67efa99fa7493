import type { KubeSecret, SecretValue } from '../components/k8s/kube-object';
import type { DeploymentSpec } from '../config/spec';

type Generated = Exclude<SecretValue, { kind: 'literal' }>;

/** What a value is, in words, for SECRETS.md and the script's comments. */
function describe(value: SecretValue): string {
  switch (value.kind) {
    case 'password':
      return `${value.length} random letters and digits`;
    case 'hex':
      return `${value.bytes} random bytes as ${value.bytes * 2} hex characters; must never change`;
    case 'rsa-key':
      return `RSA ${value.bits}-bit private key, PEM`;
    case 'input':
      return `${value.description}, from $${value.environment}`;
    case 'literal':
      return `the fixed value \`${value.value}\``;
  }
}

/** Each generated value once, with every Secret key that holds it (a shared value is the same everywhere). */
function valuesOf(secrets: readonly KubeSecret[]): Map<string, { value: Generated; holders: string[] }> {
  const values = new Map<string, { value: Generated; holders: string[] }>();
  for (const secret of secrets) {
    for (const [key, value] of Object.entries(secret.props.data)) {
      if (value.kind === 'literal') continue;
      const entry = values.get(value.id) ?? { value, holders: [] };
      entry.holders.push(`${secret.props.namespace} ${secret.props.name} ${key}`);
      values.set(value.id, entry);
    }
  }
  return values;
}

/** SECRETS.md: the Secrets the GitOps output leaves out, their keys and where each value comes from. */
export function secretsGuide(spec: DeploymentSpec, secrets: readonly KubeSecret[]): string {
  const rows = secrets.flatMap((s) =>
    Object.entries(s.props.data).map(([key, value]) => {
      const shared = value.kind !== 'literal' && secrets.some((o) => o !== s && Object.values(o.props.data).some((v) => v.kind !== 'literal' && v.id === value.id));
      return `| ${s.props.namespace} | ${s.props.name} | ${key} | ${describe(value)}${shared ? ' (the same value as the other keys marked shared)' : ''} |`;
    }),
  );
  const inputs = [...valuesOf(secrets).values()].filter((v) => v.value.kind === 'input').map((v) => (v.value as { environment: string }).environment);
  return [
    `# Secrets of ${spec.name}`,
    '',
    'The manifests in this directory reference these Secrets but never contain them: secret values',
    'are not written to files or to git. Create them once, after the namespaces exist and before',
    'the workloads can start (their pods wait for them):',
    '',
    '```sh',
    ...(inputs.length > 0 ? inputs.map((name) => `export ${name}=...   # given by the operator`) : []),
    './create-secrets.sh --context <kubeconfig context>   # any kubectl options; KUBECTL=... picks the binary',
    '```',
    '',
    'The script generates every value with openssl on the machine it runs on and creates each',
    'missing Secret with kubectl. It never changes a Secret that exists: some values (the MAS',
    'encryption key, the signing key) must never change once the deployment has started. A value',
    'shared by several Secrets is read from the first of them that exists. To rotate a value, delete',
    'the Secrets that hold it and run the script again, then restart the pods that use them.',
    '',
    'With External Secrets, Sealed Secrets or SOPS, create the same names and keys instead:',
    '',
    '| namespace | Secret | key | value |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * create-secrets.sh: creates the deployment's missing Secrets in the cluster. Values are made in a
 * private temporary directory (mode 700, removed on exit), reach the cluster on kubectl's standard
 * input, and are never printed.
 */
export function secretsScript(spec: DeploymentSpec, secrets: readonly KubeSecret[]): string {
  const values = valuesOf(secrets);
  const makers = [...values.entries()].map(([id, { value, holders }]) => {
    const reuse = `reuse ${quote(id)} ${holders.map(quote).join(' ')}`;
    const make = (() => {
      switch (value.kind) {
        case 'password':
          return `random_password ${quote(id)} ${value.length}`;
        case 'hex':
          return `random_hex ${quote(id)} ${value.bytes}`;
        case 'rsa-key':
          return `rsa_key ${quote(id)} ${value.bits}`;
        case 'input':
          return `from_environment ${quote(id)} ${value.environment}`;
      }
    })();
    return `    ${quote(id)}) ${reuse} || ${make} ;; # ${describe(value)}`;
  });
  const creates = secrets.map((s) => {
    const entries = Object.entries(s.props.data).map(([key, value]) =>
      value.kind === 'literal' ? `${quote(key)} ${quote(`=${value.value}`)}` : `${quote(key)} ${quote(value.id)}`,
    );
    return `create_secret ${quote(s.props.namespace)} ${quote(s.props.name)} ${entries.join(' ')}`;
  });
  const labels = JSON.stringify(secrets[0]?.props.labels ?? {});
  return `#!/usr/bin/env bash
# Generated by sovereign-matrix manifests for the deployment ${spec.name}; do not edit, regenerate.
# Creates the deployment's Secrets that the manifests leave out (see SECRETS.md). Secrets that
# exist are kept as they are. Arguments are passed to every kubectl call (--context, --kubeconfig).
# Needs bash, kubectl (or $KUBECTL), openssl and base64.
set -euo pipefail

kube() { "\${KUBECTL:-kubectl}" "$@" \${KUBECTL_ARGS[@]+"\${KUBECTL_ARGS[@]}"}; }
KUBECTL_ARGS=("$@")
LABELS=${quote(labels)}

umask 077
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# present NAMESPACE NAME: whether the Secret exists (any other kubectl failure stops the script).
present() {
  local found
  found="$(kube get secret --namespace "$1" "$2" --ignore-not-found -o name)" || { echo "create-secrets: cannot read Secret $1/$2; is the cluster reachable?" >&2; exit 1; }
  [ -n "$found" ]
}

# reuse ID [NAMESPACE NAME KEY]...: copies the value from the first existing Secret that holds it.
reuse() {
  local id=$1; shift
  local holder
  for holder in "$@"; do
    set -- $holder
    if present "$1" "$2"; then
      kube get secret --namespace "$1" "$2" -o "jsonpath={.data.$3}" | base64 -d > "$work/$id"
      [ -s "$work/$id" ] && return 0
    fi
  done
  return 1
}

random_password() {
  local value=""
  while [ "\${#value}" -lt "$2" ]; do value="$value$(openssl rand -base64 96 | LC_ALL=C tr -dc 'A-Za-z0-9')"; done
  printf '%s' "\${value:0:$2}" > "$work/$1"
}

random_hex() { openssl rand -hex "$2" | tr -d '\\n' > "$work/$1"; }

rsa_key() { openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$2" -out "$work/$1" 2>/dev/null; }

from_environment() {
  if [ -z "\${!2:-}" ]; then echo "create-secrets: set $2 (see SECRETS.md)" >&2; exit 1; fi
  printf '%s' "\${!2}" > "$work/$1"
}

# value ID: makes the value once (reused from the cluster where it exists, else generated).
value() {
  [ -e "$work/$1" ] && return 0
  case "$1" in
${makers.join('\n')}
    *) echo "create-secrets: unknown value $1" >&2; exit 1 ;;
  esac
}

# create_secret NAMESPACE NAME [KEY VALUE-ID | KEY =LITERAL]...: creates the Secret unless it exists.
create_secret() {
  local namespace=$1 name=$2; shift 2
  if present "$namespace" "$name"; then echo "  kept     secret/$name in $namespace"; return 0; fi
  local data="" key id encoded
  while [ $# -gt 0 ]; do
    key=$1 id=$2; shift 2
    if [ "\${id:0:1}" = "=" ]; then
      encoded="$(printf '%s' "\${id:1}" | base64 | tr -d '\\n')"
    else
      value "$id"
      encoded="$(base64 < "$work/$id" | tr -d '\\n')"
    fi
    data="$data\${data:+,}\\"$key\\":\\"$encoded\\""
  done
  printf '{"apiVersion":"v1","kind":"Secret","type":"Opaque","metadata":{"name":"%s","namespace":"%s","labels":%s},"data":{%s}}' \\
    "$name" "$namespace" "$LABELS" "$data" | kube create -f - > /dev/null
  echo "  created  secret/$name in $namespace"
}

${creates.join('\n')}
`;
}
