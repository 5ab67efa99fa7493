import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type LookupFunction } from 'node:net';
import { join } from 'node:path';
import { Interrupted } from '../../src/deploy/runner';
import { selfCheck } from '../../src/deploy/self-check';
import { wellKnownClient, wellKnownServer } from '../../src/render/well-known';
import { kubernetesReadyProbe, manifestKinds, waitUntil, WaitTimeout } from '../../src/deploy/wait';
import { Testing } from 'cdktf';
import { AppsStack } from '../../stacks/apps';
import { CLUSTER_BACKUP_YAML, specOf, VALID_YAML } from '../helpers';

/** Local HTTPS servers with a test CA (test/fixtures/deploy/certs) stand in for the cluster and the homeserver. */
const CERTS = join(__dirname, '..', 'fixtures', 'deploy', 'certs');
const pem = (name: string) => readFileSync(join(CERTS, `${name}.pem`), 'utf8');
const toLocalhost: LookupFunction = (_host, options, callback) => {
  if ((options as { all?: boolean }).all) (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: '127.0.0.1', family: 4 }]);
  else callback(null, '127.0.0.1', 4);
};

function listen(server: Server | ReturnType<typeof createNetServer>): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}
const closers: (() => void)[] = [];
afterEach(() => closers.splice(0).forEach((close) => close()));

describe('waiting for the Kubernetes API', () => {
  async function kubeApi(readyAfter: number) {
    let hits = 0;
    const server = createHttpsServer({ key: pem('server-key'), cert: pem('server'), ca: pem('ca'), requestCert: true, rejectUnauthorized: true }, (req, res) => {
      hits += 1;
      if (req.url !== '/readyz') return void res.writeHead(404).end();
      if (hits < readyAfter) return void res.writeHead(500).end('[-]etcd failed: not ready\nreadyz check failed');
      res.writeHead(200).end('ok');
    });
    const port = await listen(server);
    closers.push(() => server.close());
    return { host: `https://127.0.0.1:${port}`, hits: () => hits };
  }
  const creds = (host: string, ca = pem('ca')) => ({ host, caCertificate: ca, clientCertificate: pem('client'), clientKey: pem('client-key') });

  it('polls /readyz with the client certificate, CA-verified, until it answers ok', async () => {
    const api = await kubeApi(4);
    const progress: string[] = [];
    const attempts = await waitUntil('api', kubernetesReadyProbe(creds(api.host)), {
      timeoutMs: 5_000,
      intervalMs: 10,
      onProgress: (n, _ms, detail) => progress.push(`${n}: ${detail}`),
    });
    expect(attempts).toBe(4);
    expect(progress).toEqual(['1: HTTP 500: readyz check failed', '2: HTTP 500: readyz check failed', '3: HTTP 500: readyz check failed']);
  });

  it('never accepts a server its CA did not sign', async () => {
    const api = await kubeApi(1);
    const error = await waitUntil('the Kubernetes API', kubernetesReadyProbe(creds(api.host, pem('other-ca'))), { timeoutMs: 100, intervalMs: 20 }).catch((e) => e);
    expect(error).toBeInstanceOf(WaitTimeout);
    expect((error as WaitTimeout).detail).toMatch(/certificate/i);
    expect(api.hits()).toBe(0);
  });

  it('times out with the last reason, and stops on interrupt', async () => {
    const api = await kubeApi(1000);
    await expect(waitUntil('the Kubernetes API', kubernetesReadyProbe(creds(api.host)), { timeoutMs: 200, intervalMs: 50 })).rejects.toThrow(
      /the Kubernetes API did not answer after \d+ attempts: HTTP 500/,
    );
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await expect(waitUntil('api', kubernetesReadyProbe(creds(api.host)), { timeoutMs: 60_000, intervalMs: 20, signal: controller.signal })).rejects.toBeInstanceOf(Interrupted);
  });
});

describe('waiting for the custom resources the apps stack plans with', () => {
  const creds = (host: string) => ({ host, caCertificate: pem('ca'), clientCertificate: pem('client'), clientKey: pem('client-key') });

  it('finds the resource types of every kubernetes_manifest in the synthesized apps stack', () => {
    const kindsOf = (text: string) => manifestKinds(JSON.parse(Testing.synth(new AppsStack(Testing.app(), specOf(text)))));
    expect(kindsOf(VALID_YAML)).toEqual([{ apiVersion: 'helm.cattle.io/v1', kind: 'HelmChartConfig' }]);
    const onCluster = VALID_YAML.replace(/  hetzner:\n(    .*\n)+/, '  kubernetes:\n    context: prod\n') + CLUSTER_BACKUP_YAML;
    expect(kindsOf(onCluster)).toEqual([{ apiVersion: 'cert-manager.io/v1', kind: 'Issuer' }]);
  });

  it('after /readyz says ok, keeps waiting until API discovery serves each kind', async () => {
    let discoveryHits = 0;
    const server = createHttpsServer({ key: pem('server-key'), cert: pem('server'), ca: pem('ca'), requestCert: true, rejectUnauthorized: true }, (req, res) => {
      if (req.url === '/readyz') return void res.writeHead(200).end('ok');
      if (req.url !== '/apis/helm.cattle.io/v1') return void res.writeHead(404).end();
      discoveryHits += 1;
      // k3s registers its CRDs shortly after the API server is ready: first unknown, then listed without the kind, then served.
      if (discoveryHits === 1) return void res.writeHead(404).end('{"kind":"Status","code":404}');
      const kinds = discoveryHits === 2 ? ['HelmChart'] : ['HelmChart', 'HelmChartConfig'];
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ groupVersion: 'helm.cattle.io/v1', resources: kinds.map((kind) => ({ kind })) }));
    });
    const port = await listen(server);
    closers.push(() => server.close());
    const progress: string[] = [];
    const probe = kubernetesReadyProbe(creds(`https://127.0.0.1:${port}`), { kinds: [{ apiVersion: 'helm.cattle.io/v1', kind: 'HelmChartConfig' }] });
    const attempts = await waitUntil('api', probe, { timeoutMs: 5_000, intervalMs: 10, onProgress: (n, _ms, detail) => progress.push(`${n}: ${detail}`) });
    expect(attempts).toBe(3);
    expect(progress).toEqual(['1: HelmChartConfig (helm.cattle.io/v1) is not served yet', '2: HelmChartConfig (helm.cattle.io/v1) is not served yet']);
  });
});

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
