/**
 * The restore drill (issue #15): backups are only as good as a restore that has been done. Real
 * programs all the way: PostgreSQL 17 and pgBackRest 2.55.1 and restic 0.18.0 from Debian trixie
 * (scripts/integration/postgres.sh), the pinned Synapse from PyPI (scripts/integration/synapse.sh),
 * and an S3 store over TLS (versitygw with its POSIX backend, test/integration/object-store.ts).
 * The backup agent, its WAL scripts and pgBackRest's configuration are exactly the files the kit
 * renders for the deployment (backup/*), run with the agent's own commands.
 *
 *   1. A deployment whose backup bucket is the local store; renderAll -> backup/*, synapse/*,
 *      postgres/*.
 *   2. PostgreSQL with postgresArchiveSettings (archive_command = the rendered wal-spool.sh), the
 *      rendered init SQL for Synapse's and MAS's databases, a marker row in MAS's database.
 *   3. The real Synapse on it; the agent loop (`backup-agent.sh postgres run`) creates the stanza,
 *      pushes WAL and takes the first backup right away.
 *   4. Users, a room, messages, a media upload and one-time keys through the client API; the files
 *      agent (`backup-agent.sh files backup`) snapshots media, signing key and configuration.
 *   5. Message A; time T; message B. RPO is measured as commit -> its WAL segment in the bucket.
 *   6. Disaster: Synapse and PostgreSQL stopped, PostgreSQL's whole volume (PGDATA, spool, agent
 *      state), the media store and the signing key deleted.
 *   7. Restore to T with `backup-agent.sh postgres restore` and `files restore latest`; PostgreSQL
 *      recovers through the rendered wal-fetch.sh (served by the agent loop) and is promoted;
 *      after-restore.sql; Synapse boots again. RTO: restore start -> Synapse healthy.
 *   8. Checks: same signing key, both users log in, messages up to A and not B, media identical,
 *      MAS rows up to T, no one-time keys, no plaintext in the bucket, a wrong passphrase restores
 *      nothing, and the restored cluster is backed up again on its new timeline.
 *
 * What differs from production, and why:
 *  - Paths and ports. The rendered files are used verbatim; the agent's paths move to this
 *    machine through its own BACKUP_* variables, and pgBackRest's pg1-path, pg1-socket-path,
 *    pg1-port, lock-path and the store's CA (repo1-storage-ca-file) through pgBackRest's own
 *    PGBACKREST_* variables (environment overrides the configuration file). restic trusts the CA
 *    through SSL_CERT_FILE. Synapse gets the documented overlay (./overlay.ts). No other setting
 *    changes: schedule, retention, encryption, compression, repository paths are the rendered ones.
 *  - Login: Synapse keeps its own password accounts instead of MAS (see passwordLoginInsteadOfMas
 *    in ./backup-drill-matrix.ts). The MAS database still exists and is backed up and checked.
 *  - The files agent runs as root (Synapse runs as root here too); the PostgreSQL agent as the
 *    `postgres` user that owns PGDATA, as in the pod.
 */
import { execFileSync, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseDeployment } from '../../src/config/load';
import type { DeploymentSpec } from '../../src/config/spec';
import { PORTS } from '../../src/ports';
import { renderAll } from '../../src/render';
import { BACKUP_FILES, BACKUP_SECRET_ENV, PGBACKREST_STANZA, postgresArchiveSettings } from '../../src/render/backup';
import { MAS_DATABASE } from '../../src/render/mas';
import { MAS_PASSWORD_VARIABLE, SYNAPSE_PASSWORD_VARIABLE } from '../../src/render/postgres';
import { SYNAPSE_DATABASE, SYNAPSE_SECRET_FILES } from '../../src/render/synapse';
import { SYNAPSE_REPLICATION_SECRET_FILE } from '../../src/render/synapse-workers';
import { SYNAPSE_TURN_SECRET_PATH } from '../../src/render/turn';
import { parsePgbackrestInfo, parseResticSnapshots, parseRestoreTarget, pgbackrestTime, restorePlan } from '../../src/backup/inventory';
import { BACKUP_TOOL_VERSIONS } from '../../src/versions';
import { backupTools } from './backup-tools';
import { drillPostgres, type DrillPostgres } from './backup-drill-postgres';
import { MatrixClient, passwordLoginInsteadOfMas, sleep, startSynapse } from './backup-drill-matrix';
import { objectStoreUnavailable, startObjectStore, type ObjectStore } from './object-store';
import { overlaySynapseConfig } from './overlay';
import { freePort, tail } from './postgres';
import { stopProcessGroup } from './process-group';
import { ensureTools } from './tools';

const REPO = join(__dirname, '..', '..');
const BUCKET = 'ministry-backups';
const BOOT_TIMEOUT_MS = 180_000;

const metrics: string[] = [];
const note = (line: string) => metrics.push(line);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

