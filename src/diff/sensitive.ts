/**
 * Masking of sensitive values in diff output. Every value the diff prints (terminal, Markdown,
 * JSON) goes through this module first; the rule is "when in doubt, mask".
 *
 * Masked:
 * - any value under a key that looks like a secret (SECRET_KEY_PATTERNS), unless the key only
 *   names where a secret lives (REFERENCE_KEY_SUFFIXES: `*_path`, `*_env`, ...) or the value is
 *   only `@@NAME@@` placeholders or a plain Terraform reference (`${tls_private_key.x.private_key_pem}`,
 *   also base64-encoded as a Secret's data takes it), which name a secret without containing it;
 * - the value of a Terraform output or the default of a variable marked `sensitive` (done by the
 *   stack diff, which knows the block);
 * - any string containing a PEM private key block, whatever its key.
 */

/** What a masked value is printed as. */
export const MASK = '(sensitive)';

/**
 * Key names that hold secrets. Matched against the whole key, case-insensitively, with `-` and `.`
 * read as `_` (coturn's `static-auth-secret`, Synapse's `macaroon_secret_key`, MAS's
 * `client_secret`, Terraform's `private_key_pem`, `kube_client_key`) and camelCase words split by
 * `_` (Kubernetes' `secretKeyRef` is `secret_key_ref`, which names a Secret; `clientSecret` is one).
 */
const SECRET_KEY_PATTERNS: readonly RegExp[] = [
  /password|passwd|passphrase/,
  /secret/,
  /token/,
  /private_?key/,
  /key_pem|pem_key/,
  /(^|_)(api|access|client|auth|signing|encryption|master|session)_?key($|_)/,
  /(^|_)credentials?($|_)/,
  /(^|_)psk($|_)/,
  /(^|_)pass($|_)/,
  /(^|_)dsn($|_)/,
];

/** Suffixes of keys that name where a secret is (a file, an environment variable), not the secret. */
const REFERENCE_KEY_SUFFIXES: readonly string[] = ['_path', '_file', '_env', '_name', '_id', '_ref', '_variable'];

/** `@@NAME@@`: filled in where the program runs; fine to show (see src/render/files.ts). */
const PLACEHOLDERS_ONLY = /^(?:@@[A-Z][A-Z0-9_]*@@)+$/;
/** A bare Terraform reference such as `${tls_private_key.ca.private_key_pem}` or `${var.x}`. */
const PLAIN_REFERENCE = /^\$\{[A-Za-z_][A-Za-z0-9_.\-[\]"]*\}$/;
/** The same reference base64-encoded, as a Kubernetes Secret's `data` takes it: `${base64encode(random_password.x.result)}`. */
const ENCODED_REFERENCE = /^\$\{base64encode\([A-Za-z_][A-Za-z0-9_.\-[\]"]*\)\}$/;
const PEM_PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;

/** True when values under this key are secrets. */
export function isSecretKey(key: string): boolean {
  const k = key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[-.\s]/g, '_');
  if (REFERENCE_KEY_SUFFIXES.some((suffix) => k.endsWith(suffix))) return false;
  return SECRET_KEY_PATTERNS.some((pattern) => pattern.test(k));
}

/** True when a value under a secret key may still be shown: it names a secret, it is not one. */
export function isSafeSecretValue(value: unknown): boolean {
  if (value === null || typeof value === 'boolean' || value === undefined) return true;
  if (typeof value !== 'string') return false;
  return value === '' || PLACEHOLDERS_ONLY.test(value) || PLAIN_REFERENCE.test(value) || ENCODED_REFERENCE.test(value);
}

/** True when a string carries key material whatever key it sits under. */
export function containsSecretMaterial(value: string): boolean {
  return PEM_PRIVATE_KEY.test(value);
}

/**
 * A JSON value with every secret masked: values under secret keys (at any depth below `key`)
 * and strings carrying private keys. `key` is the name the value sits under, if any.
 */
export function maskJson(value: unknown, key?: string): unknown {
  if (key !== undefined && isSecretKey(key) && !isSafeSecretValue(value)) {
    if (Array.isArray(value)) return value.map((item) => (isSafeSecretValue(item) ? item : MASK));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, isSafeSecretValue(v) ? v : MASK]));
    }
    return MASK;
  }
  if (typeof value === 'string') return maskString(value);
  if (Array.isArray(value)) return value.map((item) => maskJson(item));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskJson(v, k)]));
  }
  return value;
}

/**
 * A string with secrets masked: one carrying a private key entirely; one holding a configuration
 * file (a ConfigMap's homeserver.yaml, cloud-init) line by line, like a rendered file.
 */
export function maskString(value: string): string {
  if (containsSecretMaterial(value)) return MASK;
  if (!/[:=]/.test(value) && !value.includes('\n')) return value;
  return maskTextLines(value).join('\n');
}

