/**
 * Synapse's workers for real (issue #20): deployments/research-open.yaml (size large, open
 * federation, so every worker of the large preset, the federation ones included) boots natively
 * with the rendered files:
 *
 * - PostgreSQL (test/integration/postgres.ts) with the rendered init-synapse.sql;
 * - Redis from Debian (test/integration/redis-run.ts; the pod runs Valkey, same protocol) with synapse-redis/redis.conf;
 * - Synapse's main process and every worker (test/integration/synapse-workers-run.ts) with
 *   synapse/homeserver.yaml and synapse/worker-<name>.yaml through the documented overlay;
 * - Debian's nginx with synapse-router/nginx.conf and real Traefik with the synthesized Ingress
 *   (test/integration/synapse-router-run.ts).
 *
 * A client then talks to the homeserver through Traefik -> router -> workers only: /sync (initial
 * and incremental), creating rooms, sending, /messages, typing, account data, media upload and
 * download, federation endpoints. Every request carries a User-Agent of its own; the process whose
 * access log has that User-Agent served it. Each request must have been served by exactly one
 * process, of the group written out for it below (Synapse's worker documentation, and the kit's
 * split of it: createRoom with the event creators, as ESS does) and named by the kit's routing
 * table (src/render/synapse-routes.ts); sticky routes must stick (a token's /sync, a room's
 * /messages and event sending on one instance) and spread (several instances used). Events must
 * have been persisted by an event persister (events.instance_name) and reach /sync on a
 * synchrotron (replication through Redis).
 *
 * Every program runs its pod's command as synthesized (test/integration/synthesized-apps.ts):
 * Synapse's processes, Redis, the router, PostgreSQL's max_connections. Redis is bound to
 * loopback and this machine's first other IPv4 address for the suite's duration (no password, as
 * rendered): a client from there is to Redis what another pod is, which protected mode would refuse.
 *
 * Users are registered on the main process's admin API with a shared secret (the backup drill's
 * adaptation: no MAS here), never through the router, which must refuse the admin API.
 */