let root = '';
let python = '';
let store: ObjectStore | undefined;
let spec: DeploymentSpec;
let rendered: Map<string, string>;
let backupDir = '';
let pg: DrillPostgres | undefined;
let agent: ChildProcess | undefined;
let agentLog = '';
let synapse: ChildProcess | undefined;
let serverVersion = '?';
const passphrase = randomBytes(24).toString('base64url');
const sharedSecret = randomBytes(24).toString('hex');
const dbPasswords = { synapse: randomBytes(24).toString('hex'), mas: randomBytes(24).toString('hex') };
const synapseDirs = { data: '', config: '', secrets: '' };
let synapseConfigFile = '';
let synapseLog = '';
let client: MatrixClient;
/** The environment pg_ctl starts the server with; filled in beforeAll (paths of this run). */
const serverEnv: Record<string, string> = {};

/** Everything the drill wrote before the disaster, to compare after the restore. */
const before = {
  verifyKeys: {} as Record<string, unknown>,
  users: [] as { name: string; password: string; userId: string; token: string }[],
  roomId: '',
  media: Buffer.alloc(0),
  mediaId: '',
  token: randomBytes(6).toString('hex'),
  messageA: '',
  messageB: '',
  targetTime: '',
  signingKeySeed: '',
};

beforeAll(async () => {
  const started = Date.now();
  const install = spawnSync('bash', [join(REPO, 'scripts/integration/synapse.sh')], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 15 * 60_000 });
  if (install.status !== 0) throw new Error(`scripts/integration/synapse.sh failed (exit ${install.status}): ${install.stdout}`);
  python = install.stdout.trim().split('\n').pop() ?? '';
  if (!existsSync(python)) throw new Error(`scripts/integration/synapse.sh did not print the venv python: ${install.stdout}`);
  if (objectStoreUnavailable()) ensureTools('versitygw');
  note(`installers (synapse.sh, versitygw): ${seconds(Date.now() - started)}`);

  root = mkdtempSync(join(tmpdir(), 'sm-backup-drill-'));
  chmodSync(root, 0o755);
  store = await startObjectStore(join(root, 's3'));
  await store.createBucket(BUCKET);

  // 1. The deployment, with the local store as its EU bucket; every file as rendered.
  spec = parseDeployment(
    [
      'name: ministry',
      'server_name: ministry.example.eu',
      'target:',
      '  kubernetes:',
      '    context: test',
      'admin_contact: ops@ministry.example.eu',
      'backup:',
      '  s3:',
      `    endpoint: ${store.endpoint}`,
      `    bucket: ${BUCKET}`,
      `    region: ${store.region}`,
      '',
    ].join('\n'),
    'drill.yaml',
  );
  rendered = new Map(renderAll(spec).map((f) => [f.path, f.content]));
  backupDir = join(root, 'backup');
  mkdirSync(backupDir, { mode: 0o755 });
  chmodSync(backupDir, 0o755);
  for (const name of Object.values(BACKUP_FILES)) writeFileSync(join(backupDir, name), file(`backup/${name}`), { mode: 0o644 });

  pg = await drillPostgres(join(root, 'postgres'), postgresArchiveSettings(backupDir), serverEnv);
  // The server runs the rendered archive and restore commands, which find the spool and the
  // fetch directory through these (their defaults are the pod's volume).
  Object.assign(serverEnv, { BACKUP_WAL_SPOOL: walSpool(), BACKUP_WAL_FETCH: join(pg.volume, 'wal-fetch') });
}, 30 * 60_000);

afterAll(async () => {
  if (synapse) await stopProcessGroup(synapse, 20_000);
  if (agent) await stopProcessGroup(agent, 10_000);
  pg?.stop();
  await store?.stop();
  console.log(`Backup drill (PostgreSQL ${serverVersion}, pgBackRest and restic from scripts/integration/postgres.sh, versitygw over TLS):\n  ${metrics.join('\n  ')}`);
  // SOVEREIGN_MATRIX_KEEP_TEST_DIRS=1 keeps the directories and logs for a look afterwards.
  if (root && !process.env.SOVEREIGN_MATRIX_KEEP_TEST_DIRS) rmSync(root, { recursive: true, force: true });
  else if (root) console.log(`kept ${root}`);
}, 120_000);

test('the drill runs the releases of pgBackRest and restic the images pin (src/versions.ts)', () => {
  const tools = backupTools(requirePg().binDir);
  expect(tools.pgbackrestVersion).toBe(`pgBackRest ${BACKUP_TOOL_VERSIONS.pgbackrest}`);
  expect(tools.resticVersion).toMatch(new RegExp(`^restic ${BACKUP_TOOL_VERSIONS.restic.replace(/\./g, '\\.')} `));
});

