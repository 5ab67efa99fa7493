/**
 * A real Kubernetes control plane without nodes, for integration tests: etcd, kube-apiserver and
 * kube-controller-manager as scripts/tools.sh builds them (`scripts/tools.sh etcd kube crds`, part
 * of its default run), on loopback, on free ports, with throwaway certificates made by openssl.
 *
 * What runs: every admission plugin kube-apiserver enables by default (PodSecurity,
 * ServiceAccount, NamespaceLifecycle, ...), RBAC and Node authorization, every controller of
 * kube-controller-manager (`--controllers=*`: Deployments → ReplicaSets → Pods, StatefulSets →
 * Pods, the `default` ServiceAccount of every namespace, the namespace controller that empties and
 * finalizes deleted namespaces, the garbage collector, ...), each with its own ServiceAccount
 * credentials. What does not: no scheduler and no kubelet, so Pods are created but stay Pending
 * and nothing runs a container. The CRDs in $TOOLS_DIR/crds (k3s's HelmChartConfig, cert-manager's
 * Issuer, ClusterIssuer and Certificate, the Prometheus Operator's ServiceMonitor and PrometheusRule,
 * copied from their Go modules) are applied and Established before startControlPlane resolves;
 * no controller serves them.
 */
import { stopProcessGroup } from './process-group';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, tail } from './postgres';
import { TOOLS_DIR } from './tools';

/** The binaries a control plane needs, in $TOOLS_DIR/bin. */
export const CONTROL_PLANE_BINARIES = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kubectl'] as const;

/** The service CIDR the apiserver allocates ClusterIPs from (never routed: there are no nodes). */
const SERVICE_CIDR = '10.0.0.0/24';
/** The first address of SERVICE_CIDR, the `kubernetes` Service's ClusterIP, in the serving certificate. */
const KUBERNETES_SERVICE_IP = '10.0.0.1';
const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

export interface ControlPlaneOptions {
  /** Where scripts/tools.sh put the binaries and CRDs (default: TOOLS_DIR, as tools.ts finds it). */
  readonly toolsDir?: string;
  /** Apply the CRDs of toolsDir/crds and wait until they are Established (default true). */
  readonly crds?: boolean;
  /** Time allowed for the whole start, CRDs included (default 4 minutes). */
  readonly timeoutMs?: number;
  /** Extra kube-apiserver flags, after the defaults (a later flag wins). */
  readonly apiserverArgs?: readonly string[];
  /** Extra kube-controller-manager flags, after the defaults. */
  readonly controllerManagerArgs?: readonly string[];
}

export interface KubectlResult {
  readonly stdout: string;
  readonly stderr: string;
  /** Exit status; a kubectl killed by a signal counts as -1. */
  readonly code: number;
}

export interface ControlPlane {
  /** Path of a kubeconfig with the CA and a cluster-admin client certificate (O=system:masters), all inline. */
  readonly kubeconfig: string;
  /** The apiserver's URL, https://127.0.0.1:<port>. */
  readonly server: string;
  /** The directory of data, certificates and logs; removed by stop() unless SOVEREIGN_MATRIX_KEEP_TEST_DIRS is set. */
  readonly dir: string;
  /** The log file of each process. */
  readonly logs: { readonly etcd: string; readonly apiserver: string; readonly controllerManager: string };
  /** Runs kubectl against this control plane as cluster-admin, `input` on its standard input; never throws for a non-zero exit. */
  kubectl(args: readonly string[], input?: string): Promise<KubectlResult>;
  /** Like kubectl, but throws with stdout and stderr when the exit status is not 0. */
  kubectlOk(args: readonly string[], input?: string): Promise<KubectlResult>;
  /** Stops every process (process groups, SIGTERM then SIGKILL) and removes dir. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Why a control plane cannot start here (a binary or the CRDs are missing), with the command that
 * provides them; undefined when everything is in place. CI runs scripts/tools.sh before the suite.
 */
export function controlPlaneUnavailable(toolsDir: string = TOOLS_DIR): string | undefined {
  const missing: string[] = [];
  for (const binary of CONTROL_PLANE_BINARIES) {
    const path = join(toolsDir, 'bin', binary);
    if (!isExecutable(path)) missing.push(path);
  }
  const crds = join(toolsDir, 'crds');
  if (crdFiles(crds).length === 0) missing.push(`${crds}/*.yaml`);
  if (missing.length === 0) return undefined;
  return `the Kubernetes control plane tools are missing (${missing.join(', ')}); build them with: scripts/tools.sh etcd kube crds`;
}

/** Starts etcd, kube-apiserver and kube-controller-manager on loopback and applies the CRDs. */
export async function startControlPlane(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const toolsDir = opts.toolsDir ?? TOOLS_DIR;
  const unavailable = controlPlaneUnavailable(toolsDir);
  if (unavailable) throw new Error(unavailable);
  const bin = (name: (typeof CONTROL_PLANE_BINARIES)[number]) => join(toolsDir, 'bin', name);
  const deadline = Date.now() + (opts.timeoutMs ?? 4 * 60_000);

  const dir = mkdtempSync(join(tmpdir(), 'kube-control-plane-'));
  const logs = { etcd: join(dir, 'etcd.log'), apiserver: join(dir, 'kube-apiserver.log'), controllerManager: join(dir, 'kube-controller-manager.log') };
  const children: ChildProcess[] = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    // Reverse order of start: the controller manager, the apiserver, then etcd.
    for (const child of [...children].reverse()) await stopProcessGroup(child, 15_000);
    if (!process.env.SOVEREIGN_MATRIX_KEEP_TEST_DIRS) rmSync(dir, { recursive: true, force: true });
  };
  const failed = async (error: unknown): Promise<never> => {
    const report = [
      `the Kubernetes control plane did not start: ${(error as Error).message}`,
      ...Object.entries(logs).map(([name, file]) => `--- ${name} (${file}), last lines:\n${existsSync(file) ? tail(file, 60) : '(not started)'}`),
    ].join('\n');
    await stop();
    throw new Error(report);
  };