import { type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { loadDeploymentFile } from '../../src/config/load';
import type { DeploymentSpec } from '../../src/config/spec';
import { workerInstances } from '../../src/config/synapse-workers';
import { PORTS } from '../../src/ports';
import { renderAll } from '../../src/render';
import { postgresMaxConnections } from '../../src/render/postgres';
import { routeRequest, type RouteTarget } from '../../src/render/synapse-routes';
import { REDIS_CONFIG_FILE } from '../../src/render/redis';
import { SYNAPSE_ROUTER_FILE } from '../../src/render/synapse-router';
import { SYNAPSE_PROCESS_HOSTS, synapseWorkerHost } from '../../src/render/synapse-workers';
import { MatrixClient, sleep } from './backup-drill-matrix';
import type { IngressJson } from './ingress-routers';
import type { ServiceHere } from './overlay';
import { freePort, startPostgres, tail, type Postgres } from './postgres';
import { stopProcessGroup } from './process-group';
import { containerCommand, ingressOf, synthesizedApps, type Manifest } from './synthesized-apps';
import { overlayRedisConf, redisBinary, redisCli, startRedis, type RedisBinary } from './redis-run';
import { httpsTo, overlayRouterConf, startNginx, startTraefik, type HttpAnswer } from './synapse-router-run';
import { installSynapse } from './synapse-run';
import { prepareWorkersRun, startSynapseProcess, waitForServer, waitHealthy, type WorkersRun } from './synapse-workers-run';
import { ensureTools } from './tools';

const ROOT = join(__dirname, '..', '..');
const DEPLOYMENT = 'research-open.yaml';
const BOOT_TIMEOUT_MS = 5 * 60_000;

const timings: string[] = [];
const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;
const children: ChildProcess[] = [];

let root = '';
let spec: DeploymentSpec;
let pg: Postgres | undefined;
let run: WorkersRun | undefined;
let traefikPort = 0;
let routerPort = 0;
let redisPort = 0;
let redisAddress: string | undefined;
let redisTools: RedisBinary | undefined;
let matrixHost = '';
let ingress: IngressJson | undefined;
let manifests: Manifest[] = [];
let podMaxConnections: number | undefined;

/** `-c max_connections=N` in PostgreSQL's command, if there. */
function maxConnectionsOf(command: readonly string[]): number | undefined {
  const i = command.findIndex((arg, j) => command[j - 1] === '-c' && arg.startsWith('max_connections='));
  return i < 0 ? undefined : Number(command[i].slice('max_connections='.length));
}

/** This machine's first non-loopback IPv4 address, if any. */
function firstNonLoopbackIpv4(): string | undefined {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

/** A process's resident memory in MiB (Linux /proc). */
function residentMiB(child: ChildProcess): number {
  const kib = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1];
  return Math.round(Number(kib) / 1024);
}

/** The Service name of a Synapse process (main, or a worker instance). */
const serviceOf = (name: string) => (name === 'main' ? SYNAPSE_PROCESS_HOSTS.main : synapseWorkerHost(name));

beforeAll(async () => {
  const started = Date.now();
  spec = loadDeploymentFile(join(ROOT, 'deployments', DEPLOYMENT));
  matrixHost = spec.hostnames.matrix;
  root = mkdtempSync(join(tmpdir(), 'sm-workers-it-'));
  const rendered = new Map(renderAll(spec).map((f) => [f.path, f.content]));
  const file = (path: string) => {
    const content = rendered.get(path);
    if (content === undefined) throw new Error(`nothing rendered ${path}`);
    return content;
  };

  // Tools (cached outside the repository).
  const python = installSynapse();
  const redis = redisBinary();
  redisTools = redis;
  const traefikBin = join(ensureTools('traefik'), 'traefik');
  timings.push(`tools ready (Synapse venv, ${redis.version.split(' ').slice(0, 3).join(' ')}, Traefik): ${seconds(started)}`);

  // The apps stack as synthesized: the Ingress, and the command of every pod booted below.
  manifests = synthesizedApps(spec, join(root, 'synth'));

  // PostgreSQL with the max_connections its pod sets (`-c max_connections=`; PostgreSQL's default without).
  const pgStarted = Date.now();
  podMaxConnections = maxConnectionsOf(containerCommand(manifests, 'postgres', 'postgres'));
  pg = await startPostgres(join(root, 'postgres'), podMaxConnections === undefined ? {} : { max_connections: podMaxConnections });
  timings.push(`PostgreSQL ${pg.serverVersion} (max_connections ${podMaxConnections ?? 'default'}): ${seconds(pgStarted)}`);

  // Redis with the rendered redis.conf.
  redisPort = await freePort();
  const redisDir = join(root, 'redis');
  mkdirSync(join(redisDir, 'config'), { recursive: true });
  // Bound to loopback and, when there is one, this machine's other address: a client from there is
  // what a pod is to Redis (protected mode would refuse it).
  redisAddress = firstNonLoopbackIpv4();
  const redisConf = overlayRedisConf(file(REDIS_CONFIG_FILE), { port: String(redisPort), bind: ['127.0.0.1', ...(redisAddress ? [redisAddress] : [])].join(' '), dir: redisDir });
  writeFileSync(join(redisDir, 'config', basename(REDIS_CONFIG_FILE)), redisConf);
  children.push(startRedis(redis, containerCommand(manifests, SYNAPSE_PROCESS_HOSTS.redis), join(redisDir, 'config'), join(redisDir, 'redis.log')));

  // Synapse: main first (it creates the schema; workers refuse an uninitialised database), then every worker at once.
  run = await prepareWorkersRun(python, spec, pg, join(root, 'synapse'), { port: redisPort }, (name) => containerCommand(manifests, serviceOf(name), 'synapse'));
  for (let i = 0; !/^PONG/.test(ping(redis, '127.0.0.1')); i++) {
    if (i > 100) throw new Error(`Redis did not answer PING:\n${tail(join(redisDir, 'redis.log'))}`);
    await sleep(100);
  }
  const bootStarted = Date.now();
  const main = startSynapseProcess(run, run.main);
  children.push(main);
  await waitHealthy('main', run.main.healthUrl, main, run.main.logFile, BOOT_TIMEOUT_MS);
  timings.push(`Synapse main healthy (fresh database): ${seconds(bootStarted)}`);
  const workersStarted = Date.now();
  const workers = run.processes.filter((p) => p.name !== 'main');
  const workerChildren = workers.map((p) => startSynapseProcess(run!, p));
  children.push(...workerChildren);
  await Promise.all(workers.map((p, i) => waitHealthy(p.name, p.healthUrl, workerChildren[i], p.logFile, BOOT_TIMEOUT_MS)));
  timings.push(`${workers.length} workers healthy in parallel: ${seconds(workersStarted)} (Synapse total ${seconds(bootStarted)})`);
  const rss = [main, ...workerChildren].map(residentMiB);
  timings.push(`resident memory when healthy: main ${rss[0]} MiB, workers ${Math.min(...rss.slice(1))}-${Math.max(...rss.slice(1))} MiB each, ${rss.reduce((a, b) => a + b, 0)} MiB in all`);

  // The router, with every Synapse process's Service moved here.
  const services: Record<string, ServiceHere> = Object.fromEntries(run.processes.map((p) => [serviceOf(p.name), { host: '127.0.0.1', ports: p.ports }]));
  routerPort = await freePort();
  const routerDir = join(root, 'router');
  const routerConf = overlayRouterConf(file(SYNAPSE_ROUTER_FILE), { rendered: PORTS.synapseRouter, here: routerPort }, services, routerDir);
  const nginx = startNginx(routerDir, containerCommand(manifests, SYNAPSE_PROCESS_HOSTS.router), routerConf);
  children.push(nginx.child);

  // Traefik with the Ingress; Services other than Synapse's (MAS, Element Web, ...) lead nowhere here.
  const routerUrl = `http://127.0.0.1:${routerPort}`;
  const urls: Record<string, string> = { [SYNAPSE_PROCESS_HOSTS.router]: routerUrl, [SYNAPSE_PROCESS_HOSTS.main]: `http://127.0.0.1:${run.main.ports[PORTS.synapseHttp]}` };
  ingress = ingressOf(manifests);
  const traefik = await startTraefik(traefikBin, join(root, 'traefik'), ingress, (service) => urls[service] ?? 'http://127.0.0.1:1');
  children.push(traefik.child);
  traefikPort = traefik.entryPoints.websecure;
  if (!traefikPort) throw new Error('the Ingress names no websecure entry point');
  for (let i = 0; ; i++) {
    const answer = await httpsTo(traefikPort, matrixHost, 'GET', '/_matrix/client/versions', {}).catch(() => undefined);
    if (answer?.status === 200) break;
    if (i > 200) throw new Error(`Traefik -> router -> Synapse did not answer /versions (last ${answer?.status}):\n${tail(traefik.logFile)}\n${tail(nginx.logFile)}`);
    await sleep(100);
  }
  timings.push(`everything up (tools to first request through Traefik): ${seconds(started)}`);
}, 30 * 60_000);

afterAll(async () => {
  await Promise.all(children.map((c) => stopProcessGroup(c, 10_000)));
  pg?.stop();
  if (root && !process.env.SOVEREIGN_MATRIX_KEEP_TEST_DIRS) rmSync(root, { recursive: true, force: true });
  else if (root) timings.push(`kept ${root}`);
  console.log(`Synapse workers integration timings:\n  ${timings.join('\n  ')}`);
}, 120_000);

function requireRedis(): RedisBinary {
  if (!redisTools) throw new Error('Redis was not set up (see beforeAll)');
  return redisTools;
}

/** redis-cli PING from `host` (the address the client connects to is also the one it comes from). */
function ping(redis: RedisBinary, host: string): string {
  try {
    return redisCli(redis, host, redisPort, 'PING');
  } catch (error) {
    return (error as Error).message;
  }
}

function requireRun(): WorkersRun {
  if (!run) throw new Error('the deployment did not boot (see beforeAll)');
  return run;
}

// ---------------------------------------------------------------------------------------------
// The client and where its requests landed

let requests = 0;

interface Landed {
  readonly answer: HttpAnswer;
  /** The one process that served it. */
  readonly process: string;
  json(): any;
}

/** Instances of the group `target` names: the worker instances of that role, or main. */
function instancesOf(target: RouteTarget): string[] {
  if (target === 'main') return ['main'];
  return workerInstances(spec.scale.workers)
    .filter((i) => i.group.role === target)
    .map((i) => i.name);
}

/**
 * Sends a request through Traefik and returns the one process that served it. Asserts that
 * exactly one process logged it, that the kit's routing table sends it to `expected` (the group
 * this test names for the request), and that the process is an instance of that group.
 */
async function send(method: string, path: string, expected: RouteTarget, opts: { token?: string; json?: unknown; body?: Buffer; contentType?: string; status?: number | readonly number[] } = {}): Promise<Landed> {
  const w = requireRun();
  requests += 1;
  const userAgent = `sm-workers-it/${requests}-${randomBytes(6).toString('hex')}`;
  const headers: Record<string, string> = { 'user-agent': userAgent };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: Buffer | undefined;
  if (opts.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = Buffer.from(JSON.stringify(opts.json));
  } else if (opts.body) {
    headers['content-type'] = opts.contentType ?? 'application/octet-stream';
    body = opts.body;
  }
  const answer = await httpsTo(traefikPort, matrixHost, method, path, headers, body);
  const expectedStatus = [opts.status ?? 200].flat();
  if (!expectedStatus.includes(answer.status)) throw new Error(`${method} ${path}: HTTP ${answer.status} (expected ${expectedStatus.join(' or ')}) ${answer.body.toString('utf8').slice(0, 300)}`);
  const served = await waitForServer(w, userAgent);
  const decoded = decodeURIComponent(path.split('?')[0]);
  const route = routeRequest(spec.scale.workers, method, decoded);
  const request = `${method} ${decoded}`;
  expect({ request, table: route === 'refused' ? route : route.target }).toEqual({ request, table: expected });
  expect({ request, servedBy: served }).toEqual({ request, servedBy: [expect.any(String)] });
  const group = instancesOf(expected);
  expect({ request, servedBy: served[0] }).toEqual({ request, servedBy: group.includes(served[0]) ? served[0] : `one of ${group.join(', ')}` });
  return { answer, process: served[0], json: () => JSON.parse(answer.body.toString('utf8')) };
}

const V3 = '/_matrix/client/v3';
const room = (id: string) => encodeURIComponent(id);

interface User {
  readonly userId: string;
  readonly token: string;
}
const users: User[] = [];
const USERS = 12;

/** Users registered on the main process's admin API (direct, as an operator would), not through the router. */
async function registerUsers(): Promise<void> {
  if (users.length > 0) return;
  const w = requireRun();
  const admin = new MatrixClient(`http://127.0.0.1:${w.main.ports[PORTS.synapseHttp]}`);
  for (let i = 0; i < USERS; i++) users.push(await admin.register(w.registrationSecret, `worker-user-${i}`, randomBytes(12).toString('hex')));
}

// ---------------------------------------------------------------------------------------------
// The tests

test('every process of the large preset is up: main and each worker of the plan, with Redis between them', async () => {
  const w = requireRun();
  const planned = workerInstances(spec.scale.workers).map((i) => i.name);
  // The large preset with open federation: 3+2+2+2+1+2+2+1+1+1+1 workers.
  expect(planned).toHaveLength(18);
  expect(w.processes.map((p) => p.name).sort()).toEqual(['main', ...planned].sort());
  for (const p of w.processes) expect((await fetch(p.healthUrl)).status).toBe(200);
  // Every process subscribes to the replication channel, which Synapse names after the server.
  const numsub = redisCli(requireRedis(), '127.0.0.1', redisPort, 'PUBSUB', 'NUMSUB', spec.serverName).trim().split('\n');
  expect(numsub).toEqual([spec.serverName, String(w.processes.length)]);
});

test('the Ingress sends the client and federation APIs to the router, and nothing to a Synapse process directly', () => {
  if (!ingress) throw new Error('no Ingress synthesized (see beforeAll)');
  const paths = ingress.spec.rules.filter((r) => r.host === matrixHost).flatMap((r) => r.http.paths);
  for (const prefix of ['/_matrix', '/_synapse/client']) {
    expect({ prefix, backend: paths.find((p) => p.path === prefix)?.backend.service }).toEqual({ prefix, backend: { name: SYNAPSE_PROCESS_HOSTS.router, port: { number: PORTS.synapseRouter } } });
  }
  const processServices = new Set(requireRun().processes.map((p) => serviceOf(p.name)));
  const direct = ingress.spec.rules.flatMap((r) => r.http.paths).filter((p) => processServices.has(p.backend.service.name));
  expect(direct).toEqual([]);
});

test("PostgreSQL's pod allows the connections of every Synapse process's pool at once", () => {
  // The kit's budget: every pool, MAS, Keycloak, the exporter, the backup agent, headroom.
  expect(podMaxConnections).toBe(postgresMaxConnections(spec));
  // Each process's pool as it runs: its worker file's `database`, else the shared one (main).
  const poolOf = (config: Record<string, unknown>) => (config.database as { args: { cp_max: number } } | undefined)?.args.cp_max;
  const pools = requireRun().processes.map((p) => poolOf(p.rendered) ?? poolOf(requireRun().shared)!);
  expect(podMaxConnections).toBeGreaterThan(pools.reduce((a, b) => a + b, 0));
});

test('Redis refuses no pod: protected mode is off, so a client from another address than loopback is served', async () => {
  if (!redisAddress) {
    console.warn('no non-loopback IPv4 address on this machine; the protected-mode check is skipped');
    return;
  }
  expect(ping(requireRedis(), redisAddress)).toBe('PONG\n');
});

test('/sync lands on a synchrotron, the same one for a token every time (initial and incremental), and tokens spread over the synchrotrons', async () => {
  await registerUsers();
  const byToken = new Map<string, Set<string>>();
  for (const user of users) {
    const initial = await send('GET', `${V3}/sync?timeout=0`, 'synchrotron', { token: user.token });
    const since = initial.json().next_batch as string;
    expect(since).toEqual(expect.any(String));
    const incremental = await send('GET', `${V3}/sync?timeout=0&since=${encodeURIComponent(since)}`, 'synchrotron', { token: user.token });
    const again = await send('GET', `${V3}/sync?timeout=0`, 'synchrotron', { token: user.token });
    byToken.set(user.token, new Set([initial.process, incremental.process, again.process]));
  }
  for (const served of byToken.values()) expect(served.size).toBe(1);
  const used = new Set([...byToken.values()].flatMap((s) => [...s]));
  expect(used.size).toBeGreaterThan(1);
}, 300_000);

const ROOMS = 12;
const rooms: string[] = [];
const sent = new Map<string, string[]>();

test('room creation and event sending land on an event creator, one per room; the event persisters write the events, and /sync on a synchrotron sees them', async () => {
  await registerUsers();
  const [alice] = users;
  const syncFilter = encodeURIComponent(JSON.stringify({ room: { timeline: { limit: 50 } } }));
  const before = (await send('GET', `${V3}/sync?timeout=0&filter=${syncFilter}`, 'synchrotron', { token: alice.token })).json().next_batch as string;
  const creators = new Map<string, Set<string>>();
  for (let i = 0; i < ROOMS; i++) {
    const created = await send('POST', `${V3}/createRoom`, 'event-creator', { token: alice.token, json: { name: `workers ${i}`, preset: 'private_chat' } });
    const roomId = created.json().room_id as string;
    rooms.push(roomId);
    const served = new Set<string>();
    for (let m = 0; m < 2; m++) {
      const message = await send('PUT', `${V3}/rooms/${room(roomId)}/send/m.room.message/t${i}-${m}`, 'event-creator', { token: alice.token, json: { msgtype: 'm.text', body: `message ${m} in room ${i}` } });
      served.add(message.process);
      sent.set(roomId, [...(sent.get(roomId) ?? []), message.json().event_id as string]);
    }
    creators.set(roomId, served);
  }
  for (const served of creators.values()) expect(served.size).toBe(1);
  expect(new Set([...creators.values()].flatMap((s) => [...s])).size).toBeGreaterThan(1);

  // Who wrote each event to the database: Synapse records the writer of the events stream.
  const persisters = instancesOf('event-persister');
  const rows = requirePg()
    .psql(['-At', '-d', 'synapse', '-c', `SELECT room_id, event_id, instance_name FROM events WHERE room_id IN (${rooms.map((r) => `'${r}'`).join(',')})`])
    .trim()
    .split('\n')
    .map((line) => line.split('|'));
  const writerOf = new Map(rows.map(([, eventId, instance]) => [eventId, instance]));
  for (const eventIds of sent.values()) for (const eventId of eventIds) expect(persisters).toContain(writerOf.get(eventId));
  // Every event of a room (creation, state, messages) has one writer: the events stream is sharded by room.
  const writersByRoom = new Map<string, Set<string>>();
  for (const [roomId, , instance] of rows) writersByRoom.set(roomId, new Set([...(writersByRoom.get(roomId) ?? []), instance]));
  expect(writersByRoom.size).toBe(ROOMS);
  for (const writers of writersByRoom.values()) {
    expect(writers.size).toBe(1);
    expect(persisters).toContain([...writers][0]);
  }
  expect(new Set([...writersByRoom.values()].flatMap((s) => [...s])).size).toBe(persisters.length);

  // Alice's incremental sync, on her synchrotron, carries every message once replication has brought it there.
  const expectedIds = [...sent.values()].flat();
  let seen = new Set<string>();
  for (let attempt = 0; attempt < 40 && !expectedIds.every((id) => seen.has(id)); attempt++) {
    if (attempt > 0) await sleep(250);
    const joined = (await send('GET', `${V3}/sync?timeout=0&filter=${syncFilter}&since=${encodeURIComponent(before)}`, 'synchrotron', { token: alice.token })).json().rooms?.join ?? {};
    seen = new Set(Object.values(joined as Record<string, { timeline: { events: { event_id: string }[] } }>).flatMap((r) => r.timeline.events.map((e) => e.event_id)));
  }
  expect(expectedIds.filter((id) => !seen.has(id))).toEqual([]);
}, 600_000);

test('/messages of a room lands on a client reader, always the same one for that room, and rooms spread over the readers', async () => {
  expect(rooms).toHaveLength(ROOMS);
  const [alice] = users;
  const readers = new Map<string, Set<string>>();
  for (const roomId of rooms) {
    const served = new Set<string>();
    // The reader learns of new events through replication; it may take a moment.
    let bodies: string[] = [];
    for (let attempt = 0; attempt < 20 && bodies.length < 2; attempt++) {
      const page = await send('GET', `${V3}/rooms/${room(roomId)}/messages?dir=b&limit=50`, 'client-reader', { token: alice.token });
      served.add(page.process);
      bodies = (page.json().chunk as { type: string; content: { body?: string } }[]).filter((e) => e.type === 'm.room.message').map((e) => e.content.body ?? '');
      if (bodies.length < 2) await sleep(250);
    }
    expect(bodies.sort()).toEqual([0, 1].map((m) => `message ${m} in room ${rooms.indexOf(roomId)}`));
    await send('GET', `${V3}/rooms/${room(roomId)}/messages?dir=b&limit=1`, 'client-reader', { token: alice.token }).then((p) => served.add(p.process));
    readers.set(roomId, served);
  }
  for (const served of readers.values()) expect(served.size).toBe(1);
  expect(new Set([...readers.values()].flatMap((s) => [...s])).size).toBeGreaterThan(1);
}, 300_000);

test('media upload and download land on the media repository, and the bytes come back', async () => {
  await registerUsers();
  const [alice] = users;
  const content = randomBytes(64 * 1024);
  const uploaded = await send('POST', '/_matrix/media/v3/upload?filename=blob.bin', 'media-repository', { token: alice.token, body: content });
  const uri = uploaded.json().content_uri as string;
  expect(uri).toMatch(new RegExp(`^mxc://${spec.serverName.replace(/\./g, '\\.')}/[A-Za-z0-9]+$`));
  const [server, mediaId] = uri.slice('mxc://'.length).split('/');
  const downloaded = await send('GET', `/_matrix/client/v1/media/download/${server}/${mediaId}`, 'media-repository', { token: alice.token });
  expect(downloaded.answer.body.equals(content)).toBe(true);
  expect(uploaded.process).toBe(downloaded.process);
});

test('stream writes land on the stream writer, reads of the same paths on a client reader, and what no worker serves on main', async () => {
  await registerUsers();
  const [alice] = users;
  expect(rooms.length).toBeGreaterThan(0);
  await send('PUT', `${V3}/rooms/${room(rooms[0])}/typing/${encodeURIComponent(alice.userId)}`, 'stream-writer', { token: alice.token, json: { typing: true, timeout: 5000 } });
  const path = `${V3}/user/${encodeURIComponent(alice.userId)}/account_data/eu.example.workers`;
  await send('PUT', path, 'stream-writer', { token: alice.token, json: { written: 'by the stream writer' } });
  // The reader sees the write once replication has carried it.
  let read = await send('GET', path, 'client-reader', { token: alice.token, status: [200, 404] });
  for (let attempt = 0; attempt < 20 && read.answer.status === 404; attempt++) {
    await sleep(250);
    read = await send('GET', path, 'client-reader', { token: alice.token, status: [200, 404] });
  }
  expect(read.json()).toEqual({ written: 'by the stream writer' });
  // GET /pushers is in no worker's list in Synapse's documentation.
  await send('GET', `${V3}/pushers`, 'main', { token: alice.token });
  await send('GET', '/_matrix/client/versions', 'client-reader');
});

test('federation: reads land on a federation reader, inbound transactions on the inbound worker', async () => {
  const version = await send('GET', '/_matrix/federation/v1/version', 'federation-reader');
  expect(version.json().server.name).toBe('Synapse');
  // Unsigned, so refused, but by the process the router sends transactions to.
  await send('PUT', '/_matrix/federation/v1/send/workers-it-1', 'federation-inbound', { json: { pdus: [], edus: [] }, status: 401 });
});

test('the admin API is never forwarded: not by the ingress, not by the router', async () => {
  const w = requireRun();
  for (const path of ['/_synapse/admin/v1/server_version', '/_synapse/admin/v1/register', '/_synapse/admin/v1/rooms/!x:y', '/_synapse/admin/v2/users/@a:b']) {
    const userAgent = `sm-workers-it/admin-${randomBytes(6).toString('hex')}`;
    const viaIngress = await httpsTo(traefikPort, matrixHost, 'GET', path, { 'user-agent': userAgent });
    expect([403, 404]).toContain(viaIngress.status);
    // Straight to the router, as another pod in the namespace could.
    const res = await fetch(`http://127.0.0.1:${routerPort}${path}`, { headers: { 'user-agent': userAgent } });
    expect([403, 404]).toContain(res.status);
    expect(res.headers.get('server') ?? '').toMatch(/^nginx/);
    await sleep(300);
    expect({ path, servedBy: processesThatServedAny(w, userAgent) }).toEqual({ path, servedBy: [] });
  }
});

function processesThatServedAny(w: WorkersRun, userAgent: string): string[] {
  return w.processes.filter((p) => readFileSync(p.logFile, 'utf8').includes(userAgent)).map((p) => p.name);
}

function requirePg(): Postgres {
  if (!pg) throw new Error('PostgreSQL did not start');
  return pg;
}
