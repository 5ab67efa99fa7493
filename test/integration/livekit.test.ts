/**
 * The SFU of group calls for real: LiveKit 1.13.5 (scripts/tools.sh livekit, built from the Go
 * module proxy) boots with the rendered livekit.yaml (test/integration/livekit-run.ts names the
 * overlay) and the key file its entrypoint writes from the rendered template with a random
 * secret, as deploy generates it, and
 * - accepts tokens signed with that key: it creates a room (what lk-jwt-service does for a user
 *   allowed to start a call), lists it, and lets a participant join it;
 * - refuses tokens signed with another secret, or naming another key;
 * - creates no room for a mere join token (auto_create off: rooms only through lk-jwt-service);
 * - hands the joining client the deployment's coturn, with a credential coturn accepts (HMAC-SHA1
 *   of the mounted shared secret), and no STUN server of a third party;
 * - signs its webhooks (to lk-jwt-service) with the same key;
 * - refuses to start when the key file is readable by others (the Secret volume's mode matters).
 */
import type { ChildProcess } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseDeployment } from '../../src/config/load';
import { LIVEKIT_CONFIG_PATH, LIVEKIT_ENV, LIVEKIT_KEY_NAME, LIVEKIT_KEYS_PATH, LIVEKIT_SECRET_FILES, livekitKeyFile, renderLivekit } from '../../src/render/livekit';
import { CALL_VERSIONS } from '../../src/versions';
import { firstWebSocketMessage, iceServersIn, livekitOverlay, livekitToken, runLivekitUntilExit, startLivekit, verifiedClaims } from './livekit-run';
import { freePort } from './postgres';
import { stopProcessGroup } from './process-group';
import { builtFrom, ensureTools } from './tools';

const spec = parseDeployment(
  'name: ministry\nserver_name: ministry.example.eu\nsize: medium\ntarget:\n  kubernetes:\n    context: test\nadmin_contact: ops@ministry.example.eu\nbackup:\n  enabled: false\n',
  'calls.yaml',
);

const secret = randomBytes(32).toString('hex');
const turnSecret = randomBytes(32).toString('hex');
const timings: string[] = [];
const webhooks: { auth: string; body: string }[] = [];
let root = '';
let binary = '';
let base = '';
let configFile = '';
let livekit: ChildProcess | undefined;
let receiver: Server | undefined;

beforeAll(async () => {
  let step = Date.now();
  binary = join(ensureTools('livekit'), 'livekit-server');
  timings.push(`scripts/tools.sh livekit: ${seconds(Date.now() - step)}`);
  root = mkdtempSync(join(tmpdir(), 'sm-livekit-it-'));

  // The secret files: the key file the entrypoint writes from the rendered template (umask 077)
  // with the secret deploy generates, and coturn's shared secret as mounted (no access for others).
  const files = renderLivekit(spec);
  const template = files.find((f) => f.path === LIVEKIT_KEYS_PATH)!.content;
  const keyFile = join(root, LIVEKIT_SECRET_FILES.keyFile);
  const turnFile = join(root, LIVEKIT_SECRET_FILES.turnSecret);
  for (const [path, content] of [[keyFile, template.replaceAll(`@@${LIVEKIT_ENV.apiSecret}@@`, secret)], [turnFile, `${turnSecret}\n`]]) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content, { mode: 0o600 });
  }

  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      webhooks.push({ auth: String(req.headers.authorization ?? ''), body });
      res.end();
    });
  });
  const webhookPort = await freePort();
  await new Promise<void>((resolve) => receiver!.listen(webhookPort, '127.0.0.1', resolve));

  const rendered = files.find((f) => f.path === LIVEKIT_CONFIG_PATH)!;
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  configFile = join(root, 'livekit.yaml');
  writeFileSync(configFile, livekitOverlay(rendered.content, { root, port, tcpPort: await freePort(), webhookUrl: `http://127.0.0.1:${webhookPort}/sfu_webhook` }));
  step = Date.now();
  livekit = await startLivekit(binary, configFile, join(root, 'livekit.log'), base, 30_000);
  timings.push(`livekit-server start to first answer: ${seconds(Date.now() - step)}`);
}, 40 * 60_000);

afterAll(async () => {
  if (livekit) await stopProcessGroup(livekit, 10_000);
  await new Promise((resolve) => (receiver ? receiver.close(resolve) : resolve(undefined)));
  if (root && !process.env.SOVEREIGN_MATRIX_KEEP_TEST_DIRS) rmSync(root, { recursive: true, force: true });
  console.log(`LiveKit integration timings:\n  ${timings.join('\n  ')}`);
}, 60_000);

