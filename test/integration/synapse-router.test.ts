import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { DeploymentSpec } from '../../src/config/spec';
import { workerInstances } from '../../src/config/synapse-workers';
import { PORTS } from '../../src/ports';
import { routeRequest } from '../../src/render/synapse-routes';
import { renderSynapseRouter } from '../../src/render/synapse-router';
import { SYNAPSE_PROCESS_HOSTS, synapseWorkerHost } from '../../src/render/synapse-workers';
import { specWith } from '../render/fixtures';
import { EXAMPLES, ROOM } from '../render/synapse-route-examples';
import { tempDir } from '../helpers';

/**
 * The rendered router configuration in real nginx (Debian's 1.22; the pod runs the unprivileged
 * image's 1.28). Every Synapse process is a stub HTTP server that answers with its own Service
 * name and what it received, so the test sees which process nginx picked for each request.
 *
 * The documented overlay: Service hosts (`server synapse-…:8008;`) do not resolve here, so each
 * becomes 127.0.0.1 and a stub's port; `listen 8080;` becomes a free local port; `/tmp/` (pid and
 * temporary files) becomes the test's directory. overlay() undoes the substitution and throws
 * unless it gives back the rendered file, so nothing else can differ.
 */

interface Echo {
  readonly host: string;
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

interface Router {
  readonly base: string;
  readonly dir: string;
  readonly nginx: ChildProcess;
  readonly stubs: Server[];
  /** The access log's lines so far. */
  readonly log: () => string[];
}

const LARGE = specWith('size: large\nfederation:\n  mode: open\n');
const MEDIUM = specWith('size: medium\nfederation:\n  mode: open\n');

/** Every host:port the router may proxy to: main and each worker instance. */
function hosts(spec: DeploymentSpec): string[] {
  return [SYNAPSE_PROCESS_HOSTS.main, ...workerInstances(spec.scale.workers).map((i) => synapseWorkerHost(i.name))];
}

function overlay(conf: string, listen: number, stubPorts: ReadonlyMap<string, number>, dir: string): string {
  let changed = conf.replace(`listen ${PORTS.synapseRouter};`, `listen 127.0.0.1:${listen};`).split('/tmp/').join(`${dir}/`);
  for (const [host, port] of stubPorts) changed = changed.split(`server ${host}:${PORTS.synapseHttp};`).join(`server 127.0.0.1:${port};`);
  let undo = changed.replace(`listen 127.0.0.1:${listen};`, `listen ${PORTS.synapseRouter};`);
  for (const [host, port] of stubPorts) undo = undo.split(`server 127.0.0.1:${port};`).join(`server ${host}:${PORTS.synapseHttp};`);
  undo = undo.split(`${dir}/`).join('/tmp/');
  if (undo !== conf) throw new Error('overlay changed more than the listen port, the upstream addresses and /tmp');
  return changed;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

async function startRouter(spec: DeploymentSpec): Promise<Router> {
  const dir = tempDir('sm-router-');
  chmodSync(dir, 0o777);
  const stubs: Server[] = [];
  const stubPorts = new Map<string, number>();
  for (const host of hosts(spec)) {
    const stub = createHttpServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const echo: Echo = { host, method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString() };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(echo));
      });
    });
    stubs.push(stub);
    stubPorts.set(host, await listen(stub));
  }
  const probe = createHttpServer();
  const port = await listen(probe);
  await new Promise((r) => probe.close(r));
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, overlay(renderSynapseRouter(spec)[0].content, port, stubPorts, dir));
  // The access log goes to /dev/stdout, as in the pod: here a file (a socket cannot be opened by path).
  const logFile = join(dir, 'access.log');
  const check = spawnSync('nginx', ['-t', '-e', 'stderr', '-c', conf, '-p', dir], { encoding: 'utf8', stdio: ['ignore', openSync(logFile, 'w'), 'pipe'] });
  if (check.status !== 0) {
    for (const stub of stubs) stub.close();
    throw new Error(`nginx -t refused the rendered router configuration:\n${check.stderr}`);
  }
  const nginx = spawn('nginx', ['-e', 'stderr', '-c', conf, '-p', dir, '-g', 'daemon off;'], { stdio: ['ignore', openSync(logFile, 'w'), 'inherit'] });
  const router: Router = { base: `http://127.0.0.1:${port}`, dir, nginx, stubs, log: () => readFileSync(logFile, 'utf8').split('\n').filter(Boolean) };
  for (let i = 0; i < 50; i++) {
    try {
      if ((await fetch(`${router.base}/health`)).ok) return router;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  stopRouter(router);
  throw new Error('the router did not answer');
}

function stopRouter(router: Router | undefined): void {
  router?.nginx.kill('SIGQUIT');
  for (const stub of router?.stubs ?? []) stub.close();
}

async function send(router: Router, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; echo?: Echo }> {
  const response = await fetch(`${router.base}${path}`, { method, headers, body });
  const text = await response.text();
  return { status: response.status, echo: response.status === 200 && text.startsWith('{') ? (JSON.parse(text) as Echo) : undefined };
}

/** The role of the process that answered (`synapse-synchrotron-2` -> synchrotron), main for `synapse`. */
function roleOf(host: string): string {
  return host === SYNAPSE_PROCESS_HOSTS.main ? 'main' : host.replace(/^synapse-/, '').replace(/-\d+$/, '');
}

beforeAll(() => {
  const install = spawnSync('bash', [join(__dirname, '..', '..', 'scripts', 'integration', 'nginx.sh')], { stdio: 'inherit' });
  if (install.status !== 0) throw new Error('scripts/integration/nginx.sh failed');
});

describe.each([
  ['large', LARGE],
  ['medium', MEDIUM],
] as const)('the Synapse router in real nginx (%s)', (_name, spec) => {
  let router: Router;
  beforeAll(async () => {
    router = await startRouter(spec);
  });
  afterAll(() => stopRouter(router));

  it('sends every documented example path to the process the table names, unchanged', async () => {
    for (const [method, path] of EXAMPLES) {
      const expected = routeRequest(spec.scale.workers, method, path);
      if (expected === 'refused') continue;
      const body = method === 'GET' || method === 'HEAD' ? undefined : '{}';
      const { status, echo } = await send(router, method, `${path}?since=s1&access_token=tok`, {}, body);
      expect([method, path, status, roleOf(echo!.host)]).toEqual([method, path, 200, expected.target]);
      // The request reaches Synapse exactly as the client sent it: path, query, method, body.
      const sent = new URL(`${router.base}${path}?since=s1&access_token=tok`);
      expect(echo!.url).toBe(`${sent.pathname}${sent.search}`);
      expect(echo!.method).toBe(method);
      if (body) expect(echo!.body).toBe(body);
    }
  });

  it('refuses the admin API and anything outside /_matrix/ and /_synapse/{client,mas}/', async () => {
    for (const path of ['/_synapse/admin/v1/rooms/!r:x', '/_synapse/admin/v2/users/@u:x', '/_synapse/metrics', '/']) {
      expect((await send(router, 'GET', path)).status).toBe(404);
      expect((await send(router, 'POST', path, {}, '{}')).status).toBe(404);
    }
  });

  it('passes on the client address, scheme and host the ingress saw', async () => {
    // node:http, not fetch: fetch sets Host itself.
    const echo = await new Promise<Echo>((resolve, reject) => {
      const url = new URL(`${router.base}/_matrix/client/versions`);
      const headers = { Host: 'matrix.ministry.example.eu', 'X-Forwarded-For': '198.51.100.23', 'X-Forwarded-Proto': 'https' };
      const req = request({ host: url.hostname, port: url.port, path: url.pathname, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString()) as Echo));
      });
      req.on('error', reject);
      req.end();
    });
    expect(echo!.headers.host).toBe('matrix.ministry.example.eu');
    expect(echo!.headers['x-forwarded-proto']).toBe('https');
    // Synapse takes the first address: the client's; the router appends the ingress's.
    expect(String(echo!.headers['x-forwarded-for']).split(',')[0].trim()).toBe('198.51.100.23');
  });

  it('refuses an upload larger than max_upload_size before reading it', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL(`${router.base}/_matrix/media/v3/upload`);
      const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'Content-Length': String(50 * 1024 * 1024 + 1) } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(413);
  });

  it('writes no access token to its log', async () => {
    await send(router, 'GET', '/_matrix/client/v3/sync?access_token=secret_token_value');
    await new Promise((r) => setTimeout(r, 200));
    expect(router.log().some((line) => line.includes('/_matrix/client/v3/sync'))).toBe(true);
    expect(router.log().join('\n')).not.toContain('secret_token_value');
  });
});

