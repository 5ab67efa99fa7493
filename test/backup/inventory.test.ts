import {
  formatAge,
  formatBytes,
  formatTime,
  newestBackups,
  parsePgbackrestInfo,
  parseResticSnapshots,
  parseRestoreTarget,
  pgbackrestTime,
  restorePlan,
  InventoryFormatError,
  type Inventory,
} from '../../src/backup/inventory';
import { PGBACKREST_INFO, RESTIC_SNAPSHOTS, T } from './samples';

describe('reading the agents’ listings', () => {
  it('takes the deployment’s stanza from pgbackrest info, oldest backup first, with sizes and the WAL range', () => {
    const database = parsePgbackrestInfo(PGBACKREST_INFO, 'matrix');
    expect(database.status).toBe('ok');
    expect(database.backups.map((b) => [b.label, b.type, b.finished])).toEqual([
      ['20261129-020000F', 'full', T.full + 5],
      ['20261130-020000F_20261130-020001D', 'diff', T.diff + 3],
    ]);
    expect(database.backups[0]).toMatchObject({ databaseBytes: 30_000_000, repositoryBytes: 4_000_000, error: false });
    expect(database.wal).toEqual({ min: '000000010000000000000003', max: '00000001000000000000000B' });
    expect(parsePgbackrestInfo(PGBACKREST_INFO, 'other')).toEqual({ status: 'no stanza other yet (no backup has run)', backups: [] });
  });

  it('reads restic snapshots with their summary, oldest first', () => {
    const files = parseResticSnapshots(RESTIC_SNAPSHOTS);
    expect(files.map((s) => [s.shortId, s.time, s.totalBytes, s.addedBytes])).toEqual([
      ['4f1e2d3c', T.full + 1800, 5_000_000, 5_000_000],
      ['9a8b7c6d', T.diff + 1800, 5_100_000, 100_000],
    ]);
  });

  it('refuses output that is not the tools’ JSON, naming the tool', () => {
    expect(() => parsePgbackrestInfo('ERROR: [039]: ...', 'matrix')).toThrow(InventoryFormatError);
    expect(() => parseResticSnapshots('{"not":"a list"}')).toThrow(/restic snapshots did not print a list/);
  });
});

describe('what a restore uses', () => {
  const inventory: Inventory = { database: parsePgbackrestInfo(PGBACKREST_INFO, 'matrix'), files: parseResticSnapshots(RESTIC_SNAPSHOTS) };

  it('replays from the newest base backup finished before the moment, with the newest files snapshot at or before it', () => {
    const plan = restorePlan(inventory, T.diff + 600);
    expect(plan).toMatchObject({ database: { label: '20261130-020000F_20261130-020001D' }, files: { shortId: '4f1e2d3c' } });
    expect(restorePlan(inventory, T.diff - 60)).toMatchObject({ database: { label: '20261129-020000F' }, files: { shortId: '4f1e2d3c' } });
    expect(restorePlan(inventory, 'latest')).toMatchObject({ database: { type: 'diff' }, files: { shortId: '9a8b7c6d' } });
  });

  it('refuses a moment before the oldest backup, naming the oldest restorable one', () => {
    expect(restorePlan(inventory, T.full - 60)).toEqual({ refused: `no PostgreSQL backup finished before ${formatTime(T.full - 60)}; the oldest restorable moment is ${formatTime(T.full + 5)}` });
    expect(restorePlan({ database: { status: 'ok', backups: [] }, files: [] }, 'latest')).toEqual({ refused: 'there is no PostgreSQL backup yet' });
  });

  it('knows the age of the newest backup of each kind', () => {
    expect(newestBackups(inventory)).toEqual({ database: T.diff + 3, files: T.diff + 1800 });
  });
});

describe('restore --to', () => {
  const now = T.diff + 3600;
  it('takes latest or a time with a zone, in either ISO form', () => {
    expect(parseRestoreTarget('latest', now)).toBe('latest');
    expect(parseRestoreTarget('2026-11-30T02:10:00Z', now)).toBe(Date.parse('2026-11-30T02:10:00Z') / 1000);
    expect(parseRestoreTarget('2026-11-30 03:10+01:00', now)).toBe(Date.parse('2026-11-30T02:10:00Z') / 1000);
  });

  it('refuses a time without a zone, nonsense and the future', () => {
    expect(parseRestoreTarget('2026-11-30 02:10', now)).toEqual({ invalid: expect.stringMatching(/not a time with a zone/) });
    expect(parseRestoreTarget('yesterday', now)).toEqual({ invalid: expect.stringMatching(/not a time with a zone/) });
    expect(parseRestoreTarget('2026-13-45T99:00:00Z', now)).toEqual({ invalid: expect.stringMatching(/not a valid time/) });
    expect(parseRestoreTarget('2030-01-01T00:00:00Z', now)).toEqual({ invalid: expect.stringMatching(/is in the future/) });
  });

  it('hands pgBackRest the moment in its own form, in UTC', () => {
    expect(pgbackrestTime(Date.parse('2026-11-30T02:10:00Z') / 1000)).toBe('2026-11-30 02:10:00+00');
  });
});

test('ages and sizes read as people say them', () => {
  expect([formatAge(42), formatAge(600), formatAge(3 * 3600 + 300), formatAge(2 * 86400 + 4 * 3600)]).toEqual(['42 s', '10 min', '3 h 5 min', '2 d 4 h']);
  expect([formatBytes(512), formatBytes(4_000_000), formatBytes(3 * 1024 ** 3)]).toEqual(['512 B', '3.8 MiB', '3.0 GiB']);
});