drillStep(1, 0, 'the rendered archive settings hand WAL to the rendered wal-spool.sh; PostgreSQL archives with them', async () => {
  const db = requirePg();
  expect(postgresArchiveSettings(backupDir).archive_command).toMatch(new RegExp(`^sh ${backupDir}/${BACKUP_FILES.walSpool} %p %f`));
  db.initdb();
  startServer();
  expect(db.psql(['-At', '-c', 'SHOW archive_command']).trim()).toBe(postgresArchiveSettings(backupDir).archive_command);
  expect(db.psql(['-At', '-c', 'SHOW archive_mode']).trim()).toBe('on');
  serverVersion = db.psql(['-At', '-c', 'SHOW server_version']).trim();
  expect(serverVersion).toMatch(/^17\./);

  // The rendered init scripts, verbatim, with the passwords as psql variables.
  for (const [name, variable, password] of [
    ['init-synapse.sql', SYNAPSE_PASSWORD_VARIABLE, dbPasswords.synapse],
    ['init-mas.sql', MAS_PASSWORD_VARIABLE, dbPasswords.mas],
  ] as const) {
    const path = join(root, name);
    writeFileSync(path, file(`postgres/${name}`), { mode: 0o644 });
    db.psql(['-v', `${variable}=${password}`, '-f', path]);
  }
  // A marker in MAS's database: every database of the cluster is restored, to the same moment.
  db.psql(['-c', 'CREATE TABLE drill_marker (label text PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())'], MAS_DATABASE.database);
  db.psql(['-c', "INSERT INTO drill_marker (label) VALUES ('before the first backup')"], MAS_DATABASE.database);
  expect(db.psql(['-At', '-c', 'SELECT datname FROM pg_database ORDER BY 1']).trim().split('\n')).toEqual(expect.arrayContaining(['mas', 'synapse']));
}, 180_000);

drillStep(2, 1, 'the agent loop creates the stanza and starts the first backup; Synapse boots on the rendered configuration', async () => {
  const db = requirePg();
  agentLog = join(root, 'agent-postgres.log');
  agent = db.spawnAs('sh', [agentScript(), 'postgres', 'run'], postgresAgentEnv(), agentLog);

  // Synapse: the rendered homeserver.yaml and log.config through the documented overlay, plus
  // the drill's login change.
  const dir = join(root, 'synapse');
  Object.assign(synapseDirs, { data: join(dir, 'data'), config: join(dir, 'config'), secrets: join(dir, 'secrets') });
  for (const d of Object.values(synapseDirs)) mkdirSync(d, { recursive: true });
  mkdirSync(join(synapseDirs.data, 'keys'), { recursive: true });
  for (const secret of [SYNAPSE_SECRET_FILES.macaroonSecretKey, SYNAPSE_SECRET_FILES.formSecret, SYNAPSE_SECRET_FILES.masSharedSecret, SYNAPSE_TURN_SECRET_PATH, SYNAPSE_REPLICATION_SECRET_FILE]) {
    const path = join(synapseDirs.secrets, secret.slice('/secrets'.length));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  }
  const httpPort = await freePort();
  const metricsPort = await freePort();
  synapseConfigFile = join(synapseDirs.config, 'homeserver.yaml');
  const overlaid = overlaySynapseConfig(file('synapse/homeserver.yaml'), {
    mounts: { '/data': synapseDirs.data, '/config': synapseDirs.config, '/secrets': synapseDirs.secrets },
    ports: { [PORTS.synapseHttp]: httpPort, [PORTS.synapseMetrics]: metricsPort, [PORTS.postgres]: db.port },
    databaseHost: '127.0.0.1',
  });
  const sharedSecretFile = join(synapseDirs.secrets, 'drill', 'registration-shared-secret');
  mkdirSync(dirname(sharedSecretFile), { recursive: true });
  writeFileSync(sharedSecretFile, sharedSecret, { mode: 0o600 });
  writeFileSync(synapseConfigFile, passwordLoginInsteadOfMas(overlaid, sharedSecretFile));
  writeFileSync(join(synapseDirs.config, 'log.config'), file('synapse/log.config'));
  const keys = spawnSync(python, ['-m', 'synapse.app.homeserver', '-c', synapseConfigFile, '--generate-keys'], { cwd: dir, encoding: 'utf8' });
  if (keys.status !== 0) throw new Error(`synapse --generate-keys failed:\n${keys.stdout}\n${keys.stderr}`);
  before.signingKeySeed = readFileSync(join(synapseDirs.data, 'keys', 'signing.key'), 'utf8').trim().split(/\s+/)[2];
  expect(before.signingKeySeed).toMatch(/^[A-Za-z0-9+/]{40,}={0,2}$/);

  client = new MatrixClient(`http://127.0.0.1:${httpPort}`);
  synapseLog = join(dir, 'synapse.log');
  const started = Date.now();
  synapse = await bootSynapse();
  note(`Synapse first boot (fresh database): ${seconds(Date.now() - started)}`);
  // The loop is running and has made the stanza (it does that before its first backup).
  expect(agent.exitCode).toBeNull();
  await waitFor('the stanza', 60_000, () => existsSync(join(db.volume, 'backup-state', 'stanza')));
}, BOOT_TIMEOUT_MS + 120_000);

