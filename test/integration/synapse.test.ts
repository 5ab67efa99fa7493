/**
 * Boots the real Synapse (the pinned release, from PyPI) against a real, throwaway PostgreSQL with
 * exactly the files the kit renders: postgres/init-synapse.sql applied verbatim, and
 * synapse/homeserver.yaml and synapse/log.config changed only by the documented overlay
 * (test/integration/overlay.ts: mount paths, ports, database host). Once per federation mode and
 * per size profile; all boots share one PostgreSQL cluster, with the database recreated by the
 * init script between boots.
 *
 * Needs: scripts/integration/synapse.sh (the Synapse venv) and scripts/integration/postgres.sh
 * (PostgreSQL 17), both run here and installing what is missing. No network beyond the package registries the installer uses; every request below
 * goes to 127.0.0.1.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDeployment } from '../../src/config/load';
import type { DeploymentSpec } from '../../src/config/spec';
import { renderAll } from '../../src/render';
import { SYNAPSE_PASSWORD_VARIABLE } from '../../src/render/postgres';
import { SYNAPSE_DATABASE, synapseSizing } from '../../src/render/synapse';
import { PINNED_VERSIONS } from '../../src/versions';
import { startPostgres, tail, type Postgres } from './postgres';
import { installSynapse, prepareSynapseRun, type SynapseRun } from './synapse-run';

const BOOT_TIMEOUT_MS = 180_000;

const BASE = `name: ministry
server_name: ministry.example.eu
target:
  kubernetes:
    context: test
admin_contact: ops@ministry.example.eu
backup:
  s3:
    endpoint: https://s3.example-eu.eu
    bucket: ministry-backups
    region: eu-west
`;

/** Every federation mode and every size profile at least once. */
const CASES: readonly { label: string; yaml: string }[] = [
  { label: 'closed federation, small', yaml: `${BASE}size: small\nfederation:\n  mode: closed\n` },
  {
    label: 'allow_list federation, medium',
    yaml: `${BASE}size: medium\nfederation:\n  mode: allow_list\n  allow: [partner.example.eu, other.example.eu]\n`,
  },
  { label: 'open federation, large', yaml: `${BASE}size: large\nfederation:\n  mode: open\n` },
];

const timings: string[] = [];
let root = '';
let python = '';
let pg: Postgres | undefined;
let synapse: ChildProcess | undefined;

beforeAll(async () => {
  const started = Date.now();
  python = installSynapse();
  timings.push(`installer (scripts/integration/synapse.sh): ${seconds(Date.now() - started)}`);

  root = mkdtempSync(join(tmpdir(), 'sm-synapse-it-'));
  const pgStarted = Date.now();
  pg = await startPostgres(join(root, 'postgres'));
  timings.push(`PostgreSQL ${pg.serverVersion} (scripts/integration/postgres.sh) initdb + start: ${seconds(Date.now() - pgStarted)}`);
}, 20 * 60_000);

afterAll(async () => {
  if (synapse) await stopProcess(synapse);
  pg?.stop();
  // SOVEREIGN_MATRIX_KEEP_TEST_DIRS=1 keeps the configurations and logs for a look afterwards.
  if (root && !process.env.SOVEREIGN_MATRIX_KEEP_TEST_DIRS) rmSync(root, { recursive: true, force: true });
  else if (root) timings.push(`kept ${root}`);
  console.log(`Synapse integration timings:\n  ${timings.join('\n  ')}`);
}, 120_000);

test('libpq (psycopg2) takes the database password from PGPASSWORD, and only from there', async () => {
  const db = requirePg();
  const password = recreateDatabase(db);
  const connect = `import psycopg2; psycopg2.connect(host='127.0.0.1', port=${db.port}, user='${SYNAPSE_DATABASE.user}', dbname='${SYNAPSE_DATABASE.database}').close()`;
  const env = { ...process.env };
  delete env.PGPASSWORD;
  delete env.PGPASSFILE;
  env.PGPASSFILE = '/nonexistent';
  const without = spawnSync(python, ['-c', connect], { env, encoding: 'utf8' });
  expect(without.status).not.toBe(0);
  expect(without.stderr).toMatch(/password/i);
  const withIt = spawnSync(python, ['-c', connect], { env: { ...env, PGPASSWORD: password }, encoding: 'utf8' });
  expect(withIt.stderr).toBe('');
  expect(withIt.status).toBe(0);
});

