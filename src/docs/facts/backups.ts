import { renderedFromJson, resourcesOf, type Synthesized } from '../read-back';

/**
 * The restore drill's figures (test/integration/backup-drill.test.ts prints them on every run):
 * what a reviewer can expect of a restore, measured with the real tools on a 2-core machine.
 */
export const MEASURED_RESTORE = {
  date: '2026-12-06',
  /** Start of the restore to Synapse answering again (pgBackRest 4 s, restic 1 s, replay and promotion 6 s, Synapse 1.5 s). */
  rtoSeconds: 12.4,
  /** A commit on a quiet server until its WAL was in the bucket (archive_timeout 60 s bounds it). */
  rpoSeconds: 55,
  note: 'a small database (4.7 MB per full backup in the bucket); the restore time grows with the database size and with the write-ahead log replayed since the base backup',
} as const;

/** key=value lines of a rendered settings file (backup.env, pgbackrest.conf). */
function keyValues(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z0-9_-]+)=(.*)$/.exec(line);
    if (match) values[match[1]] = match[2];
  }
  return values;
}

/** Where the backups are, from the rendered pgBackRest configuration; undefined when backups are off. */
export function backupBucket(synth: Synthesized): { endpoint: string; bucket: string; region: string; prefix: string } | undefined {
  const text = renderedFromJson(synth, 'backup', 'pgbackrest.conf');
  if (text === undefined) return undefined;
  const pg = keyValues(text);
  const endpoint = `https://${pg['repo1-s3-endpoint']}${pg['repo1-storage-port'] ? `:${pg['repo1-storage-port']}` : ''}`;
  return { endpoint, bucket: pg['repo1-s3-bucket'], region: pg['repo1-s3-region'], prefix: pg['repo1-path'].replace(/\/postgres$/, '') };
}

/** One line for the data residency section. */
export function backupResidency(synth: Synthesized): string {
  const bucket = backupBucket(synth);
  if (!bucket) return '**Backups:** OFF for this deployment (`backup.enabled: false`): no copy of the data exists outside the cluster.';
  return `**Backups:** encrypted inside the cluster, then stored in the S3 bucket \`${bucket.bucket}\` at ${bucket.endpoint} (region \`${bucket.region}\`; the kit refuses regions outside the EU), under \`${bucket.prefix}\` (see Backup and restore).`;
}

const WEEKDAYS = ['', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

/**
 * The backup section of the reference architecture, read back from the synthesized backup
 * ConfigMap (what the agents will actually run), never from the deployment file.
 */
export function backupFacts(synth: Synthesized): string[] {
  const settingsText = renderedFromJson(synth, 'backup', 'backup.env');
  const pgbackrestText = renderedFromJson(synth, 'backup', 'pgbackrest.conf');
  const facts: string[] = [];
  if (settingsText === undefined || pgbackrestText === undefined) {
    facts.push(
      '**Backups are OFF for this deployment** (`backup.enabled: false` in the deployment file): nothing is copied off the cluster, and a lost volume loses every message, account and file. Not for production.',
    );
  } else {
    const s = keyValues(settingsText);
    const pg = keyValues(pgbackrestText);
    const endpoint = `https://${pg['repo1-s3-endpoint']}${pg['repo1-storage-port'] ? `:${pg['repo1-storage-port']}` : ''}`;
    facts.push(
      `Where: the S3-compatible bucket \`${pg['repo1-s3-bucket']}\` at ${endpoint} (region \`${pg['repo1-s3-region']}\`, an EU location: the deployment file refuses others); PostgreSQL under \`${pg['repo1-path']}\`, files in the restic repository \`${s.RESTIC_REPOSITORY}\`. Credentials come from the operator’s environment at deploy time into the Secret \`backup-credentials\`; use a key for this bucket only.`,
      `PostgreSQL (every database of the deployment in one cluster: Synapse, MAS${synth.spec.identity.mode === 'keycloak' ? ', Keycloak' : ''}) by pgBackRest: the write-ahead log is archived continuously and at least once a minute (archive_timeout 60 s), plus a base backup every day at ${s.BACKUP_TIME_UTC} UTC, full on ${WEEKDAYS[Number(s.BACKUP_FULL_DAY)]} and differential otherwise. Point-in-time recovery to any moment of the last ${pg['repo1-retention-diff']} days; ${pg['repo1-retention-full']} weekly full backups are kept (older ones restore to their own end).`,
      `Media (local_content, local_thumbnails), the Synapse signing key and the rendered configuration by restic, at the same time each day, deduplicated; kept: ${s.RESTIC_KEEP_DAILY} daily, ${s.RESTIC_KEEP_WEEKLY} weekly and ${s.RESTIC_KEEP_MONTHLY} monthly snapshots. Remote-media and URL-preview caches are left out, as Synapse’s backup guide says: they are fetched again.`,
      `Encryption happens in the cluster, before anything leaves it: pgBackRest with ${pg['repo1-cipher-type']}, restic with AES-256 and Poly1305, both keyed from the passphrase of the Secret \`backup-credentials\` (from the operator’s environment variable named by \`backup.passphrase_env\`). The bucket’s operator sees only ciphertext. Keep the passphrase outside the cluster: without it no backup can be read, and it cannot be changed for an existing repository.`,
      'Where the agents run: a sidecar beside PostgreSQL (pgBackRest; PostgreSQL’s archive_command hands each segment over on the data volume, fsynced first) and one beside Synapse (restic), under the namespace’s `restricted` Pod Security level, with egress only to the bucket’s port on public addresses.',
      'Restore: `sovereign-matrix restore FILE --to TIME|latest` (asks for confirmation) stops Synapse, MAS and Keycloak, restores PostgreSQL to that moment and the newest media snapshot taken before it, drops one-time keys (Synapse’s backup guide), and starts everything again; nothing is restored onto existing tables. `sovereign-matrix backup FILE` takes a backup now, `sovereign-matrix backups FILE` lists them with age and size.',
    );
    if (MEASURED_RESTORE.rtoSeconds > 0) {
      facts.push(
        `Measured in the restore drill (${MEASURED_RESTORE.date}; real PostgreSQL, Synapse, pgBackRest, restic and an S3 store on 2 cores): recovery time ${MEASURED_RESTORE.rtoSeconds} s from the start of the restore to Synapse answering; recovery point: a commit reached the bucket ${MEASURED_RESTORE.rpoSeconds} s later on a quiet server, so at most about a minute of data is lost with the volume; ${MEASURED_RESTORE.note}.`,
      );
    }
  }
  const volume = resourcesOf(synth, 'hcloud_volume')[0];
  if (volume) {
    facts.push(
      `On the node, PostgreSQL data, media and the k3s cluster state live on the data volume \`${String(volume.body.name)}\` (${String(volume.body.size)} GiB), which has delete protection (${String(volume.body.delete_protection)}) and survives a server rebuild.`,
    );
  }
  return facts;
}
