/**
 * The backup files (src/render/backup.ts): pgbackrest.conf and backup.env from the deployment's
 * backup settings, PostgreSQL's archive settings, and the credentials, which only ever arrive as
 * environment variables. The agent scripts are checked in template-files.test.ts and, running, in
 * the restore drill (test/integration/backup-drill.test.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DeploymentSpec } from '../../src/config/spec';
import { renderAll } from '../../src/render';
import {
  BACKUP_CREDENTIAL_ENV,
  BACKUP_FILES,
  BACKUP_PATHS,
  BACKUP_SECRET_ENV,
  PGBACKREST_STANZA,
  postgresArchiveSettings,
  renderBackup,
  resticRepository,
} from '../../src/render/backup';
import { CUSTOM_BACKUP_YAML } from '../helpers';
import { specWith } from './fixtures';

const BACKUP_YAML = `${CUSTOM_BACKUP_YAML}  passphrase_env: MINISTRY_BACKUP_PASSPHRASE\n`;

const fileOf = (spec: DeploymentSpec, name: string): string => {
  const file = renderBackup(spec).find((f) => f.path === `backup/${name}`);
  if (!file) throw new Error(`no backup/${name}`);
  return file.content;
};

/** key=value lines, as pgBackRest and the agent read them. */
const keyValues = (text: string): Record<string, string> =>
  Object.fromEntries(text.split('\n').filter((l) => /^[A-Za-z0-9_-]+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

describe('the backup files', () => {
  it('renders the six files of the backup ConfigMap, and none when backups are off', () => {
    expect(renderBackup(specWith()).map((f) => f.path)).toEqual(Object.values(BACKUP_FILES).map((name) => `backup/${name}`));
    expect(renderBackup(specWith('backup:\n  enabled: false\n'))).toEqual([]);
  });
});

describe('pgbackrest.conf', () => {
  it('takes the repository from the spec: endpoint host and port, bucket, region and path under the key prefix', () => {
    const conf = keyValues(fileOf(specWith(BACKUP_YAML), BACKUP_FILES.pgbackrestConf));
    expect(conf).toMatchObject({
      'repo1-type': 's3',
      'repo1-s3-endpoint': 's3.storage.example.eu',
      'repo1-storage-port': '9443',
      'repo1-s3-bucket': 'ministry-vault',
      'repo1-s3-region': 'nbg1',
      'repo1-s3-uri-style': 'path',
      'repo1-path': '/agency/ministry/postgres',
    });
  });

  it('encrypts with aes-256-cbc and keeps the weekly full backups and the daily differential ones of the spec', () => {
    const conf = keyValues(fileOf(specWith(BACKUP_YAML), BACKUP_FILES.pgbackrestConf));
    expect(conf['repo1-cipher-type']).toBe('aes-256-cbc');
    expect(conf['repo1-retention-full-type']).toBe('count');
    expect(conf['repo1-retention-full']).toBe('5');
    expect(conf['repo1-retention-diff']).toBe('10');
    // WAL is kept for the full backups that cover the last `daily` days: ceil(10 / 7) + 1.
    expect(conf['repo1-retention-archive-type']).toBe('full');
    expect(conf['repo1-retention-archive']).toBe('3');
  });

  it('defaults to Hetzner Object Storage in the server’s location, without a port, under sovereign-matrix/<name>', () => {
    const text = fileOf(specWith(), BACKUP_FILES.pgbackrestConf);
    const conf = keyValues(text);
    expect(conf).toMatchObject({
      'repo1-s3-endpoint': 'fsn1.your-objectstorage.com',
      'repo1-s3-bucket': 'ministry-backups',
      'repo1-s3-region': 'fsn1',
      'repo1-path': '/sovereign-matrix/ministry/postgres',
      'repo1-retention-full': '8',
      'repo1-retention-diff': '14',
    });
    expect(conf['repo1-storage-port']).toBeUndefined();
  });

  it('names the stanza and the PostgreSQL data and socket paths the pods mount', () => {
    const text = fileOf(specWith(), BACKUP_FILES.pgbackrestConf);
    expect(text).toContain(`\n[${PGBACKREST_STANZA}]\npg1-path=${BACKUP_PATHS.pgdata}\npg1-socket-path=${BACKUP_PATHS.postgresSocket}\n`);
  });
});

describe('backup.env', () => {
  it('has the schedule, the full backup weekday, the restic repository and retention of the spec', () => {
    const spec = specWith(BACKUP_YAML);
    const env = keyValues(fileOf(spec, BACKUP_FILES.settings));
    expect(env).toEqual({
      BACKUP_TIME_UTC: '01:15',
      BACKUP_FULL_DAY: '3',
      PGBACKREST_STANZA,
      RESTIC_REPOSITORY: 's3:https://s3.storage.example.eu:9443/ministry-vault/agency/ministry/files',
      AWS_DEFAULT_REGION: 'nbg1',
      RESTIC_HOST: 'ministry',
      RESTIC_KEEP_DAILY: '10',
      RESTIC_KEEP_WEEKLY: '5',
      RESTIC_KEEP_MONTHLY: '7',
    });
    if (!spec.backup.enabled) throw new Error('backups are on');
    expect(env.RESTIC_REPOSITORY).toBe(resticRepository(spec.backup.s3));
  });

  it('numbers the full backup day as ISO weekdays (Monday 1, Sunday 7)', () => {
    const day = (name: string) => keyValues(fileOf(specWith(`backup:\n  full_backup_day: ${name}\n`), BACKUP_FILES.settings)).BACKUP_FULL_DAY;
    expect([day('monday'), day('sunday')]).toEqual(['1', '7']);
  });
});

describe('PostgreSQL archive settings', () => {
  it('archives every WAL segment through wal-spool.sh in the config directory, at least once a minute', () => {
    expect(postgresArchiveSettings()).toEqual({
      wal_level: 'replica',
      archive_mode: 'on',
      archive_command: `sh ${BACKUP_PATHS.config}/${BACKUP_FILES.walSpool} %p %f # then pgbackrest archive-push, by the backup agent`,
      archive_timeout: '60',
    });
    expect(postgresArchiveSettings('/elsewhere').archive_command).toMatch(/^sh \/elsewhere\/wal-spool\.sh %p %f /);
  });

  it('names pgbackrest in archive_command, which pgBackRest checks before every backup', () => {
    expect(postgresArchiveSettings().archive_command).toContain('pgbackrest');
  });
});

describe('credentials', () => {
  it('come from the operator’s environment variables the deployment file’s schema documents', () => {
    expect(BACKUP_CREDENTIAL_ENV).toEqual({ accessKeyId: 'SOVEREIGN_MATRIX_BACKUP_ACCESS_KEY_ID', secretAccessKey: 'SOVEREIGN_MATRIX_BACKUP_SECRET_ACCESS_KEY' });
    const schema = JSON.parse(readFileSync(join(__dirname, '..', '..', 'src', 'config', 'deployment.schema.json'), 'utf8'));
    for (const name of Object.values(BACKUP_CREDENTIAL_ENV)) expect(schema.properties.backup.description).toContain(name);
  });

  it('reach both agents from the same three keys of the Secret, as the variables pgBackRest and restic read', () => {
    expect(BACKUP_SECRET_ENV.postgres).toEqual({ PGBACKREST_REPO1_S3_KEY: 'access-key-id', PGBACKREST_REPO1_S3_KEY_SECRET: 'secret-access-key', PGBACKREST_REPO1_CIPHER_PASS: 'passphrase' });
    expect(BACKUP_SECRET_ENV.files).toEqual({ AWS_ACCESS_KEY_ID: 'access-key-id', AWS_SECRET_ACCESS_KEY: 'secret-access-key', RESTIC_PASSWORD: 'passphrase' });
    // pgbackrest.conf says where they come from, and sets none of them itself.
    const text = fileOf(specWith(), BACKUP_FILES.pgbackrestConf);
    for (const name of Object.keys(BACKUP_SECRET_ENV.postgres)) expect(text).toContain(name);
    expect(text).not.toMatch(/^repo1-(s3-key|s3-key-secret|cipher-pass)=/m);
    const env = fileOf(specWith(), BACKUP_FILES.settings);
    for (const name of [...Object.keys(BACKUP_SECRET_ENV.files), ...Object.keys(BACKUP_SECRET_ENV.postgres)]) expect(env).not.toMatch(new RegExp(`^${name}=`, 'm'));
  });

  it('never reach a rendered file, even when they are set while rendering', () => {
    const values = {
      [BACKUP_CREDENTIAL_ENV.accessKeyId]: 'AKIATESTONLY0000SENTINEL',
      [BACKUP_CREDENTIAL_ENV.secretAccessKey]: 'secret-sentinel-9f2c1e7a',
      MINISTRY_BACKUP_PASSPHRASE: 'passphrase-sentinel-41d0b8',
    };
    const saved = Object.fromEntries(Object.keys(values).map((k) => [k, process.env[k]]));
    Object.assign(process.env, values);
    try {
      const files = renderAll(specWith(BACKUP_YAML));
      expect(files.filter((f) => f.path.startsWith('backup/'))).toHaveLength(6);
      for (const file of files) for (const value of Object.values(values)) expect({ path: file.path, leaks: file.content.includes(value) }).toEqual({ path: file.path, leaks: false });
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});
