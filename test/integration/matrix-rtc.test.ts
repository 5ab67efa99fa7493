/**
 * The homeserver's part of group calls, with the real Synapse (the pinned release from PyPI,
 * booted with the rendered homeserver.yaml of a medium deployment, which runs group calls, and
 * closed federation):
 * - the OpenID exchange lk-jwt-service relies on: a local user gets an OpenID token from the
 *   client API, and the federation OpenID userinfo endpoint, where lk-jwt-service resolves it
 *   (after federation discovery through .well-known/matrix/server, the rendered m.server on 443,
 *   which the ingress routes to the same listener), names that user; the server name in the
 *   token is the one lk-jwt-service lets create rooms. Closed federation does not block it:
 *   Synapse's userinfo servlet takes no federation authentication, so the empty
 *   federation_domain_whitelist (which checks authenticated origins) does not apply, and the
 *   rendered listener's `federation` resource serves it. No separate `openid` resource is needed.
 * - MatrixRTC transport discovery (MSC4143) answers with the rendered focus;
 * - delayed events (MSC4140) are on, within the rendered maximum delay.
 *
 * lk-jwt-service itself is served by no registry here; its side of the exchange is what its
 * README and source (config.go, handler.go) document, and test/render/lk-jwt-service.test.ts pins
 * its environment. As in the monitoring test, MAS is not booted and Synapse keeps its own
 * password accounts (passwordLoginInsteadOfMas): that changes how the user's access token is
 * checked, not the OpenID tokens, which are Synapse's own.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { parseDeployment } from '../../src/config/load';
import { fullAccessHomeservers } from '../../src/render/lk-jwt-service';
import { rtcFocus } from '../../src/render/matrix-rtc';
import { MatrixClient, passwordLoginInsteadOfMas, startSynapse } from './backup-drill-matrix';
import { startPostgres, type Postgres } from './postgres';
import { stopProcessGroup } from './process-group';
import { installSynapse, prepareSynapseRun, type SynapseRun } from './synapse-run';

const spec = parseDeployment(
  // One Synapse process: this test boots the main process alone, and with workers it would hand
  // event persistence to event persisters that do not run here (synapse-workers.test.ts boots them).
  'name: ministry\nserver_name: ministry.example.eu\nsize: medium\ntarget:\n  kubernetes:\n    context: test\nadmin_contact: ops@ministry.example.eu\nbackup:\n  enabled: false\nfederation:\n  mode: closed\nscale:\n  synapse_workers: none\n',
  'calls.yaml',
);

const timings: string[] = [];
const sharedSecret = randomBytes(24).toString('hex');
let root = '';
let pg: Postgres | undefined;
let synapse: ChildProcess | undefined;
let run: SynapseRun | undefined;
let client: MatrixClient;
let alice: { userId: string; token: string };

beforeAll(async () => {
  const started = Date.now();
  const python = installSynapse();
  timings.push(`scripts/integration/synapse.sh: ${seconds(Date.now() - started)}`);
  root = mkdtempSync(join(tmpdir(), 'sm-matrix-rtc-it-'));
  chmodSync(root, 0o755);
  let step = Date.now();
  pg = await startPostgres(join(root, 'postgres'));
  timings.push(`PostgreSQL initdb + start: ${seconds(Date.now() - step)}`);
  step = Date.now();
  const sharedSecretFile = join(root, 'registration-shared-secret');
  writeFileSync(sharedSecretFile, sharedSecret, { mode: 0o600 });
  run = await prepareSynapseRun(python, spec, pg, join(root, 'synapse'), (overlaid) => passwordLoginInsteadOfMas(overlaid, sharedSecretFile));
  const base = `http://127.0.0.1:${run.httpPort}`;
  synapse = await startSynapse({ python, configFile: run.configFile, cwd: run.dir, logFile: run.logFile, env: { PGPASSWORD: run.dbPassword }, base, timeoutMs: 180_000 });
  timings.push(`Synapse boot (fresh database): ${seconds(Date.now() - step)}`);
  client = new MatrixClient(base);
  alice = await client.register(sharedSecret, 'alice', randomBytes(12).toString('hex'));
}, 40 * 60_000);

afterAll(async () => {
  if (synapse) await stopProcessGroup(synapse, 20_000);
  pg?.stop();
  if (root && !process.env.SOVEREIGN_MATRIX_KEEP_TEST_DIRS) rmSync(root, { recursive: true, force: true });
  console.log(`MatrixRTC (Synapse) integration timings:\n  ${timings.join('\n  ')}`);
}, 120_000);

test('the booted configuration is the closed-federation one, with the MatrixRTC settings', () => {
  const config = YAML.parse(readFileSync(run!.configFile, 'utf8'));
  expect(config.federation_domain_whitelist).toEqual([]);
  expect(config.matrix_rtc).toEqual({ transports: [rtcFocus(spec)] });
  // One listener serves the client and the federation API; no `openid` resource of its own.
  const names = config.listeners.flatMap((l: { resources?: { names: string[] }[] }) => (l.resources ?? []).flatMap((r) => r.names));
  expect(names.sort()).toEqual(['client', 'federation']);
});

test('a local user gets an OpenID token, and the federation userinfo endpoint resolves it, as lk-jwt-service will call it', async () => {
  const step = Date.now();
  const openid = await client.ok('POST', `/_matrix/client/v3/user/${encodeURIComponent(alice.userId)}/openid/request_token`, { token: alice.token, json: {} });
  expect(openid).toEqual({ access_token: expect.any(String), token_type: 'Bearer', matrix_server_name: spec.serverName, expires_in: expect.any(Number) });
  // lk-jwt-service lets this server's users create rooms (calls.group.who_may_start: local).
  expect(fullAccessHomeservers(spec).split(',')).toContain(openid.matrix_server_name);
  const userinfo = await client.request('GET', `/_matrix/federation/v1/openid/userinfo?access_token=${encodeURIComponent(openid.access_token)}`);
  expect({ status: userinfo.status, body: userinfo.json() }).toEqual({ status: 200, body: { sub: alice.userId } });
  timings.push(`OpenID token issued and resolved: ${seconds(Date.now() - step)}`);
});

test('an unknown or missing OpenID token resolves to no one', async () => {
  const unknown = await client.request('GET', `/_matrix/federation/v1/openid/userinfo?access_token=${randomBytes(16).toString('hex')}`);
  expect({ status: unknown.status, errcode: unknown.json().errcode }).toEqual({ status: 401, errcode: 'M_UNKNOWN_TOKEN' });
  // The user's access token is not an OpenID token.
  const access = await client.request('GET', `/_matrix/federation/v1/openid/userinfo?access_token=${encodeURIComponent(alice.token)}`);
  expect(access.status).toBe(401);
  const missing = await client.request('GET', '/_matrix/federation/v1/openid/userinfo');
  expect(missing.status).toBe(401);
});

test('MatrixRTC transport discovery (MSC4143) names the rendered focus', async () => {
  const body = await client.ok('GET', '/_matrix/client/unstable/org.matrix.msc4143/rtc/transports', { token: alice.token });
  expect(body).toEqual({ rtc_transports: [rtcFocus(spec)] });
});

test('delayed events (MSC4140) are on, up to the rendered 24 h', async () => {
  const { room_id: roomId } = await client.ok('POST', '/_matrix/client/v3/createRoom', { token: alice.token, json: { name: 'call' } });
  const member = (delayMs: number) =>
    client.request('PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/org.matrix.msc3401.call.member/_${alice.userId}_DEVICE?org.matrix.msc4140.delay=${delayMs}`, {
      token: alice.token,
      json: {},
    });
  const scheduled = await member(10_000);
  expect({ status: scheduled.status, body: scheduled.json() }).toEqual({ status: 200, body: { delay_id: expect.any(String) } });
  const tooLong = await member(24 * 3600_000 + 1);
  expect({ status: tooLong.status, errcode: tooLong.json().errcode }).toEqual({ status: 400, errcode: 'ORG.MATRIX.MSC4140_DELAY_TOO_LARGE' });
});

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