  try {
    const pki = makePki(join(dir, 'pki'));

    // etcd: plain HTTP on loopback, a fresh data directory; fsync off (throwaway data).
    const [etcdClient, etcdPeer] = [await freePort(), await freePort()];
    const etcdUrl = `http://127.0.0.1:${etcdClient}`;
    const peerUrl = `http://127.0.0.1:${etcdPeer}`;
    const etcd = startProcess(bin('etcd'), [
      '--name=control-plane',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=control-plane=${peerUrl}`,
      '--unsafe-no-fsync',
    ], logs.etcd);
    children.push(etcd);
    await waitFor('etcd /health', deadline, [etcd], async () => (await httpGet(`${etcdUrl}/health`)).status === 200);

    const port = await freePort();
    const server = `https://127.0.0.1:${port}`;
    const apiserver = startProcess(bin('kube-apiserver'), [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${port}`,
      // No other apiserver and no routable address: the `kubernetes` Service gets no endpoints.
      '--endpoint-reconciler-type=none',
      `--tls-cert-file=${pki.serverCert}`,
      `--tls-private-key-file=${pki.serverKey}`,
      `--client-ca-file=${pki.caCert}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
      `--service-account-key-file=${pki.serviceAccountPublic}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`,
      '--authorization-mode=Node,RBAC',
      // The aggregation layer's front proxy, as kubeadm sets it up (one CA here): the apiserver
      // publishes the request-header CA for the controller manager's delegated authentication.
      `--requestheader-client-ca-file=${pki.caCert}`,
      '--requestheader-allowed-names=front-proxy-client',
      '--requestheader-username-headers=X-Remote-User',
      '--requestheader-group-headers=X-Remote-Group',
      '--requestheader-extra-headers-prefix=X-Remote-Extra-',
      `--proxy-client-cert-file=${pki.frontProxyCert}`,
      `--proxy-client-key-file=${pki.frontProxyKey}`,
      ...(opts.apiserverArgs ?? []),
    ], logs.apiserver);
    children.push(apiserver);
    const tlsClient = { ca: readFileSync(pki.caCert), cert: readFileSync(pki.adminCert), key: readFileSync(pki.adminKey) };
    await waitFor('kube-apiserver /readyz', deadline, [etcd, apiserver], async () => (await httpGet(`${server}/readyz`, tlsClient)).status === 200);

    const kubeconfig = join(dir, 'admin.kubeconfig');
    writeKubeconfig(kubeconfig, server, pki.caCert, pki.adminCert, pki.adminKey, 'cluster-admin');
    const controllerManagerKubeconfig = join(dir, 'controller-manager.kubeconfig');
    writeKubeconfig(controllerManagerKubeconfig, server, pki.caCert, pki.controllerManagerCert, pki.controllerManagerKey, 'system:kube-controller-manager');

    const cmPort = await freePort();
    const controllerManager = startProcess(bin('kube-controller-manager'), [
      `--kubeconfig=${controllerManagerKubeconfig}`,
      `--authentication-kubeconfig=${controllerManagerKubeconfig}`,
      `--authorization-kubeconfig=${controllerManagerKubeconfig}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${cmPort}`,
      '--controllers=*',
      '--use-service-account-credentials=true',
      `--service-account-private-key-file=${pki.serviceAccountKey}`,
      `--root-ca-file=${pki.caCert}`,
      `--cluster-signing-cert-file=${pki.caCert}`,
      `--cluster-signing-key-file=${pki.caKey}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      '--leader-elect=false',
      ...(opts.controllerManagerArgs ?? []),
    ], logs.controllerManager);
    children.push(controllerManager);

    const cacheDir = join(dir, 'kubectl-cache');
    const kubectl = (args: readonly string[], input?: string) => runKubectl(bin('kubectl'), kubeconfig, cacheDir, args, input);
    const kubectlOk = async (args: readonly string[], input?: string) => {
      const result = await kubectl(args, input);
      if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${result.code}:\n${result.stderr}${result.stdout}`);
      return result;
    };

    // The controller manager is working once its ServiceAccount controller has made `default` in
    // the namespace `default` (with its own credentials, so token requests and RBAC work too).
    await waitFor('the default ServiceAccount (kube-controller-manager)', deadline, [etcd, apiserver, controllerManager],
      async () => (await kubectl(['get', 'serviceaccount', 'default', '--namespace=default', '-o', 'name'])).code === 0);

    if (opts.crds ?? true) {
      const crds = join(toolsDir, 'crds');
      await kubectlOk(['apply', '--server-side', '--field-manager=kube-control-plane', '-f', crds]);
      const seconds = Math.max(1, Math.ceil((deadline - Date.now()) / 1000));
      await kubectlOk(['wait', '--for=condition=Established', `--timeout=${seconds}s`, '-f', crds]);
    }

    return { kubeconfig, server, dir, logs, kubectl, kubectlOk, stop };
  } catch (error) {
    return failed(error);
  }
}

// --- certificates ----------------------------------------------------------------------------

interface Pki {
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  adminCert: string;
  adminKey: string;
  controllerManagerCert: string;
  controllerManagerKey: string;
  frontProxyCert: string;
  frontProxyKey: string;
  serviceAccountKey: string;
  serviceAccountPublic: string;
}

/**
 * A CA, the apiserver's serving certificate (127.0.0.1, localhost and the in-cluster names),
 * client certificates for the admin (O=system:masters), for kube-controller-manager (the user
 * its built-in RBAC bindings name) and for the front proxy, and the ServiceAccount token key pair. ECDSA P-256, valid for
 * a day.
 */
function makePki(dir: string): Pki {
  mkdirSync(dir, { recursive: true });
  const file = (name: string) => join(dir, name);
  const ecKey = (out: string) => openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', out]);
  const pki: Pki = {
    caCert: file('ca.crt'),
    caKey: file('ca.key'),
    serverCert: file('apiserver.crt'),
    serverKey: file('apiserver.key'),
    adminCert: file('admin.crt'),
    adminKey: file('admin.key'),
    controllerManagerCert: file('controller-manager.crt'),
    controllerManagerKey: file('controller-manager.key'),
    frontProxyCert: file('front-proxy-client.crt'),
    frontProxyKey: file('front-proxy-client.key'),
    serviceAccountKey: file('sa.key'),
    serviceAccountPublic: file('sa.pub'),
  };

  ecKey(pki.caKey);
  writeFileSync(file('ca.cnf'), [
    '[req]', 'distinguished_name = dn', 'prompt = no', '[dn]', 'CN = sovereign-matrix test control plane CA',
    '[ext]', 'basicConstraints = critical, CA:TRUE', 'keyUsage = critical, keyCertSign, cRLSign, digitalSignature', 'subjectKeyIdentifier = hash',
  ].join('\n') + '\n');
  openssl(['req', '-x509', '-new', '-key', pki.caKey, '-config', file('ca.cnf'), '-extensions', 'ext', '-days', '1', '-out', pki.caCert]);

  const leaf = (name: string, subject: string, extensions: string[], cert: string, key: string) => {
    ecKey(key);
    const csr = file(`${name}.csr`);
    openssl(['req', '-new', '-key', key, '-subj', subject, '-out', csr]);
    const ext = file(`${name}.ext`);
    writeFileSync(ext, ['basicConstraints = critical, CA:FALSE', 'keyUsage = critical, digitalSignature', 'authorityKeyIdentifier = keyid', ...extensions].join('\n') + '\n');
    openssl(['x509', '-req', '-in', csr, '-CA', pki.caCert, '-CAkey', pki.caKey, '-CAcreateserial', '-days', '1', '-extfile', ext, '-out', cert]);
  };
  const serverNames = ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'];
  leaf('apiserver', '/CN=kube-apiserver', [
    'extendedKeyUsage = serverAuth',
    `subjectAltName = ${['IP:127.0.0.1', `IP:${KUBERNETES_SERVICE_IP}`, ...serverNames.map((n) => `DNS:${n}`)].join(', ')}`,
  ], pki.serverCert, pki.serverKey);
  leaf('admin', '/O=system:masters/CN=sovereign-matrix-test-admin', ['extendedKeyUsage = clientAuth'], pki.adminCert, pki.adminKey);
  leaf('controller-manager', '/CN=system:kube-controller-manager', ['extendedKeyUsage = clientAuth'], pki.controllerManagerCert, pki.controllerManagerKey);
  leaf('front-proxy-client', '/CN=front-proxy-client', ['extendedKeyUsage = clientAuth'], pki.frontProxyCert, pki.frontProxyKey);

  ecKey(pki.serviceAccountKey);
  openssl(['pkey', '-in', pki.serviceAccountKey, '-pubout', '-out', pki.serviceAccountPublic]);
  return pki;
}

function openssl(args: string[]): void {
  const result = spawnSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status !== 0) {
    throw new Error(`openssl ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status ?? result.signal}`}):\n${result.stderr}`);
  }
}

function writeKubeconfig(path: string, server: string, caCert: string, cert: string, key: string, user: string): void {
  const b64 = (file: string) => readFileSync(file).toString('base64');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'test', cluster: { server, 'certificate-authority-data': b64(caCert) } }],
    users: [{ name: user, user: { 'client-certificate-data': b64(cert), 'client-key-data': b64(key) } }],
    contexts: [{ name: 'test', context: { cluster: 'test', user } }],
    'current-context': 'test',
  };
  // JSON is YAML: kubectl and the components read it as a kubeconfig.
  writeFileSync(path, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
}

// --- processes -------------------------------------------------------------------------------

/** Starts a program in its own process group, standard output and error appended to `log`. */
function startProcess(program: string, args: string[], log: string): ChildProcess {
  const out = openSync(log, 'a');
  try {
    const child = spawn(program, args, { detached: true, stdio: ['ignore', out, out], env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/' } });
    child.on('error', () => undefined); // reported through exitCode / waitFor
    return child;
  } finally {
    closeSync(out);
  }
}


function runKubectl(program: string, kubeconfig: string, cacheDir: string, args: readonly string[], input?: string): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, [`--kubeconfig=${kubeconfig}`, `--cache-dir=${cacheDir}`, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout, stderr, code: code ?? -1 }));
    child.stdin.on('error', () => undefined); // kubectl may exit before reading everything
    child.stdin.end(input ?? '');
  });
}

/** Polls `ready` every 500 ms until it is true; fails early when one of `children` exits. */
async function waitFor(what: string, deadline: number, children: ChildProcess[], ready: () => Promise<boolean>): Promise<void> {
  let last = '';
  while (Date.now() < deadline) {
    const dead = children.find((c) => c.exitCode !== null || c.signalCode !== null);
    if (dead) throw new Error(`${dead.spawnfile} exited (${dead.exitCode ?? dead.signalCode}) while waiting for ${what}`);
    try {
      if (await ready()) return;
      last = 'not ready';
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what} (last: ${last})`);
}

function httpGet(url: string, tls?: { ca: Buffer; cert: Buffer; key: Buffer }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const onResponse = (res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    };
    const options = { method: 'GET', timeout: 5_000 };
    const req = url.startsWith('https:') ? httpsRequest(url, { ...options, ...tls }, onResponse) : httpRequest(url, options, onResponse);
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: timeout`)));
    req.on('error', reject);
    req.end();
  });
}

function isExecutable(path: string): boolean {
  try {
    return statSync(path).isFile() && (statSync(path).mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

function crdFiles(dir: string): string[] {
  try {
    return readdirSync(dir).filter((f) => f.endsWith('.yaml'));
  } catch {
    return [];
  }
}