test('the database Synapse talks to is PostgreSQL of the pinned major version (PINNED_VERSIONS.postgres)', () => {
  const db = requirePg();
  const pinnedMajor = Number(PINNED_VERSIONS.postgres.split('.')[0]);
  expect(pinnedMajor).toBe(17);
  // Over TCP as Synapse's role, through psycopg2 as Synapse connects.
  const password = recreateDatabase(db);
  const query = `import psycopg2; c = psycopg2.connect(host='127.0.0.1', port=${db.port}, user='${SYNAPSE_DATABASE.user}', dbname='${SYNAPSE_DATABASE.database}'); cur = c.cursor(); cur.execute('SHOW server_version_num'); print(c.server_version, cur.fetchone()[0]); c.close()`;
  const result = spawnSync(python, ['-c', query], { env: { ...process.env, PGPASSWORD: password }, encoding: 'utf8' });
  expect(result.stderr).toBe('');
  const [libpqReported, serverVersionNum] = result.stdout.trim().split(' ').map(Number);
  expect(Math.floor(serverVersionNum / 10000)).toBe(pinnedMajor);
  expect(Math.floor(libpqReported / 10000)).toBe(pinnedMajor);
  expect(db.serverVersion).toMatch(new RegExp(`^${pinnedMajor}\\.\\d+ `));
});

