/**
 * Listings in the shape pgBackRest 2.55 (`info --output=json`) and restic 0.18 (`snapshots
 * --json`) print them. The restore drill parses the real tools' output with the same functions.
 */
export const T = {
  /** A Sunday full backup and the Monday differential one (epoch seconds). */
  full: Date.parse('2026-11-29T02:00:00Z') / 1000,
  diff: Date.parse('2026-11-30T02:00:00Z') / 1000,
};

export const PGBACKREST_INFO = JSON.stringify([
  {
    archive: [{ database: { id: 1, 'repo-key': 1 }, id: '17-1', max: '00000001000000000000000B', min: '000000010000000000000003' }],
    backup: [
      {
        archive: { start: '000000010000000000000009', stop: '000000010000000000000009' },
        backrest: { format: 5, version: '2.55.1' },
        database: { id: 1, 'repo-key': 1 },
        error: false,
        info: { delta: 2_000_000, repository: { delta: 300_000, size: 4_100_000 }, size: 31_000_000 },
        label: '20261130-020000F_20261130-020001D',
        prior: '20261129-020000F',
        reference: ['20261129-020000F'],
        timestamp: { start: T.diff, stop: T.diff + 3 },
        type: 'diff',
      },
      {
        archive: { start: '000000010000000000000003', stop: '000000010000000000000003' },
        backrest: { format: 5, version: '2.55.1' },
        database: { id: 1, 'repo-key': 1 },
        error: false,
        info: { delta: 30_000_000, repository: { delta: 4_000_000, size: 4_000_000 }, size: 30_000_000 },
        label: '20261129-020000F',
        prior: null,
        reference: null,
        timestamp: { start: T.full, stop: T.full + 5 },
        type: 'full',
      },
    ],
    cipher: 'aes-256-cbc',
    db: [{ id: 1, 'repo-key': 1, 'system-id': 7445000000000000000, version: '17' }],
    name: 'matrix',
    repo: [{ cipher: 'aes-256-cbc', key: 1, status: { code: 0, message: 'ok' } }],
    status: { code: 0, lock: { backup: { held: false } }, message: 'ok' },
  },
]);

export const RESTIC_SNAPSHOTS = JSON.stringify([
  {
    time: new Date((T.diff + 1800) * 1000).toISOString(),
    tree: 'b'.repeat(64),
    paths: ['/data/keys', '/data/media/local_content', '/data/media/local_thumbnails', '/config'],
    hostname: 'ministry',
    tags: ['sovereign-matrix', 'signing-key:0123456789abcdef'],
    program_version: 'restic 0.18.0',
    summary: { total_bytes_processed: 5_100_000, data_added: 100_000 },
    id: '9a8b7c6d'.padEnd(64, '1'),
    short_id: '9a8b7c6d',
  },
  {
    time: new Date((T.full + 1800) * 1000).toISOString(),
    tree: 'a'.repeat(64),
    paths: ['/data/keys', '/data/media/local_content', '/data/media/local_thumbnails', '/config'],
    hostname: 'ministry',
    tags: ['sovereign-matrix', 'signing-key:0123456789abcdef'],
    program_version: 'restic 0.18.0',
    summary: { total_bytes_processed: 5_000_000, data_added: 5_000_000 },
    id: '4f1e2d3c'.padEnd(64, '0'),
    short_id: '4f1e2d3c',
  },
]);