drillStep(3, 2, 'two users, a room, messages, an upload and one-time keys through the client API', async () => {
  for (const name of ['alice', 'bob']) {
    const password = randomBytes(12).toString('base64url');
    const { userId, token } = await client.register(sharedSecret, name, password);
    before.users.push({ name, password, userId, token });
  }
  const [alice, bob] = before.users;
  const logged = await client.login(alice.name, alice.password);
  expect(logged.status).toBe(200);

  before.roomId = (await client.ok('POST', '/_matrix/client/v3/createRoom', { token: alice.token, json: { preset: 'private_chat', invite: [bob.userId], name: 'drill' } })).room_id;
  await client.ok('POST', `/_matrix/client/v3/join/${encodeURIComponent(before.roomId)}`, { token: bob.token, json: {} });
  await client.send(alice.token, before.roomId, `hello bob ${before.token}`);
  await client.send(bob.token, before.roomId, `hello alice ${before.token}`);

  // Random bytes: they do not compress, so if the backup were not encrypted they would stand in
  // the bucket verbatim (the plaintext search below would find them).
  before.media = randomBytes(300 * 1024);
  const upload = await client.ok('POST', '/_matrix/media/v3/upload?filename=drill.bin', { token: alice.token, body: before.media });
  expect(upload.content_uri).toMatch(new RegExp(`^mxc://${spec.serverName.replace(/\./g, '\\.')}/`));
  before.mediaId = String(upload.content_uri).split('/').pop()!;
  await client.send(alice.token, before.roomId, `attachment ${upload.content_uri}`);
  const stored = findInTree(join(synapseDirs.data, 'media'), [before.media.subarray(1000, 1064)]);
  expect(stored).toHaveLength(1); // the search finds plaintext where it is

  // One-time keys (Synapse stores what the client uploads); a restore must drop them.
  const keys = await client.ok('POST', '/_matrix/client/v3/keys/upload', {
    token: alice.token,
    json: { one_time_keys: { 'curve25519:AAAAAQ': randomBytes(32).toString('base64').replace(/=+$/, ''), 'curve25519:AAAAAg': randomBytes(32).toString('base64').replace(/=+$/, '') } },
  });
  expect(keys.one_time_key_counts.curve25519).toBe(2);

  const server = await client.ok('GET', '/_matrix/key/v2/server');
  expect(server.server_name).toBe(spec.serverName);
  before.verifyKeys = server.verify_keys;
  expect(Object.keys(before.verifyKeys)).toHaveLength(1);
}, 120_000);

drillStep(4, 3, 'the first PostgreSQL backup completes; the files agent snapshots media, signing key and configuration', async () => {
  const started = Date.now();
  await waitFor('the first PostgreSQL backup (backup-agent.sh postgres status)', 240_000, () => lastSuccess() > 0, () => tail(agentLog, 30));
  note(`first PostgreSQL backup waited for after the client calls: ${seconds(Date.now() - started)}`);
  const pgDuration = /backup command end: completed successfully \((\d+)ms\)/.exec(readFileSync(agentLog, 'utf8'));
  expect(pgDuration).not.toBeNull();
  note(`PostgreSQL backup 1 (full, pgbackrest backup): ${seconds(Number(pgDuration![1]))}`);

  const filesStarted = Date.now();
  const result = filesAgent(['backup']);
  expect(result.stderr + result.stdout).toMatch(/snapshot [0-9a-f]+ saved/);
  expect(result.status).toBe(0);
  note(`files backup (restic init + backup + forget --prune): ${seconds(Date.now() - filesStarted)}`);
  const snapshots = JSON.parse(filesAgent(['list']).stdout) as { paths: string[]; hostname: string }[];
  expect(snapshots).toHaveLength(1);
  expect(snapshots[0].hostname).toBe(spec.name);
  expect([...snapshots[0].paths].sort()).toEqual(
    [join(synapseDirs.data, 'media/local_content'), join(synapseDirs.data, 'keys'), synapseDirs.config].sort(),
  );
}, 300_000);

drillStep(5, 4, 'message A is committed, and its WAL reaches the bucket within archive_timeout (RPO)', async () => {
  const db = requirePg();
  const [alice] = before.users;
  before.messageA = `message A ${before.token} ${randomBytes(8).toString('hex')}`;
  await client.send(alice.token, before.roomId, before.messageA);
  const committed = Date.now();
  db.psql(['-c', "INSERT INTO drill_marker (label) VALUES ('before T')"], MAS_DATABASE.database);
  const segment = db.psql(['-At', '-c', 'SELECT pg_walfile_name(pg_current_wal_insert_lsn())']).trim();
  // No pg_switch_wal: the segment leaves when archive_timeout (60 s) closes it, as in production
  // on a quiet server; then the agent pushes it.
  const inRepo = await waitForSegment(segment, 120_000);
  note(`RPO, message A: commit -> WAL segment ${segment} in the bucket: ${seconds(inRepo - committed)} (archive_timeout ${postgresArchiveSettings().archive_timeout} s)`);
  expect(inRepo - committed).toBeLessThan((Number(postgresArchiveSettings().archive_timeout) + 15) * 1000);
  expect(archiveGet(segment)).toBe(0);
}, 180_000);