/** True when any segment of an attribute path (`a.b[0].client_secret`) names a secret. */
export function isSecretPath(path: string): boolean {
  return path
    .split(/[.[\]"]+/)
    .filter((segment) => segment !== '' && !/^\d+$/.test(segment))
    .some(isSecretKey);
}

/**
 * `key: value`, `key=value` and `"key": "value"` pairs inside one line of a YAML, JSON or INI
 * file. Group 1 is the key, 2 the separator, 3 the value.
 */
const KEY_VALUE = /["']?([A-Za-z0-9_][A-Za-z0-9_.-]*)["']?(\s*[:=]\s*)("(?:[^"\\]|\\.)*"|'[^']*'|[^\s,{}[\]#][^\s,}\]#]*)/g;
/** `key value` as a whole line (turnserver.conf also accepts this form). */
const SPACE_SEPARATED = /^(\s*)([A-Za-z0-9_][A-Za-z0-9_.-]*)(\s+)(\S+)\s*$/;
/** `key: |` or `key: >-`: a YAML block scalar whose following, deeper-indented lines are its value. */
const BLOCK_SCALAR = /^(\s*)(?:-\s+)?["']?([A-Za-z0-9_][A-Za-z0-9_.-]*)["']?\s*:\s*[|>][+-]?\d*\s*$/;

/**
 * The lines of a rendered text file with secrets masked, line for line (the result has exactly
 * as many lines, so line numbers of a diff computed on the original text still apply).
 */
export function maskTextLines(text: string): string[] {
  const lines = text.split('\n');
  const masked: string[] = [];
  let blockIndent: number | undefined;
  let inPem = false;
  for (const line of lines) {
    const indent = line.length - line.trimStart().length;
    if (blockIndent !== undefined) {
      if (line.trim() === '' || indent > blockIndent) {
        masked.push(line.trim() === '' ? line : `${line.slice(0, indent)}${MASK}`);
        continue;
      }
      blockIndent = undefined;
    }
    if (inPem) {
      masked.push(`${line.slice(0, indent)}${MASK}`);
      if (/-----END [A-Z0-9 ]*PRIVATE KEY-----/.test(line)) inPem = false;
      continue;
    }
    if (PEM_PRIVATE_KEY.test(line)) {
      masked.push(`${line.slice(0, indent)}${MASK}`);
      inPem = !/-----END [A-Z0-9 ]*PRIVATE KEY-----/.test(line);
      continue;
    }
    const block = BLOCK_SCALAR.exec(line);
    if (block && isSecretKey(block[2])) {
      blockIndent = block[1].length;
      masked.push(line);
      continue;
    }
    masked.push(maskLine(line));
  }
  return masked;
}

function maskLine(line: string): string {
  // Comments are prose; a key-looking word in them is not a setting.
  if (/^\s*(#|--|\/\/|;)/.test(line)) return line;
  const spaced = SPACE_SEPARATED.exec(line);
  if (spaced && isSecretKey(spaced[2]) && !isSafeSecretValue(spaced[4]) && !/[:=]/.test(spaced[2])) {
    return `${spaced[1]}${spaced[2]}${spaced[3]}${MASK}`;
  }
  return line.replace(KEY_VALUE, (match, key: string, separator: string, value: string) => {
    if (!isSecretKey(key)) {
      // A quoted value may itself hold configuration (JSON-encoded file content in cloud-init):
      // mask inside it too, line by line across its escaped newlines.
      if (!/^["']/.test(value) || value.length < 3) return match;
      const inner = value.slice(1, -1).split('\\n').map(maskLine).join('\\n');
      return `${match.slice(0, match.length - value.length)}${value[0]}${inner}${value[value.length - 1]}`;
    }
    const bare = value.replace(/^["']|["']$/g, '');
    if (isSafeSecretValue(bare) || /^(true|false|null|~|\||>)$/.test(bare)) return match;
    const quote = /^["']/.test(value) ? value[0] : '';
    return match.slice(0, match.length - value.length - separator.length) + separator + `${quote}${MASK}${quote}`;
  });
}

const isPlainObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** Every leaf masked (keys and structure stay), except values that only name a secret. */
export function maskAll(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskAll);
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskAll(v)]));
  return isSafeSecretValue(value) ? value : MASK;
}

/**
 * A Kubernetes API object (a `kubernetes_manifest`'s `manifest`) with its secrets masked; the
 * shape stays, a masked subtree keeps its keys and shows MASK at each leaf:
 * - a Secret's `data` and `stringData`: every value, whatever its key; only a Terraform reference
 *   (`${base64encode(random_password.x.result)}`, the kit's form) is shown, it names the secret;
 * - an environment variable `{ name, value }` whose name looks like a secret (`POSTGRES_PASSWORD`):
 *   its value;
 * - values under secret-looking keys, private keys and configuration text, as maskJson does;
 *   except that a field named `secret` is the API's reference to a Secret (a volume or projection
 *   source: `secret.secretName`), not a secret itself.
 */
export function maskManifest(manifest: unknown): unknown {
  if (!isPlainObject(manifest)) return maskKubeValue(manifest);
  const isSecret = manifest.kind === 'Secret';
  return Object.fromEntries(
    Object.entries(manifest).map(([key, value]) => [key, isSecret && (key === 'data' || key === 'stringData') ? maskAll(value) : maskKubeValue(value, key)]),
  );
}

function maskKubeValue(value: unknown, key?: string): unknown {
  if (key !== undefined && key !== 'secret' && isSecretKey(key) && !isSafeSecretValue(value)) return maskAll(value);
  if (typeof value === 'string') return maskString(value);
  if (Array.isArray(value)) return value.map((item) => maskKubeValue(item));
  if (isPlainObject(value)) {
    const secretVariable = typeof value.name === 'string' && 'value' in value && isSecretKey(value.name);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, secretVariable && k === 'value' ? maskAll(v) : maskKubeValue(v, k)]));
  }
  return value;
}
