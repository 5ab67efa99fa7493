import YAML from 'yaml';
import { ENV_PLACEHOLDER_PATTERN } from '../../src/render/files';

/**
 * The integration tests' documented overlay: the one way a rendered Synapse configuration is
 * adapted to run on a test machine instead of in its pod. It may change only
 *
 * - filesystem paths under the container's mount points (`/data`, `/config`, `/secrets`), which
 *   become temporary directories;
 * - listener (`listeners`, a worker's `worker_listeners`) and database ports, which become free
 *   ports on this machine;
 * - the database host (the in-namespace Service `postgres`), which becomes 127.0.0.1;
 * - with workers: a `host` that names another in-namespace Service listed in `services` (an
 *   `instance_map` entry, `redis`), and the `port` beside it, which become where that process
 *   listens here (every pod has the same ports; on one machine each process needs its own);
 * - `@@NAME@@` environment placeholders, which are replaced from `placeholders`.
 *
 * After rewriting, it compares the result with the original leaf by leaf and throws if anything
 * else differs (a key added or removed, a changed type, any other changed value), so a test can
 * never run a different configuration from the one the kit deploys.
 */
export interface SynapseOverlay {
  /** Mount point (`/data`, `/config`, `/secrets`) -> directory on this machine. */
  readonly mounts: Readonly<Record<string, string>>;
  /** Port in the rendered file -> port to use here. */
  readonly ports: Readonly<Record<number, number>>;
  readonly databaseHost: string;
  readonly placeholders?: Readonly<Record<string, string>>;
  /** Service name -> the host here and its ports (rendered -> here), for `host`/`port` pairs. */
  readonly services?: Readonly<Record<string, ServiceHere>>;
}

export interface ServiceHere {
  readonly host: string;
  readonly ports: Readonly<Record<number, number>>;
}

export const OVERLAY_MOUNT_POINTS = ['/data', '/config', '/secrets'] as const;

type Path = readonly (string | number)[];

export function overlaySynapseConfig(rendered: string, overlay: SynapseOverlay): string {
  for (const mount of Object.keys(overlay.mounts)) {
    if (!(OVERLAY_MOUNT_POINTS as readonly string[]).includes(mount)) throw new Error(`overlay: ${mount} is not a mount point`);
  }
  const original: unknown = YAML.parse(rendered);
  const changed = rewrite(original, [], overlay);
  verify(original, changed, [], overlay);
  return YAML.stringify(changed, { lineWidth: 0 });
}

function rewrite(value: unknown, path: Path, overlay: SynapseOverlay, parent?: unknown): unknown {
  if (Array.isArray(value)) return value.map((v, i) => rewrite(v, [...path, i], overlay, value));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewrite(v, [...path, k], overlay, value)]));
  }
  const service = serviceOf(path, parent, overlay);
  if (service && path[path.length - 1] === 'host') return service.host;
  if (service && path[path.length - 1] === 'port' && typeof value === 'number') return service.ports[value] ?? value;
  if (typeof value === 'number' && isPortKey(path)) return overlay.ports[value] ?? value;
  if (typeof value === 'string' && isDatabaseHost(path)) return overlay.databaseHost;
  if (typeof value === 'string') return rewriteString(value, overlay);
  return value;
}

function rewriteString(value: string, overlay: SynapseOverlay): string {
  let result = value;
  for (const [mount, dir] of Object.entries(overlay.mounts)) {
    if (result === mount || result.startsWith(`${mount}/`)) result = dir + result.slice(mount.length);
  }
  return result.replace(ENV_PLACEHOLDER_PATTERN, (whole, name: string) => {
    const replacement = overlay.placeholders?.[name];
    if (replacement === undefined) throw new Error(`overlay: no value for placeholder ${whole}`);
    return replacement;
  });
}

/** `listeners[i].port`, `worker_listeners[i].port` and `database.args.port`. */
function isPortKey(path: Path): boolean {
  const key = path[path.length - 1];
  return key === 'port' && (((path[0] === 'listeners' || path[0] === 'worker_listeners') && path.length === 3) || path.join('.') === 'database.args.port');
}

/** The service a (rendered) object's `host` names, when the overlay lists it (the database has its own rule). */
function serviceOf(path: Path, parent: unknown, overlay: SynapseOverlay): ServiceHere | undefined {
  if (path[0] === 'database' || parent === null || typeof parent !== 'object' || Array.isArray(parent)) return undefined;
  const host = (parent as Record<string, unknown>).host;
  return typeof host === 'string' ? overlay.services?.[host] : undefined;
}

function isDatabaseHost(path: Path): boolean {
  return path.join('.') === 'database.args.host';
}

/** Throws unless every difference between `a` (rendered) and `b` (overlaid) is an allowed one. */
function verify(a: unknown, b: unknown, path: Path, overlay: SynapseOverlay, parent?: unknown): void {
  const where = path.join('.') || '(root)';
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) throw new Error(`overlay changed ${where}`);
    a.forEach((v, i) => verify(v, b[i], [...path, i], overlay, a));
    return;
  }
  if (a !== null && typeof a === 'object') {
    if (b === null || typeof b !== 'object') throw new Error(`overlay changed ${where}`);
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    if (ka.join('\0') !== kb.join('\0')) throw new Error(`overlay changed the keys of ${where}`);
    for (const k of ka) verify((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], [...path, k], overlay, a);
    return;
  }
  if (a === b) return;
  if (typeof a !== typeof b) throw new Error(`overlay changed the type of ${where}`);
  const service = serviceOf(path, parent, overlay);
  const key = path[path.length - 1];
  const allowed =
    (service !== undefined && key === 'host' && b === service.host) ||
    (service !== undefined && key === 'port' && typeof a === 'number' && service.ports[a] === b) ||
    (typeof a === 'number' && isPortKey(path) && overlay.ports[a] === b) ||
    (typeof a === 'string' && isDatabaseHost(path) && b === overlay.databaseHost) ||
    (typeof a === 'string' && !isDatabaseHost(path) && (isUnderMount(a) || new RegExp(ENV_PLACEHOLDER_PATTERN.source).test(a)) && rewriteString(a, overlay) === b);
  if (!allowed) throw new Error(`overlay changed ${where}: ${JSON.stringify(a)} -> ${JSON.stringify(b)}`);
}

function isUnderMount(value: string): boolean {
  return OVERLAY_MOUNT_POINTS.some((m) => value === m || value.startsWith(`${m}/`));
}