drillStep(6, 5, 'time T is taken; message B comes after it, and its WAL too is in the bucket', async () => {
  const db = requirePg();
  const [, bob] = before.users;
  // T is a whole second at least one second after A's commit; B is sent at least one second after T.
  const t = (Math.floor(Date.now() / 1000) + 1) * 1000;
  before.targetTime = `${new Date(t).toISOString().slice(0, 19).replace('T', ' ')}+00`;
  await sleep(t + 1200 - Date.now());
  before.messageB = `message B ${before.token} ${randomBytes(8).toString('hex')}`;
  await client.send(bob.token, before.roomId, before.messageB);
  db.psql(['-c', "INSERT INTO drill_marker (label) VALUES ('after T')"], MAS_DATABASE.database);
  const segment = db.psql(['-At', '-c', 'SELECT pg_walfile_name(pg_current_wal_insert_lsn())']).trim();
  const switched = Date.now();
  db.psql(['-c', 'SELECT pg_switch_wal()']);
  const inRepo = await waitForSegment(segment, 60_000);
  note(`WAL after pg_switch_wal -> in the bucket: ${seconds(inRepo - switched)}`);
  expect(archiveGet(segment)).toBe(0);
  const messages = await client.messages(bob.token, before.roomId);
  expect(messages).toEqual(expect.arrayContaining([before.messageA, before.messageB]));
}, 120_000);

drillStep(7, 6, 'disaster: Synapse and PostgreSQL stop; PostgreSQL\'s volume, the media store and the signing key are deleted', async () => {
  const db = requirePg();
  if (synapse) await stopProcessGroup(synapse, 20_000);
  synapse = undefined;
  if (agent) await stopProcessGroup(agent, 10_000);
  agent = undefined;
  db.stop('immediate');
  rmSync(db.volume, { recursive: true, force: true });
  rmSync(join(synapseDirs.data, 'media'), { recursive: true, force: true });
  rmSync(join(synapseDirs.data, 'keys'), { recursive: true, force: true });
  expect(existsSync(db.pgdata)).toBe(false);
  expect(existsSync(join(synapseDirs.data, 'keys', 'signing.key'))).toBe(false);
}, 60_000);

drillStep(8, 7, 'a wrong passphrase restores nothing (pgBackRest and restic)', async () => {
  const scratch = join(root, 'postgres', 'wrong-passphrase');
  const pgdata = join(scratch, 'pgdata');
  const pgResult = requirePg().runAs('sh', [agentScript(), 'postgres', 'restore', 'latest'], {
    ...postgresAgentEnv(),
    PGBACKREST_REPO1_CIPHER_PASS: `${passphrase}x`,
    BACKUP_POSTGRES_VOLUME: scratch,
    BACKUP_PGDATA: pgdata,
    PGBACKREST_PG1_PATH: pgdata,
  });
  expect(pgResult.status).not.toBe(0);
  expect(pgResult.stdout + pgResult.stderr).toMatch(/cipher|decrypt|unable to load info file/i);
  expect(existsSync(join(pgdata, 'PG_VERSION'))).toBe(false);

  const filesScratch = join(root, 'synapse', 'wrong-passphrase');
  const filesResult = filesAgent(['restore', 'latest'], { RESTIC_PASSWORD: `${passphrase}x`, BACKUP_SYNAPSE_DATA: filesScratch });
  expect(filesResult.status).not.toBe(0);
  expect(filesResult.stdout + filesResult.stderr).toMatch(/wrong password|no key found/i);
  expect(existsSync(join(filesScratch, 'keys'))).toBe(false);
  rmSync(scratch, { recursive: true, force: true });
  rmSync(filesScratch, { recursive: true, force: true });
}, 120_000);

