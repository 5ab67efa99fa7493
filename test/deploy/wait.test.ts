import { Testing } from 'cdktf';
import { createServer as createHttpsServer } from 'node:https';
import { Interrupted } from '../../src/deploy/runner';
import { kubernetesReadyProbe, manifestKinds, waitUntil, WaitTimeout } from '../../src/deploy/wait';
import { AppsStack } from '../../stacks/apps';
import { CLUSTER_BACKUP_YAML, specOf, VALID_YAML } from '../helpers';
import { closers, listen, pem } from './helpers';

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
    // monitoring.stack auto: the ServiceMonitors are counted (they exist only when the type is served).
    expect(kindsOf(onCluster)).toEqual([{ apiVersion: 'cert-manager.io/v1', kind: 'Issuer' }]);
    expect(kindsOf(`${onCluster}monitoring:\n  stack: prometheus-operator\n`)).toEqual([
      { apiVersion: 'cert-manager.io/v1', kind: 'Issuer' },
      { apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule' },
      { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor' },
    ]);
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
