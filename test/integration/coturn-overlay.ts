import { ENV_PLACEHOLDER_PATTERN } from '../../src/render/files';

/**
 * The documented overlay between a rendered turnserver.conf and the file the integration test
 * boots coturn with. It may only
 *  - substitute @@NAME@@ placeholders, as the container entrypoint does (from `env`);
 *  - move filesystem paths (`paths`: option name -> new value), e.g. the certificate;
 *  - move ports (`ports`: option name -> new value).
 * `applyCoturnOverlay` then proves that nothing else changed: same lines, same options in the
 * same order, and every other value identical once the placeholders are substituted.
 */
export interface CoturnOverlay {
  readonly env: Readonly<Record<string, string>>;
  readonly paths?: Readonly<Record<string, string>>;
  readonly ports?: Readonly<Record<string, string>>;
}

/** Options whose value is a filesystem path, and options whose value is a port. */
const PATH_OPTIONS = new Set(['cert', 'pkey', 'dh-file', 'CA-file', 'log-file', 'pidfile', 'userdb']);
const PORT_OPTIONS = new Set(['listening-port', 'tls-listening-port', 'alt-listening-port', 'alt-tls-listening-port']);

function substitute(text: string, env: Readonly<Record<string, string>>): string {
  return text.replace(ENV_PLACEHOLDER_PATTERN, (_, name: string) => {
    const value = env[name];
    if (value === undefined) throw new Error(`overlay: no value for placeholder @@${name}@@`);
    return value;
  });
}

function splitOption(line: string): { key: string; value?: string } {
  const match = /^([^=\s]+)(?:=(.*))?$/.exec(line);
  if (!match) throw new Error(`overlay: not an option line: ${line}`);
  return { key: match[1], value: match[2] };
}

export function applyCoturnOverlay(rendered: string, overlay: CoturnOverlay): string {
  const moves: Record<string, string> = {};
  for (const [key, value] of Object.entries(overlay.paths ?? {})) {
    if (!PATH_OPTIONS.has(key)) throw new Error(`overlay: ${key} is not a path option`);
    moves[key] = value;
  }
  for (const [key, value] of Object.entries(overlay.ports ?? {})) {
    if (!PORT_OPTIONS.has(key) || !/^\d+$/.test(value)) throw new Error(`overlay: ${key}=${value} is not a port`);
    moves[key] = value;
  }
  const used = new Set<string>();
  const lines = rendered.split('\n').map((line) => {
    if (line === '' || line.startsWith('#')) return line;
    const { key, value } = splitOption(line);
    if (key in moves) {
      if (value === undefined) throw new Error(`overlay: ${key} has no value to move`);
      used.add(key);
      return `${key}=${moves[key]}`;
    }
    return substitute(line, overlay.env);
  });
  const unused = Object.keys(moves).filter((key) => !used.has(key));
  if (unused.length > 0) throw new Error(`overlay: options not in the rendered file: ${unused.join(', ')}`);
  const result = lines.join('\n');
  assertOnlyOverlayChanges(rendered, result, overlay);
  return result;
}

/** Throws unless `booted` differs from `rendered` only as the overlay allows. */
export function assertOnlyOverlayChanges(rendered: string, booted: string, overlay: CoturnOverlay): void {
  const a = rendered.split('\n');
  const b = booted.split('\n');
  if (a.length !== b.length) throw new Error(`overlay changed the number of lines (${a.length} -> ${b.length})`);
  a.forEach((line, i) => {
    if (line === b[i]) return;
    if (line === '' || line.startsWith('#')) throw new Error(`overlay changed line ${i + 1}: ${line}`);
    const before = splitOption(line);
    const after = splitOption(b[i]);
    if (before.key !== after.key) throw new Error(`overlay changed option ${before.key} to ${after.key} (line ${i + 1})`);
    const moved = overlay.paths?.[before.key] ?? overlay.ports?.[before.key];
    if (moved !== undefined && after.value === moved) return;
    if (before.value !== undefined && substitute(before.value, overlay.env) === after.value) return;
    throw new Error(`overlay changed ${before.key} beyond placeholders, paths and ports (line ${i + 1})`);
  });
}