drillStep(9, 7, 'restore to T: pgBackRest and restic through the agent, recovery through the rendered wal-fetch.sh, after-restore.sql, Synapse boots', async () => {
  const db = requirePg();
  const started = Date.now();
  // What `sovereign-matrix restore` does, on the real tools' listings: its parsers and its choice of
  // base backup and files snapshot (src/backup/inventory.ts).
  const listing = db.runAs('sh', [agentScript(), 'postgres', 'list'], postgresAgentEnv());
  const inventory = { database: parsePgbackrestInfo(listing.stdout, PGBACKREST_STANZA), files: parseResticSnapshots(filesAgent(['list']).stdout) };
  expect(inventory.database.status).toBe('ok');
  expect(inventory.database.backups).toHaveLength(1);
  expect(inventory.database.backups[0]).toMatchObject({ type: 'full', error: false });
  expect(inventory.database.backups[0].repositoryBytes).toBeGreaterThan(0);
  const target = parseRestoreTarget(before.targetTime.replace(/\+00$/, 'Z'), Date.now() / 1000);
  if (typeof target !== 'number') throw new Error(`the CLI would refuse --to ${before.targetTime}: ${JSON.stringify(target)}`);
  expect(pgbackrestTime(target)).toBe(before.targetTime);
  const plan = restorePlan(inventory, target);
  if ('refused' in plan || !plan.files) throw new Error(`the CLI would not restore to ${before.targetTime}: ${JSON.stringify(plan)}`);
  // As the pods do it: the request goes through the running agent (request-restore, what the CLI
  // execs), and the init container's command (restore-pending) carries it out.
  const run = (kind: 'postgres' | 'files', args: string[]) => {
    const result = kind === 'postgres' ? db.runAs('sh', [agentScript(), 'postgres', ...args], postgresAgentEnv(), 600_000) : filesAgent(args);
    if (result.status !== 0) throw new Error(`backup-agent.sh ${kind} ${args.join(' ')} failed:\n${result.stdout}${result.stderr}`);
  };
  run('postgres', ['request-restore', pgbackrestTime(target)]);
  run('postgres', ['restore-pending']);
  const pgRestored = Date.now();
  note(`restore: pgbackrest restore (to ${before.targetTime}): ${seconds(pgRestored - started)}`);
  run('files', ['request-restore', plan.files.id]);
  run('files', ['restore-pending']);
  // A request is carried out once.
  expect(filesAgent(['restore-pending']).stderr).not.toContain('restoring');
  const filesRestored = Date.now();
  note(`restore: restic restore (media, keys): ${seconds(filesRestored - pgRestored)}`);
  expect(readFileSync(join(db.pgdata, 'postgresql.auto.conf'), 'utf8')).toContain(`restore_command = 'sh ${backupDir}/${BACKUP_FILES.walFetch} %f %p'`);

  // The agent loop serves restore_command (wal-fetch.sh) from the repository.
  agent = db.spawnAs('sh', [agentScript(), 'postgres', 'run'], postgresAgentEnv(), agentLog);
  startServer();
  await waitFor('PostgreSQL promoted (out of recovery)', 300_000, () => {
    try {
      return db.psql(['-At', '-c', 'SELECT pg_is_in_recovery()']).trim() === 'f';
    } catch {
      if (!existsSync(join(db.pgdata, 'postmaster.pid'))) throw new Error(`PostgreSQL stopped during recovery:\n${tail(db.logFile, 30)}`);
      return false;
    }
  }, () => tail(db.logFile, 30));
  const promoted = Date.now();
  note(`restore: PostgreSQL start, WAL replay to T, promotion: ${seconds(promoted - filesRestored)}`);
  expect(readFileSync(db.logFile, 'utf8')).toMatch(/recovery stopping before commit of transaction \d+, time /);

  // Restored keys are there before after-restore.sql, and gone after it.
  const countKeys = () => Number(db.psql(['-At', '-c', 'SELECT count(*) FROM e2e_one_time_keys_json'], SYNAPSE_DATABASE.database).trim());
  const keysBefore = countKeys();
  const afterRestore = join(root, BACKUP_FILES.afterRestore);
  writeFileSync(afterRestore, file(`backup/${BACKUP_FILES.afterRestore}`), { mode: 0o644 });
  db.psql(['-f', afterRestore], SYNAPSE_DATABASE.database);
  restoredFacts.oneTimeKeys = { before: keysBefore, after: countKeys() };

  synapse = await bootSynapse();
  const healthy = Date.now();
  note(`restore: Synapse boot on the restored database: ${seconds(healthy - promoted)}`);
  note(`RTO (restore start -> Synapse healthy): ${seconds(healthy - started)}`);
}, 900_000);

const restoredFacts = { oneTimeKeys: { before: -1, after: -1 } };

