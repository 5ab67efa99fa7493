/**
 * What is in the backup repositories, from the agents' own listings: `pgbackrest info
 * --output=json` and `restic snapshots --json`. Pure functions, so the CLI's `backups`, `backup`
 * and `restore` read the same facts the same way.
 */

/** One PostgreSQL base backup (pgBackRest). */
export interface DatabaseBackup {
  readonly label: string;
  readonly type: 'full' | 'diff' | 'incr';
  /** Seconds since the epoch. */
  readonly started: number;
  readonly finished: number;
  /** Size of the database at the time (bytes). */
  readonly databaseBytes: number;
  /** What the backup stored in the repository, compressed and encrypted (bytes). */
  readonly repositoryBytes: number;
  /** pgBackRest marks a backup whose page checksums failed. */
  readonly error: boolean;
}

/** One restic snapshot of media, signing key and configuration. */
export interface FilesSnapshot {
  readonly id: string;
  readonly shortId: string;
  readonly time: number;
  readonly paths: readonly string[];
  /** Bytes read for the snapshot, and bytes it added to the repository (after deduplication). */
  readonly totalBytes?: number;
  readonly addedBytes?: number;
}

export interface Inventory {
  readonly database: {
    readonly status: string;
    readonly backups: readonly DatabaseBackup[];
    /** Oldest and newest archived WAL segment, when there is any. */
    readonly wal?: { readonly min: string; readonly max: string };
  };
  readonly files: readonly FilesSnapshot[];
}

/** Thrown when a listing is not what the pinned tool prints. */
export class InventoryFormatError extends Error {}

/** Parses `pgbackrest info --output=json` of the deployment's stanza. */
export function parsePgbackrestInfo(json: string, stanza: string): Inventory['database'] {
  const stanzas = parseJson(json, 'pgbackrest info') as any[];
  if (!Array.isArray(stanzas)) throw new InventoryFormatError('pgbackrest info did not print a list of stanzas');
  const entry = stanzas.find((s) => s?.name === stanza);
  if (!entry) return { status: `no stanza ${stanza} yet (no backup has run)`, backups: [] };
  const backups: DatabaseBackup[] = (entry.backup ?? []).map((b: any) => ({
    label: String(b.label),
    type: b.type,
    started: Number(b.timestamp?.start),
    finished: Number(b.timestamp?.stop),
    databaseBytes: Number(b.info?.size ?? 0),
    repositoryBytes: Number(b.info?.repository?.delta ?? b.info?.repository?.size ?? 0),
    error: b.error === true,
  }));
  const archives = (entry.archive ?? []).filter((a: any) => a?.min && a?.max);
  const wal = archives.length > 0 ? { min: String(archives[0].min), max: String(archives[archives.length - 1].max) } : undefined;
  return { status: String(entry.status?.message ?? 'unknown'), backups: backups.sort((a, b) => a.finished - b.finished), ...(wal ? { wal } : {}) };
}

/** Parses `restic snapshots --json`. */
export function parseResticSnapshots(json: string): FilesSnapshot[] {
  const snapshots = parseJson(json, 'restic snapshots') as any[];
  if (!Array.isArray(snapshots)) throw new InventoryFormatError('restic snapshots did not print a list');
  return snapshots
    .map((s) => ({
      id: String(s.id),
      shortId: String(s.short_id ?? String(s.id).slice(0, 8)),
      time: Date.parse(String(s.time)) / 1000,
      paths: (s.paths ?? []).map(String),
      ...(s.summary ? { totalBytes: Number(s.summary.total_bytes_processed), addedBytes: Number(s.summary.data_added) } : {}),
    }))
    .sort((a, b) => a.time - b.time);
}

function parseJson(text: string, what: string): unknown {
  // The agent logs to stderr; stdout is the tool's JSON alone.
  try {
    return JSON.parse(text);
  } catch {
    throw new InventoryFormatError(`${what} did not print JSON: ${text.slice(0, 200)}`);
  }
}

/** The newest backup that finished without error, of each kind (seconds since the epoch). */
export function newestBackups(inventory: Inventory): { database?: number; files?: number } {
  const database = inventory.database.backups.filter((b) => !b.error).at(-1)?.finished;
  const files = inventory.files.at(-1)?.time;
  return { ...(database === undefined ? {} : { database }), ...(files === undefined ? {} : { files }) };
}

/**
 * What a restore to `target` (seconds since the epoch, or 'latest') uses: PostgreSQL replays to
 * that moment from the newest base backup finished before it; files come from the newest
 * snapshot taken at or before it. Refused when no base backup is old enough.
 */
export function restorePlan(inventory: Inventory, target: number | 'latest'): { database: DatabaseBackup; files?: FilesSnapshot } | { refused: string } {
  const usable = inventory.database.backups.filter((b) => !b.error);
  const base = target === 'latest' ? usable.at(-1) : usable.filter((b) => b.finished <= target).at(-1);
  if (!base) {
    const oldest = usable[0];
    return {
      refused: oldest
        ? `no PostgreSQL backup finished before ${formatTime(target as number)}; the oldest restorable moment is ${formatTime(oldest.finished)}`
        : 'there is no PostgreSQL backup yet',
    };
  }
  const files = target === 'latest' ? inventory.files.at(-1) : inventory.files.filter((s) => s.time <= target).at(-1);
  return { database: base, ...(files ? { files } : {}) };
}

/** `2026-12-06 14:05:00Z`, the form every command prints and `restore --to` accepts. */
export function formatTime(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

/** pgBackRest's --target form: `2026-12-06 14:05:00+00`. */
export function pgbackrestTime(epochSeconds: number): string {
  return formatTime(epochSeconds).replace(/Z$/, '+00');
}

/** `3 h 5 min`, `2 d 4 h`: how long ago, for people. */
export function formatAge(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * Parses `restore --to`: `latest`, or an ISO 8601 time with a zone (`2026-12-06T14:05:00Z`,
 * `2026-12-06 14:05+01:00`). A time without a zone is refused: it would silently mean the
 * operator's local time or UTC depending on the machine.
 */
export function parseRestoreTarget(text: string, now: number): number | 'latest' | { invalid: string } {
  if (text === 'latest') return 'latest';
  const normalized = text.trim().replace(' ', 'T');
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(normalized)) {
    return { invalid: `'${text}' is not a time with a zone (expected latest, or for example 2026-12-06T14:05:00Z or "2026-12-06 15:05+01:00")` };
  }
  const ms = Date.parse(normalized);
  if (Number.isNaN(ms)) return { invalid: `'${text}' is not a valid time` };
  if (ms / 1000 > now) return { invalid: `${formatTime(ms / 1000)} is in the future (now is ${formatTime(now)})` };
  return ms / 1000;
}
