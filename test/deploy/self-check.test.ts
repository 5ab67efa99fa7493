import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer } from 'node:net';
import { selfCheck } from '../../src/deploy/self-check';
import { wellKnownClient, wellKnownServer } from '../../src/render/well-known';
import { specOf, VALID_YAML } from '../helpers';
import { closers, listen, pem, toLocalhost } from './helpers';

afterEach(() => closers.splice(0).forEach((close) => close()));

describe('self-check', () => {
  const spec = specOf(VALID_YAML.replace(/ministry\.example\.eu/g, 'test.example.eu')+ 'federation:\n  mode: open\n');
  const good = {
    // The rendered files are the source of truth; the check compares against them.
    '/.well-known/matrix/server': { body: wellKnownServer(spec) },
    '/.well-known/matrix/client': { body: wellKnownClient(spec), cors: true },
    '/_matrix/client/versions': { body: { versions: ['v1.11'] } },
    '/_matrix/federation/v1/version': { body: { server: { name: 'Synapse', version: '1.163.2' } } },
  } as Record<string, { body: unknown; cors?: boolean; status?: number }>;

  async function site(routes: typeof good, cert = 'server') {
    const server = createHttpsServer({ key: pem(`${cert}-key`), cert: pem(cert) }, (req, res) => {
      const route = routes[req.url ?? ''];
      if (!route) return void res.writeHead(404).end('{}');
      res.writeHead(route.status ?? 200, { 'content-type': 'application/json', ...(route.cors ? { 'access-control-allow-origin': '*' } : {}) }).end(JSON.stringify(route.body));
    });
    const https = await listen(server);
    const turn = createNetServer((s) => s.end());
    const turnPort = await listen(turn);
    closers.push(() => server.close(), () => turn.close());
    return { https, turnPort };
  }

  it('passes a deployment that answers correctly', async () => {
    const { https, turnPort } = await site(good);
    const results = await selfCheck(spec, { ca: pem('ca'), lookup: toLocalhost, httpsPort: https, turnPorts: [turnPort], timeoutMs: 2_000 });
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(results.map((r) => r.name)).toEqual([
      'TLS certificate of test.example.eu',
      'TLS certificate of matrix.test.example.eu',
      'TLS certificate of chat.test.example.eu',
      'TLS certificate of auth.test.example.eu',
      'https://test.example.eu/.well-known/matrix/server',
      'https://test.example.eu/.well-known/matrix/client',
      'https://matrix.test.example.eu/_matrix/client/versions',
      'federation (open): https://matrix.test.example.eu/_matrix/federation/v1/version',
      `TURN turn.test.example.eu:${turnPort}/tcp`,
    ]);
  });

  it('fails wrong delegation, missing CORS, a closed federation endpoint and an unreachable TURN port', async () => {
    const bad = {
      ...good,
      '/.well-known/matrix/server': { body: { 'm.server': 'elsewhere.example.eu:8448' } },
      '/.well-known/matrix/client': { body: good['/.well-known/matrix/client'].body },
      '/_matrix/federation/v1/version': { body: { errcode: 'M_FORBIDDEN' }, status: 403 },
    };
    const { https } = await site(bad);
    const closed = createNetServer();
    const closedPort = await listen(closed);
    await new Promise((r) => closed.close(r));
    const results = await selfCheck(spec, { ca: pem('ca'), lookup: toLocalhost, httpsPort: https, turnPorts: [closedPort], timeoutMs: 2_000 });
    const failed = Object.fromEntries(results.filter((r) => !r.ok).map((r) => [r.name, r.detail]));
    expect(failed).toEqual({
      'https://test.example.eu/.well-known/matrix/server': expect.stringContaining('expected {"m.server":"matrix.test.example.eu:443"}'),
      'https://test.example.eu/.well-known/matrix/client': expect.stringContaining('no Access-Control-Allow-Origin'),
      'federation (open): https://matrix.test.example.eu/_matrix/federation/v1/version': 'HTTP 403: other servers cannot federate',
      [`TURN turn.test.example.eu:${closedPort}/tcp`]: 'ECONNREFUSED',
    });
  });

  it('fails TLS that the trusted CAs did not issue', async () => {
    const { https, turnPort } = await site(good);
    const results = await selfCheck(spec, { ca: pem('other-ca'), lookup: toLocalhost, httpsPort: https, turnPorts: [turnPort], timeoutMs: 2_000 });
    const tls = results.filter((r) => r.name.startsWith('TLS'));
    expect(tls.every((r) => !r.ok && /not trusted/.test(r.detail))).toBe(true);
  });

  it('accepts any federation answer in closed mode', async () => {
    const closedSpec = specOf(VALID_YAML.replace(/ministry\.example\.eu/g, 'test.example.eu'));
    const { https, turnPort } = await site({ ...good, '/_matrix/federation/v1/version': { body: {}, status: 403 } });
    const results = await selfCheck(closedSpec, { ca: pem('ca'), lookup: toLocalhost, httpsPort: https, turnPorts: [turnPort], timeoutMs: 2_000 });
    expect(results.find((r) => r.name.startsWith('federation (closed)'))).toMatchObject({ ok: true, detail: expect.stringContaining('closed') });
  });
});