/** A call of LiveKit's room API (Twirp, JSON) with a bearer token. */
async function roomService(method: string, token: string, body: unknown): Promise<{ status: number; json: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await fetch(`${base}/twirp/livekit.RoomService/${method}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, json: res.status === 200 ? JSON.parse(text) : text };
}

const ROOM = '!call-room:ministry.example.eu';

test('the binary is the pinned release, built from the Go module proxy', () => {
  expect(builtFrom('livekit-server')).toEqual({ module: 'github.com/livekit/livekit-server', version: `v${CALL_VERSIONS.livekit}` });
});

test('a token signed with the rendered key creates a room, as lk-jwt-service does for a user allowed to start calls, and lists it', async () => {
  const create = await roomService('CreateRoom', livekitToken(LIVEKIT_KEY_NAME, secret, { sub: 'lk-jwt-service', video: { roomCreate: true } }), { name: ROOM });
  expect(create.status).toBe(200);
  expect(create.json.name).toBe(ROOM);
  const list = await roomService('ListRooms', livekitToken(LIVEKIT_KEY_NAME, secret, { video: { roomList: true } }), {});
  expect(list.status).toBe(200);
  expect(list.json.rooms.map((r: { name: string }) => r.name)).toEqual([ROOM]);
});

test('a token signed with another secret, or naming another key, is refused', async () => {
  const other = randomBytes(32).toString('hex');
  for (const token of [
    livekitToken(LIVEKIT_KEY_NAME, other, { video: { roomCreate: true } }),
    livekitToken('another-key', secret, { video: { roomCreate: true } }),
  ]) {
    const res = await roomService('CreateRoom', token, { name: 'intruder' });
    expect(res.status).toBe(401);
  }
  const list = await roomService('ListRooms', livekitToken(LIVEKIT_KEY_NAME, secret, { video: { roomList: true } }), {});
  expect(list.json.rooms.map((r: { name: string }) => r.name)).not.toContain('intruder');
  const join = livekitToken(LIVEKIT_KEY_NAME, other, { sub: '@mallory:ministry.example.eu', video: { roomJoin: true, room: ROOM } });
  await expect(firstWebSocketMessage(`${base}/rtc?access_token=${join}&protocol=16`, 10_000)).rejects.toThrow(/HTTP 401/);
});

test('a join token creates no room: rooms exist only through lk-jwt-service (auto_create off)', async () => {
  const join = livekitToken(LIVEKIT_KEY_NAME, secret, { sub: '@alice:ministry.example.eu', video: { roomJoin: true, room: '!no-such-call:ministry.example.eu' } });
  const res = await fetch(`${base}/rtc/validate?access_token=${join}`, { signal: AbortSignal.timeout(10_000) });
  expect(res.status).toBe(404);
  const list = await roomService('ListRooms', livekitToken(LIVEKIT_KEY_NAME, secret, { video: { roomList: true } }), {});
  expect(list.json.rooms.map((r: { name: string }) => r.name)).toEqual([ROOM]);
});

test("a participant joins the room and is handed the deployment's coturn only, with a credential coturn accepts", async () => {
  const step = Date.now();
  const join = livekitToken(LIVEKIT_KEY_NAME, secret, { sub: '@alice:ministry.example.eu', video: { roomJoin: true, room: ROOM } });
  expect(await (await fetch(`${base}/rtc/validate?access_token=${join}`)).text()).toBe('success');
  const message = await firstWebSocketMessage(`${base}/rtc?access_token=${join}&protocol=16&auto_subscribe=1`, 15_000);
  timings.push(`join (WebSocket to join response): ${seconds(Date.now() - step)}`);
  const text = message.toString('latin1');
  for (const foreign of ['google', 'twilio', 'livekit.io', 'livekit.cloud']) expect(text).not.toContain(foreign);
  const servers = iceServersIn(message);
  const turnHost = spec.hostnames.turn;
  expect(servers.flatMap((s) => s.urls).sort()).toEqual(
    [`stun:${turnHost}:3478`, `turn:${turnHost}:3478?transport=udp`, `turn:${turnHost}:3478?transport=tcp`, `turns:${turnHost}:5349?transport=tcp`].sort(),
  );
  for (const server of servers.filter((s) => s.urls.some((u) => u.startsWith('turn')))) {
    // coturn's use-auth-secret: username "<expiry>:<id>", password base64(HMAC-SHA1(secret, username)).
    const [expiry] = server.username.split(':');
    expect(Number(expiry)).toBeGreaterThan(Date.now() / 1000);
    expect(server.credential).toBe(createHmac('sha1', turnSecret).update(server.username).digest('base64'));
  }
});

test("webhooks (to lk-jwt-service) are signed with the same key, over the body's SHA-256", async () => {
  const deadline = Date.now() + 15_000;
  while (!webhooks.some((w) => w.body.includes('room_started')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  const started = webhooks.find((w) => w.body.includes('room_started'));
  expect(started).toBeDefined();
  const claims = verifiedClaims(started!.auth.replace(/^Bearer /, ''), secret);
  expect(claims).toMatchObject({ iss: LIVEKIT_KEY_NAME, sha256: createHash('sha256').update(started!.body).digest('base64') });
  expect(JSON.parse(started!.body).room.name).toBe(ROOM);
});

test('LiveKit refuses to start when the key file is readable by others', async () => {
  const open = join(root, 'open');
  const keyFile = join(open, LIVEKIT_SECRET_FILES.keyFile);
  const turnFile = join(open, LIVEKIT_SECRET_FILES.turnSecret);
  mkdirSync(dirname(keyFile), { recursive: true });
  mkdirSync(dirname(turnFile), { recursive: true });
  writeFileSync(keyFile, livekitKeyFile(secret));
  chmodSync(keyFile, 0o644); // a Secret volume's default mode
  writeFileSync(turnFile, turnSecret, { mode: 0o600 });
  const config = readFileSync(configFile, 'utf8').replaceAll(root, open);
  const file = join(open, 'livekit.yaml');
  writeFileSync(file, config.replace(/^port: \d+$/m, `port: ${await freePort()}`).replace(/^  tcp_port: \d+$/m, `  tcp_port: ${await freePort()}`));
  const run = await runLivekitUntilExit(binary, file, 20_000);
  // It stops before listening, but with exit status 0 (measured on 1.13.5): the pod's restart
  // policy, not the status, keeps it from running with an exposed key.
  expect(run.output.trim()).toBe('key file others permissions must be set to 0');
  expect(run.code).not.toBeNull(); // exited by itself, not killed at the timeout
});

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