describe('balancing in real nginx (large: three synchrotrons, two client readers, two event creators)', () => {
  let router: Router;
  beforeAll(async () => {
    router = await startRouter(LARGE);
  });
  afterAll(() => stopRouter(router));

  const hostOf = async (method: string, path: string, headers: Record<string, string> = {}) =>
    (await send(router, method, path, headers, method === 'GET' ? undefined : '{}')).echo!.host;

  it('keeps one access token on one synchrotron, header or query parameter alike, and spreads tokens', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const token = `mat_token${i}_abc`;
      const first = await hostOf('GET', '/_matrix/client/v3/sync', { Authorization: `Bearer ${token}` });
      for (let j = 0; j < 3; j++) expect(await hostOf('GET', '/_matrix/client/v3/sync?since=s', { Authorization: `Bearer ${token}` })).toBe(first);
      expect(await hostOf('GET', `/_matrix/client/v3/sync?access_token=${token}`)).toBe(first);
      seen.add(first);
    }
    expect(seen.size).toBe(3);
  });

  it('keeps every /messages request of a room on one client reader, in every API version', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const room = `!room${i}:ministry.example.eu`;
      const first = await hostOf('GET', `/_matrix/client/v3/rooms/${room}/messages?from=a`);
      expect(await hostOf('GET', `/_matrix/client/r0/rooms/${room}/messages?from=b`)).toBe(first);
      expect(await hostOf('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/messages`)).toBe(first);
      seen.add(first);
    }
    expect(seen.size).toBe(2);
  });

  it('sends one room\'s events through one event creator', async () => {
    const first = await hostOf('PUT', `/_matrix/client/v3/rooms/${ROOM}/send/m.room.message/t1`);
    for (let i = 2; i < 6; i++) expect(await hostOf('PUT', `/_matrix/client/v3/rooms/${ROOM}/send/m.room.message/t${i}`)).toBe(first);
    expect(await hostOf('PUT', `/_matrix/client/v3/rooms/${ROOM}/state/m.room.topic/`)).toBe(first);
  });

  it('spreads requests without affinity over the instances', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) seen.add(await hostOf('GET', '/_matrix/client/versions'));
    expect(seen).toEqual(new Set(['synapse-client-reader-0', 'synapse-client-reader-1']));
  });

  it('the access log names the upstream, so operators see where a request went', () => {
    expect(router.log().some((line) => line.endsWith('synapse_synchrotron'))).toBe(true);
    expect(readFileSync(join(router.dir, 'nginx.conf'), 'utf8')).toContain('listen 127.0.0.1:');
  });
});