describe('after the restore', () => {
  beforeEach(() => {
    if (!completed.has(9)) throw new Error('the restore (step 9) did not complete');
  });

  test('the server signs with the same key', async () => {
    const server = await client.ok('GET', '/_matrix/key/v2/server');
    expect(server.verify_keys).toEqual(before.verifyKeys);
  });

  test('both users log in with their passwords (and a wrong one is refused)', async () => {
    for (const user of before.users) {
      const login = await client.login(user.name, user.password);
      expect(login.status).toBe(200);
      expect(login.userId).toBe(user.userId);
    }
    expect((await client.login(before.users[0].name, 'not the password')).status).toBe(403);
  });

  test('the room has every message up to A, and not B (point in time T)', async () => {
    const login = await client.login(before.users[1].name, before.users[1].password);
    const messages = await client.messages(login.token!, before.roomId);
    expect(messages).toEqual([
      `hello bob ${before.token}`,
      `hello alice ${before.token}`,
      expect.stringMatching(/^attachment mxc:\/\//),
      before.messageA,
    ]);
    expect(messages).not.toContain(before.messageB);
  });

  test('the uploaded media downloads byte for byte', async () => {
    const login = await client.login(before.users[1].name, before.users[1].password);
    const res = await client.request('GET', `/_matrix/client/v1/media/download/${spec.serverName}/${before.mediaId}`, { token: login.token });
    expect(res.status).toBe(200);
    expect(res.body.equals(before.media)).toBe(true);
  });

  test('MAS\'s database is restored to the same moment', () => {
    const rows = requirePg().psql(['-At', '-c', 'SELECT label FROM drill_marker ORDER BY at'], MAS_DATABASE.database).trim().split('\n');
    expect(rows).toEqual(['before the first backup', 'before T']);
  });

  test('one-time keys came back with the backup and after-restore.sql dropped them', () => {
    expect(restoredFacts.oneTimeKeys.before).toBe(2);
    expect(restoredFacts.oneTimeKeys.after).toBe(0);
  });

  test('the bucket holds no plaintext: no message, media bytes or signing key in any object', () => {
    const s3 = requireStore();
    const prefix = join(s3.dataDir, BUCKET, keyPrefix());
    const needles = [
      Buffer.from(before.messageA),
      Buffer.from(before.token),
      before.media.subarray(0, 64),
      before.media.subarray(150_000, 150_064),
      before.media.subarray(before.media.length - 64),
      Buffer.from(before.signingKeySeed),
    ];
    const scanned = { files: 0, bytes: 0 };
    expect(findInTree(prefix, needles, scanned)).toEqual([]);
    // Not a vacuous search: both repositories are there, with more bytes than the media alone.
    expect(existsSync(join(prefix, 'postgres', 'backup', PGBACKREST_STANZA, 'backup.info'))).toBe(true);
    expect(existsSync(join(prefix, 'files', 'config'))).toBe(true);
    expect(scanned.bytes).toBeGreaterThan(before.media.length);
    for (const part of ['postgres/backup', 'postgres/archive', 'files']) {
      note(`bucket ${keyPrefix()}/${part}: ${duBytes(join(prefix, part))} (${countFiles(join(prefix, part))} objects)`);
    }
    note(`plaintext search: ${scanned.files} objects, ${(scanned.bytes / 1e6).toFixed(1)} MB, ${needles.length} needles, none found`);
  });

  test('the restored cluster is backed up again, on its new timeline', async () => {
    const started = Date.now();
    await waitFor('a backup after the restore', 120_000, () => lastSuccess() > 0, () => tail(agentLog, 30));
    note(`first backup after the restore, waited for: ${seconds(Date.now() - started)}`);
    const info = JSON.parse(requirePg().runAs('sh', [agentScript(), 'postgres', 'list'], postgresAgentEnv()).stdout) as {
      backup: { type: string; archive: { start: string; stop: string }; info: { repository: { delta: number; size: number } }; timestamp: { start: number; stop: number } }[];
    }[];
    const backups = info[0].backup;
    expect(backups).toHaveLength(2);
    expect(backups[0].archive.start.slice(0, 8)).toBe('00000001');
    expect(backups[1].archive.start.slice(0, 8)).toBe('00000002');
    backups.forEach((b, i) => note(`pgBackRest backup ${i + 1}: ${b.type}, ${b.timestamp.stop - b.timestamp.start} s, repository ${(b.info.repository.delta / 1e6).toFixed(1)} MB`));
  }, 180_000);
});

// ------------------------------------------------------------------------------------------------

/** Steps that completed: a step whose premise failed says so instead of failing obscurely. */
const completed = new Set<number>([0]);

/** One step of the drill: runs only when step `needs` completed; records its own completion. */
function drillStep(n: number, needs: number, name: string, fn: () => Promise<void> | void, timeoutMs: number): void {
  test(`${n}. ${name}`, async () => {
    if (!completed.has(needs)) throw new Error(`step ${needs} did not complete; step ${n} needs it`);
    await fn();
    completed.add(n);
  }, timeoutMs);
}

function file(path: string): string {
  const content = rendered.get(path);
  if (content === undefined) throw new Error(`nothing rendered ${path}`);
  return content;
}

function requirePg(): DrillPostgres {
  if (!pg) throw new Error('PostgreSQL was not prepared (see beforeAll)');
  return pg;
}

function requireStore(): ObjectStore {
  if (!store) throw new Error('the object store did not start (see beforeAll)');
  return store;
}

function agentScript(): string {
  return join(backupDir, BACKUP_FILES.agent);
}

function walSpool(): string {
  return join(requirePg().volume, 'wal-spool');
}

function startServer(): void {
  requirePg().start();
}

/**
 * The PostgreSQL agent's environment: the Secret's keys by BACKUP_SECRET_ENV, the agent's BACKUP_*
 * paths and pgBackRest's own overrides of host paths, port and CA. Nothing else.
 */
function postgresAgentEnv(): Record<string, string> {
  const db = requirePg();
  const s3 = requireStore();
  return {
    ...secretEnv('postgres'),
    BACKUP_CONFIG_DIR: backupDir,
    BACKUP_POSTGRES_VOLUME: db.volume,
    BACKUP_PGDATA: db.pgdata,
    BACKUP_WAL_SPOOL: walSpool(),
    BACKUP_WAL_FETCH: join(db.volume, 'wal-fetch'),
    PGBACKREST_PG1_PATH: db.pgdata,
    PGBACKREST_PG1_SOCKET_PATH: db.socketDir,
    PGBACKREST_PG1_PORT: String(db.port),
    PGBACKREST_LOCK_PATH: join(root, 'postgres', 'lock'),
    PGBACKREST_REPO1_STORAGE_CA_FILE: s3.caFile,
  };
}

/** The files agent (restic), as root; `extra` overrides (the wrong-passphrase check). */
function filesAgent(args: string[], extra: Record<string, string> = {}) {
  const db = requirePg();
  return spawnSync('sh', [agentScript(), 'files', ...args], {
    env: {
      PATH: `${db.binDir}:/usr/bin:/bin`,
      LANG: 'C',
      HOME: root,
      ...secretEnv('files'),
      BACKUP_CONFIG_DIR: backupDir,
      BACKUP_SYNAPSE_DATA: synapseDirs.data,
      BACKUP_SYNAPSE_CONFIG: synapseDirs.config,
      RESTIC_CACHE_DIR: join(root, 'restic-cache'),
      SSL_CERT_FILE: requireStore().caFile,
      ...extra,
    },
    encoding: 'utf8',
    timeout: 300_000,
  });
}

/** The Secret `backup-credentials` as the agents get it: access key, secret key, passphrase. */
function secretEnv(kind: keyof typeof BACKUP_SECRET_ENV): Record<string, string> {
  const s3 = requireStore();
  const secret: Record<string, string> = { 'access-key-id': s3.accessKeyId, 'secret-access-key': s3.secretAccessKey, passphrase };
  return Object.fromEntries(Object.entries(BACKUP_SECRET_ENV[kind]).map(([name, key]) => [name, secret[key]]));
}

/** `backup-agent.sh postgres status`: epoch seconds of the newest successful backup (0: none). */
function lastSuccess(): number {
  const result = requirePg().runAs('sh', [agentScript(), 'postgres', 'status'], postgresAgentEnv());
  const match = /^last_success=(\d+)$/m.exec(result.stdout);
  if (result.status !== 0 || !match) throw new Error(`backup-agent.sh postgres status failed: ${result.stdout}${result.stderr}`);
  return Number(match[1]);
}

/**
 * Waits until `segment` has been archived by PostgreSQL (pg_stat_archiver) and has left the spool
 * (the agent removes a segment only once pgBackRest has stored it). Returns the time it was seen.
 */
async function waitForSegment(segment: string, timeoutMs: number): Promise<number> {
  const db = requirePg();
  let seenAt = 0;
  await waitFor(`WAL segment ${segment} in the repository`, timeoutMs, () => {
    const last = db.psql(['-At', '-c', "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver"]).trim().slice(0, 24);
    if (last >= segment && !existsSync(join(walSpool(), segment))) {
      seenAt = Date.now();
      return true;
    }
    return false;
  }, () => tail(agentLog, 20), 200);
  return seenAt;
}

/** pgbackrest archive-get of a segment out of the bucket (decrypted), as the agent would; the exit code. */
function archiveGet(segment: string): number {
  const db = requirePg();
  const target = join(db.volume, `check-${segment}`);
  const result = db.runAs('pgbackrest', ['archive-get', segment, target], { ...postgresAgentEnv(), PGBACKREST_CONFIG: join(backupDir, BACKUP_FILES.pgbackrestConf), PGBACKREST_STANZA });
  rmSync(target, { force: true });
  return result.status ?? -1;
}

async function bootSynapse(): Promise<ChildProcess> {
  return startSynapse({
    python,
    configFile: synapseConfigFile,
    cwd: dirname(synapseDirs.data),
    logFile: synapseLog,
    env: { PGPASSWORD: dbPasswords.synapse },
    base: client.base,
    timeoutMs: BOOT_TIMEOUT_MS,
  });
}

async function waitFor(what: string, timeoutMs: number, done: () => boolean, context: () => string = () => '', intervalMs = 500): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (done()) return;
    await sleep(intervalMs);
  }
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}\n${context()}`);
}

/** Files under `dir` that contain any of `needles` (whole files read; the drill's are small). */
function findInTree(dir: string, needles: Buffer[], scanned = { files: 0, bytes: 0 }): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...findInTree(path, needles, scanned));
    else if (entry.isFile()) {
      const content = readFileSync(path);
      scanned.files += 1;
      scanned.bytes += content.length;
      if (needles.some((n) => content.indexOf(n) !== -1)) found.push(path);
    }
  }
  return found;
}

function duBytes(dir: string): string {
  const bytes = Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0]);
  return `${(bytes / 1e6).toFixed(2)} MB`;
}

function countFiles(dir: string): number {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length;
}

function keyPrefix(): string {
  if (!spec.backup.enabled) throw new Error('backups are off in the drill deployment');
  return spec.backup.s3.keyPrefix;
}