describe.each(CASES)('Synapse boots with the rendered configuration: $label', ({ label, yaml }) => {
  const spec = parseDeployment(yaml, `${label}.yaml`);
  let base = '';
  let metricsBase = '';
  let logFile = '';

  beforeAll(async () => {
    const db = requirePg();
    const run = await prepareRun(spec, db, label.replace(/[^a-z0-9]+/gi, '-'));
    base = `http://127.0.0.1:${run.httpPort}`;
    metricsBase = `http://127.0.0.1:${run.metricsPort}`;
    logFile = run.logFile;
    const started = Date.now();
    synapse = spawn(python, ['-m', 'synapse.app.homeserver', '-c', run.configFile, '--no-secrets-in-config'], {
      cwd: run.dir,
      env: { ...process.env, PGPASSWORD: run.dbPassword },
      stdio: ['ignore', openSync(run.logFile, 'a'), openSync(run.logFile, 'a')],
    });
    await waitForHealth(base, synapse, run.logFile);
    timings.push(`Synapse boot (${label}, fresh database): ${seconds(Date.now() - started)}`);
  }, BOOT_TIMEOUT_MS + 60_000);

  afterAll(async () => {
    if (synapse) await stopProcess(synapse);
    synapse = undefined;
  }, 60_000);

  test('client API answers', async () => {
    const res = await get(`${base}/_matrix/client/versions`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).versions).toEqual(expect.arrayContaining(['v1.1']));
  });

  test('federation API answers', async () => {
    const res = await get(`${base}/_matrix/federation/v1/version`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).server.name).toBe('Synapse');
  });

  test('the key server publishes our signing key under our server name', async () => {
    const res = await get(`${base}/_matrix/key/v2/server`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.server_name).toBe(spec.serverName);
    expect(Object.keys(body.verify_keys).length).toBeGreaterThan(0);
  });

  test('registration is refused', async () => {
    const res = await post(`${base}/_matrix/client/v3/register`, {
      username: 'intruder',
      password: 'correct horse battery staple',
      auth: { type: 'm.login.dummy' },
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as any).error).toMatch(/registration has been disabled/i);
  });

  test('password login is refused (accounts belong to MAS)', async () => {
    const res = await post(`${base}/_matrix/client/v3/login`, {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: 'alice' },
      password: 'secret-guess',
    });
    // With MAS, Synapse does not serve /login at all (the ingress sends it to MAS's compat API).
    expect(res.status).toBe(404);
  });

  test('the public room directory needs authentication', async () => {
    expect((await get(`${base}/_matrix/client/v3/publicRooms`)).status).toBe(401);
  });

  test('profiles need authentication', async () => {
    expect((await get(`${base}/_matrix/client/v3/profile/${encodeURIComponent(`@alice:${spec.serverName}`)}`)).status).toBe(401);
  });

  test('federation from a server outside the federation setting is denied before any key lookup', async () => {
    // 127.0.0.1:1 is in no allow list; if Synapse ever tried to fetch its keys, the address is
    // loopback (and in Synapse's federation IP blocklist), so the test never leaves the machine.
    const origin = '127.0.0.1:1';
    const res = await get(`${base}/_matrix/federation/v1/publicRooms`, {
      Authorization: `X-Matrix origin="${origin}",destination="${spec.serverName}",key="ed25519:a",sig="c2lnbmF0dXJl"`,
    });
    const body = (await res.json()) as any;
    if (spec.federation.mode === 'open') {
      // Not denied by the allow list; the request fails later, at the signature check.
      expect(res.status).toBe(401);
    } else {
      expect(res.status).toBe(403);
      expect(body.errcode).toBe('M_FORBIDDEN');
      expect(body.error).toMatch(/federation denied/i);
    }
  }, 60_000);

  test('metrics are served on their own listener only', async () => {
    const res = await get(`${metricsBase}/_synapse/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/^synapse_/m);
    expect((await get(`${base}/_synapse/metrics`)).status).toBe(404);
    cacheSizes.set(spec.size.name, cacheMaxSizes(text));
  });

  test('the configuration loads without warnings (no default notary, no missing secret)', () => {
    const warnings = readFileSync(logFile, 'utf8')
      .split('\n')
      .filter((line) => / - (WARNING|ERROR|CRITICAL) - /.test(line))
      .filter((line) => !/ - synapse\.config\.logger - /.test(line)) // the start-up banner
      // our own federation probe from 127.0.0.1:1 (denied, or in open mode its key lookup blocked)
      .filter((line) => !/authenticate_request failed|Error looking up keys from 127\.0\.0\.1:1/.test(line));
    expect(warnings).toEqual([]);
  });
});

test('caches scale with the size profile (caches.global_factor)', () => {
  const small = cacheSizes.get('small');
  expect(small).toBeDefined();
  for (const size of ['medium', 'large'] as const) {
    const other = cacheSizes.get(size);
    expect(other).toBeDefined();
    const spec = parseDeployment(CASES.find((c) => c.yaml.includes(`size: ${size}`))!.yaml, 'x.yaml');
    const factor = synapseSizing(spec).cacheFactor / synapseSizing(parseDeployment(CASES[0].yaml, 'x.yaml')).cacheFactor;
    expect(other!.get(SCALED_CACHE)).toBe(small!.get(SCALED_CACHE)! * factor);
  }
});

/** A cache whose size Synapse derives from caches.global_factor. */
const SCALED_CACHE = '_event_auth_cache';
const cacheSizes = new Map<string, Map<string, number>>();

function cacheMaxSizes(metrics: string): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const match of metrics.matchAll(/^synapse_util_caches_cache_max_size\{(?:[^}]*,)?name="([^"]+)"[^}]*\} ([0-9.e+]+)$/gm)) {
    sizes.set(match[1], Number(match[2]));
  }
  return sizes;
}

// ------------------------------------------------------------------------------------------------


function requirePg(): Postgres {
  if (!pg) throw new Error('PostgreSQL did not start (see beforeAll)');
  return pg;
}

/** Drops the Synapse database and applies the rendered init script verbatim; returns the password used. */
function recreateDatabase(db: Postgres, spec?: DeploymentSpec): string {
  const init = fileOf(spec ?? parseDeployment(CASES[0].yaml, 'x.yaml'), 'postgres/init-synapse.sql');
  const initFile = join(root, 'init-synapse.sql');
  writeFileSync(initFile, init);
  chmodSync(initFile, 0o644);
  const password = randomBytes(24).toString('hex');
  db.psql(['-c', `DROP DATABASE IF EXISTS ${SYNAPSE_DATABASE.database} WITH (FORCE)`]);
  db.psql(['-v', 'ON_ERROR_STOP=1', '-v', `${SYNAPSE_PASSWORD_VARIABLE}=${password}`, '-f', initFile]);
  expectDatabaseSettings(db);
  return password;
}

/** The database the init script made: UTF8, C collation, owned by Synapse's role. */
function expectDatabaseSettings(db: Postgres): void {
  const settings = db.psql([
    '-At',
    '-c',
    `SELECT pg_encoding_to_char(encoding), datcollate, datctype, pg_get_userbyid(datdba) FROM pg_database WHERE datname = '${SYNAPSE_DATABASE.database}'`,
  ]);
  expect(settings.trim()).toBe(`UTF8|C|C|${SYNAPSE_DATABASE.user}`);
}

/** A fresh database (the rendered init script, as recreateDatabase applies it) and Synapse's files, in root/<name>. */
async function prepareRun(spec: DeploymentSpec, db: Postgres, name: string): Promise<SynapseRun> {
  db.psql(['-c', `DROP DATABASE IF EXISTS ${SYNAPSE_DATABASE.database} WITH (FORCE)`]);
  const run = await prepareSynapseRun(python, spec, db, join(root, name));
  expectDatabaseSettings(db);
  return run;
}

function fileOf(spec: DeploymentSpec, path: string): string {
  const file = renderAll(spec).find((f) => f.path === path);
  if (!file) throw new Error(`nothing rendered ${path}`);
  return file.content;
}

async function waitForHealth(base: string, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + BOOT_TIMEOUT_MS;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`Synapse exited (${child.exitCode ?? child.signalCode}) before it was healthy. Log tail:\n${tail(logFile)}`);
    }
    try {
      const res = await get(`${base}/health`);
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(250);
  }
  throw new Error(`Synapse was not healthy within ${BOOT_TIMEOUT_MS / 1000} s (last: ${last}). Log tail:\n${tail(logFile)}`);
}


async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}





function get(url: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { headers, signal: AbortSignal.timeout(30_000) });
}

function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