describe('a worker role that does not answer (large)', () => {
  let router: Router;
  beforeAll(async () => {
    router = await startRouter(LARGE);
  });
  afterAll(() => stopRouter(router));

  /** Stops the stub standing in for one Synapse process, as a crashed pod would. */
  const stop = async (host: string) => {
    const server = router.stubs[hosts(LARGE).indexOf(host)];
    await new Promise((r) => server.close(r));
  };
  const typing = `/_matrix/client/v3/rooms/${ROOM}/typing/@u:ministry.example.eu`;

  it('sends its requests to the main process, body and all, and the media repository’s to nobody', async () => {
    // Before: the stream writer answers typing, the media worker uploads.
    expect(roleOf((await send(router, 'PUT', typing, {}, '{"typing":true}')).echo!.host)).toBe('stream-writer');
    expect(roleOf((await send(router, 'POST', '/_matrix/media/v3/upload', {}, 'bytes')).echo!.host)).toBe('media-repository');
    await stop(synapseWorkerHost('stream-writer-0'));
    await stop(synapseWorkerHost('media-repository-0'));
    const fallback = await send(router, 'PUT', typing, {}, '{"typing":true}');
    expect([fallback.status, roleOf(fallback.echo!.host), fallback.echo!.body, fallback.echo!.url]).toEqual([200, 'main', '{"typing":true}', typing]);
    // The main process has no media repository (enable_media_repo: false): the router says so.
    expect((await send(router, 'POST', '/_matrix/media/v3/upload', {}, 'bytes')).status).toBe(502);
  });

  it('keeps a role with instances left on them: one synchrotron down, its tokens move to the others', async () => {
    const token = 'mat_fallback_token';
    const first = (await send(router, 'GET', '/_matrix/client/v3/sync', { authorization: `Bearer ${token}` })).echo!.host;
    await stop(first);
    const next = await send(router, 'GET', '/_matrix/client/v3/sync', { authorization: `Bearer ${token}` });
    expect(next.status).toBe(200);
    expect(roleOf(next.echo!.host)).toBe('synchrotron');
    expect(next.echo!.host).not.toBe(first);
  });
});
