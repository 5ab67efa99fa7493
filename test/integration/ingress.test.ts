import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { copyFileSync, createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect, createServer } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type PeerCertificate } from 'node:tls';
import { loadDeploymentFile } from '../../src/config/load';
import type { DeploymentSpec } from '../../src/config/spec';
import { PORTS } from '../../src/ports';
import { synthesize } from '../../stacks/synth';
import { renderCoturn } from '../../src/render/coturn';
import { hasWorkers, SYNAPSE_PROCESS_HOSTS } from '../../src/render/synapse-workers';
import { tempDir } from '../helpers';
import { applyCoturnOverlay } from './coturn-overlay';
import { ANNOTATION, ingressToDynamicConfig, type IngressJson } from './ingress-routers';
import { builtFrom, ensureCoturn, ensureTools, goModuleDir } from './tools';
import { synapseTurnCredentials } from './turn-credentials';

/**
 * Real Traefik 3.7.13 (built from source by scripts/tools.sh) runs the ingress setup the kit
 * generates, and real Pebble (Let's Encrypt's ACME test server, same script) issues its
 * certificates through HTTP-01. Nothing of Traefik or of the ACME server is mocked; the backends
 * are small local HTTP servers that record what reached them. TURN over TLS goes through the same
 * Traefik to real coturn from Debian (scripts/integration/coturn.sh), booted with the kit's
 * rendered turnserver.conf.
 *
 * The inputs come from the SYNTHESIZED apps stack (stacks/synth.ts, as `sovereign-matrix synth`
 * writes it), not from re-implementing them:
 *  - the HelmChartConfig object (src/components/k8s/traefik-config.ts): its
 *    valuesContent's `global`, `additionalArguments`, `ports` (web's redirection, and further
 *    entry points: `turns` when TURN is on) and `volumes`;
 *  - the ConfigMap a chart volume mounts (with TURN on: the dynamic
 *    configuration `turns.yaml` from src/render/traefik.ts, its TCP router and coturn service);
 *  - the Ingress object (src/components/k8s/ingress.ts): rules, paths, annotations;
 *  - coturn's turnserver.conf (src/render/coturn.ts, the same text as the synthesized ConfigMap).
 *
 * Test overlay (`overlay` below asserts nothing else changed in the arguments):
 *  - Traefik gets globalArguments (if any) and additionalArguments verbatim, except these values:
 *    acme.caserver is Pebble's directory URL instead of the deployment's CA, acme.storage is a
 *    temp file instead of /data/acme.json (the chart's persistent volume), and, when the kit sets
 *    one, `--providers.file.directory` is a temp directory instead of the chart volume's mount
 *    path (/sovereign-matrix). Without a kit directory (TURN off) the test adds that argument.
 *  - Plus what the k3s Traefik chart itself renders from values: `global.checkNewVersion` and
 *    `global.sendAnonymousUsage` (chart v36 and later), and for its ports: the `web` entry point (chart
 *    port 8000) and `websecure` (8443, with `http.tls=true`, the chart's default), and every further
 *    entry of the kit's `ports` (`turns`, chart port 5349/TCP, exposed as 5349 on the node) as
 *    `--entryPoints.<name>.address=:<port>/<protocol>`; each entry point is on a free loopback
 *    port here instead. And the chart's rendering of the kit's web redirection value,
 *    `--entryPoints.web.http.redirections.entryPoint.{to,scheme,permanent}`, where `to` is
 *    `:<websecure exposedPort>` (443 on a node; the local websecure port here).
 *  - The file provider's directory holds what the chart would mount there: each data key of the
 *    ConfigMap the kit's `volumes` entry names, as a file, with the one Terraform expression in it,
 *    `${var.turn_public_ipv4}` (the node's public IPv4, an infra output), replaced by this
 *    machine's first non-loopback IPv4 (`TURN_IP`: coturn refuses loopback peers whatever
 *    allowed-peer-ip says, so 127.0.0.1 cannot stand for the public address), and coturn's port
 *    3478 in that address replaced by the free port coturn listens on here (both changes checked
 *    to be the only ones). Next to it, the test's own file (`ingress.yaml`) with the routers that
 *    Traefik's kubernetesingress provider builds from the synthesized Ingress (that provider needs an
 *    API server), translated mechanically as its loadRouter does
 *    (pkg/provider/kubernetes/ingress/kubernetes.go): per rule and path with pathType Prefix, rule
 *    `Host("h") && PathPrefix("p")`, default priority, entry points and TLS cert resolver from the
 *    router annotations, service `<namespace>-<service>-<port>` with one server: the local backend
 *    standing in for that Kubernetes service.
 *  - coturn boots the kit's turnserver.conf through the documented overlay of coturn-overlay.ts:
 *    TURN_PUBLIC_IPV4 = TURN_IP, a random TURN_SHARED_SECRET, and `listening-port` moved from 3478
 *    to the same free port the Traefik route was moved to. Its relay ports are the kit's range. The
 *    peer it relays to is turnutils_peer on TURN_IP, the one address allowed-peer-ip lets through
 *    (TURN_IP may lie in a denied range, as 192.0.2.0/24 does; allowed-peer-ip comes first).
 *  - Pebble's HTTP-01 validation connects to the `web` entry point; pebble-challtestsrv is its
 *    DNS server and resolves every name to 127.0.0.1. Traefik trusts Pebble's directory
 *    certificate through LEGO_CA_CERTIFICATES. turnutils_uclient, which sends the TURN host as SNI
 *    only when given a host name, resolves it through a private /etc/hosts bind-mounted in its own
 *    mount namespace (`unshare -m`, root); the machine's /etc/hosts is not touched.
 */
const ROOT = join(__dirname, '..', '..');
const WAIT_MS = 30_000;
const ACME_WAIT_MS = 120_000;

// ---------------------------------------------------------------------------------------------
// The synthesized inputs

interface HelmValues {
  /** Rendered by Traefik charts before v36 only; v36 and later have `global` instead. */
  globalArguments?: string[];
  global?: { checkNewVersion?: boolean; sendAnonymousUsage?: boolean };
  additionalArguments: string[];
  ports?: { web?: WebPortValues } & Record<string, unknown>;
  volumes?: { name: string; mountPath: string; type: string }[];
  metrics?: { prometheus?: PrometheusValues };
}
/** The chart's metrics.prometheus values (charts 39 to 41). */
interface PrometheusValues {
  entryPoint: string;
  addEntryPointsLabels?: boolean;
  addServicesLabels?: boolean;
  addRoutersLabels?: boolean;
  /** Makes the chart create the metrics Service; no argument of Traefik's. */
  service?: { enabled: boolean };
}
interface WebPortValues {
  redirections?: { entryPoint?: RedirectValues };
  http?: { redirections?: { entryPoint?: RedirectValues } };
}
interface RedirectValues {
  to: string;
  scheme?: string;
  permanent?: boolean;
}
/** A further entry point of the chart's `ports` (the kit's `turns`, exposed, and `metrics`, not exposed). */
interface ExtraPortValues {
  port: number;
  expose: { default: boolean };
  exposedPort: number;
  protocol: string;
}
interface ConfigMapJson {
  metadata: { name: string; namespace: string };
  data: Record<string, string>;
}
interface Synthesized {
  spec: DeploymentSpec;
  values: HelmValues;
  ingress: IngressJson;
  configMaps: ConfigMapJson[];
}

/** The apps stack of deployments/<deploymentFile>, optionally with the file's text edited first (in a temp copy). */
function synthesizeApps(deploymentFile: string, edit?: (yaml: string) => string): Synthesized {
  const out = tempDir('sm-ingress-synth-');
  let path = join(ROOT, 'deployments', deploymentFile);
  if (edit) {
    const edited = join(out, deploymentFile);
    writeFileSync(edited, edit(readFileSync(path, 'utf8')));
    path = edited;
  }
  const spec = loadDeploymentFile(path);
  const apps = synthesize([spec], out).find((s) => s.layer === 'apps');
  if (!apps) throw new Error(`${deploymentFile}: no apps stack synthesized`);
  const json = JSON.parse(readFileSync(join(out, apps.file), 'utf8')) as {
    resource: Record<string, Record<string, { manifest?: { kind: string; spec: { valuesContent: string } } } & Record<string, unknown>>>;
  };
  const objects = Object.values(json.resource.kubernetes_manifest ?? {}).map((r) => r.manifest!);
  const configs = objects.filter((m) => m.kind === 'HelmChartConfig');
  const ingresses = objects.filter((m) => m.kind === 'Ingress');
  if (configs.length !== 1 || ingresses.length !== 1) {
    throw new Error(`${deploymentFile}: expected one HelmChartConfig and one Ingress, got ${configs.length} and ${ingresses.length}`);
  }
  return {
    spec,
    values: JSON.parse(configs[0].spec.valuesContent) as HelmValues,
    ingress: ingresses[0] as unknown as IngressJson,
    configMaps: objects.filter((m) => m.kind === 'ConfigMap') as unknown as ConfigMapJson[],
  };
}

// ---------------------------------------------------------------------------------------------
// The overlay


/** The certificate resolver the Ingress names, and the prefixes of its CA and storage arguments. */
function resolverOf(synthesized: Synthesized): { name: string; caserver: string; storage: string } {
  const name = synthesized.ingress.metadata.annotations[`${ANNOTATION}router.tls.certresolver`];
  if (!name) throw new Error('the Ingress names no certificate resolver');
  return { name, caserver: `--certificatesresolvers.${name}.acme.caserver=`, storage: `--certificatesresolvers.${name}.acme.storage=` };
}

/** The file provider's directory argument: the kit sets it (with TURN on) to the chart volume's mount path. */
const FILE_DIRECTORY = '--providers.file.directory=';

/** An argument the overlay gives another value: the option with its `=`, and the new value. */
interface Substitution {
  option: string;
  value: string;
}

/** The kit's arguments with the substituted values; throws unless each option is there once and nothing else changed. */
function overlay(kitArgs: readonly string[], substitutions: readonly Substitution[]): string[] {
  for (const { option } of substitutions) {
    const count = kitArgs.filter((a) => a.startsWith(option)).length;
    if (count !== 1) throw new Error(`the kit's arguments name ${option} ${count} times, not once`);
  }
  const changed = kitArgs.map((a) => {
    const substitution = substitutions.find(({ option }) => a.startsWith(option));
    return substitution ? `${substitution.option}${substitution.value}` : a;
  });
  const differing = changed.filter((a, i) => a !== kitArgs[i]);
  const expected = substitutions.map(({ option, value }) => `${option}${value}`);
  if (changed.length !== kitArgs.length || differing.length !== substitutions.length || differing.some((a) => !expected.includes(a))) {
    throw new Error(`overlay changed more than ${substitutions.map(({ option }) => option).join(', ')}`);
  }
  return changed;
}

/** The further entry points of the chart's `ports` values (beyond web): the kit's `turns` with TURN on. */
function extraEntryPoints(values: HelmValues): Record<string, ExtraPortValues> {
  const result: Record<string, ExtraPortValues> = {};
  for (const [name, raw] of Object.entries(values.ports ?? {})) {
    if (name === 'web') continue;
    const port = raw as ExtraPortValues;
    const translatable =
      name !== 'websecure' &&
      Object.keys(port).sort().join() === 'expose,exposedPort,port,protocol' &&
      Number.isInteger(port.port) &&
      Number.isInteger(port.exposedPort) &&
      ['{"default":true}', '{"default":false}'].includes(JSON.stringify(port.expose)) &&
      port.protocol === 'TCP';
    if (!translatable) throw new Error(`the overlay does not translate ports.${name}: ${JSON.stringify(raw)}`);
    result[name] = port;
  }
  return result;
}

/** What the Traefik chart renders for `global` and its ports, the kit's web redirection included; `local` maps entry points to local ports. */
function chartArguments(values: HelmValues, local: Record<string, number>): string[] {
  const webValues = values.ports?.web ?? {};
  // Traefik charts v34 to v38 read ports.web.redirections; v39 and later read ports.web.http.redirections.
  const redirect = webValues.http?.redirections?.entryPoint ?? webValues.redirections?.entryPoint;
  if (!redirect) throw new Error('the kit configures no redirection on the web port');
  if (redirect.to !== 'websecure') throw new Error(`the web port redirects to ${redirect.to}, not websecure`);
  const port = (name: string) => {
    if (local[name] === undefined) throw new Error(`no local port for the entry point ${name}`);
    return local[name];
  };
  return [
    ...(values.global?.checkNewVersion === false ? ['--global.checkNewVersion=false'] : []),
    ...(values.global?.sendAnonymousUsage ? ['--global.sendAnonymousUsage'] : []),
    `--entryPoints.web.address=127.0.0.1:${port('web')}/tcp`,
    `--entryPoints.websecure.address=127.0.0.1:${port('websecure')}/tcp`,
    '--entryPoints.websecure.http.tls=true',
    // The chart: --entryPoints.<name>.address=:<port>/<protocol, lower case>.
    ...Object.entries(extraEntryPoints(values)).map(([name, p]) => `--entryPoints.${name}.address=127.0.0.1:${port(name)}/${p.protocol.toLowerCase()}`),
    `--entryPoints.web.http.redirections.entryPoint.to=:${port('websecure')}`,
    ...(redirect.scheme ? [`--entryPoints.web.http.redirections.entryPoint.scheme=${redirect.scheme}`] : []),
    ...(redirect.permanent !== undefined ? [`--entryPoints.web.http.redirections.entryPoint.permanent=${redirect.permanent}`] : []),
    ...prometheusArguments(values),
  ];
}

/**
 * What the chart's pod template (_podtemplate.tpl, charts 39 to 41) renders from the kit's
 * metrics.prometheus values; throws on a key it does not translate. The `service` key makes the
 * chart create the metrics Service and adds no argument.
 */
function prometheusArguments(values: HelmValues): string[] {
  const prometheus = values.metrics?.prometheus;
  if (!prometheus) return [];
  const unknown = Object.keys(values.metrics!).filter((k) => k !== 'prometheus').concat(Object.keys(prometheus).filter((k) => !['entryPoint', 'addEntryPointsLabels', 'addServicesLabels', 'addRoutersLabels', 'service'].includes(k)));
  if (unknown.length > 0) throw new Error(`the overlay does not translate metrics values ${unknown.join(', ')}`);
  return [
    '--metrics.prometheus=true',
    `--metrics.prometheus.entrypoint=${prometheus.entryPoint}`,
    ...(prometheus.addRoutersLabels === true ? ['--metrics.prometheus.addRoutersLabels=true'] : []),
    ...(prometheus.addEntryPointsLabels !== undefined ? [`--metrics.prometheus.addEntryPointsLabels=${prometheus.addEntryPointsLabels}`] : []),
    ...(prometheus.addServicesLabels !== undefined ? [`--metrics.prometheus.addServicesLabels=${prometheus.addServicesLabels}`] : []),
  ];
}

/** The Terraform expression the synthesized ConfigMap holds for the node's public IPv4 (an infra output). */
const PUBLIC_IPV4_EXPRESSION = '${var.turn_public_ipv4}';
/** The test's own file in the file provider's directory: the routers translated from the Ingress. */
const INGRESS_FILE = 'ingress.yaml';

/**
 * The files the chart mounts at the kit's file-provider directory: every data key of the
 * ConfigMap the `volumes` entry names, with the overlay's one change (the coturn address, see the
 * header). Throws when the values mount anything the overlay does not translate.
 */
function mountedFiles(synthesized: Synthesized, kitDirectory: string | undefined, turn: { ip: string; port: number } | undefined): Record<string, string> {
  const volumes = synthesized.values.volumes ?? [];
  if (volumes.length === 0) {
    if (kitDirectory !== undefined) throw new Error(`the kit reads ${kitDirectory} but mounts nothing there`);
    return {};
  }
  if (volumes.length !== 1 || volumes[0].type !== 'configMap') throw new Error(`the overlay translates one configMap volume, not ${JSON.stringify(volumes)}`);
  const [{ name, mountPath }] = volumes;
  if (mountPath !== kitDirectory) throw new Error(`the chart mounts ${name} at ${mountPath}, the file provider reads ${kitDirectory}`);
  // The chart's volumes are in Traefik's namespace, kube-system on k3s.
  const maps = synthesized.configMaps.filter((c) => c.metadata.name === name && c.metadata.namespace === 'kube-system');
  if (maps.length !== 1) throw new Error(`expected one ConfigMap ${name} in kube-system, got ${maps.length}`);
  const files: Record<string, string> = {};
  for (const [key, text] of Object.entries(maps[0].data)) {
    if (!/^[A-Za-z0-9_-]+\.ya?ml$/.test(key) || key === INGRESS_FILE) throw new Error(`unexpected file ${key} in ${name}`);
    const kitAddress = `"${PUBLIC_IPV4_EXPRESSION}:${PORTS.turn}"`;
    if (!text.includes('${')) {
      files[key] = text;
      continue;
    }
    if (!turn) throw new Error(`${key} names the public address, and no coturn address was set`);
    if (text.split(kitAddress).length !== 2) throw new Error(`${key}: expected ${kitAddress} once`);
    const replaced = text.replace(kitAddress, `"${turn.ip}:${turn.port}"`);
    if (replaced.includes('${')) throw new Error(`${key}: a Terraform expression other than ${kitAddress}`);
    const changedLines = replaced.split('\n').filter((line, i) => line !== text.split('\n')[i]);
    if (changedLines.length !== 1) throw new Error(`${key}: the overlay changed ${changedLines.length} lines`);
    files[key] = replaced;
  }
  return files;
}


// ---------------------------------------------------------------------------------------------
// Processes and ports

const children: ChildProcess[] = [];
const servers: Server[] = [];

function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

function udpFree(port: number, host: string): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => resolve(false));
    socket.bind(port, host, () => socket.close(() => resolve(true)));
  });
}

/** A port free for both TCP and UDP (the DNS server and coturn bind both). */
async function freeDualPort(host = '127.0.0.1'): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await freePort(host);
    if (await udpFree(port, host)) return port;
  }
  throw new Error(`no port free for both TCP and UDP on ${host}`);
}

/** A UDP port free together with the one above it (turnutils_peer binds both: RTP and RTCP). */
async function freeUdpPair(host: string): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await freePort(host);
    if (port < 65535 && (await udpFree(port, host)) && (await udpFree(port + 1, host))) return port;
  }
  throw new Error(`no two consecutive UDP ports free on ${host}`);
}

interface Child {
  proc: ChildProcess;
  logFile: string;
  exited: Promise<number | null>;
  tail(lines?: number): string;
}

/** Starts a binary with its output captured to a log file, killed in afterAll. */
function start(binary: string, args: string[], dir: string, name: string, env: NodeJS.ProcessEnv = {}): Child {
  const logFile = join(dir, `${name}.log`);
  const log = createWriteStream(logFile);
  let output = '';
  const proc = spawn(binary, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(proc);
  const capture = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-200_000);
    log.write(chunk);
  };
  proc.stdout!.on('data', capture);
  proc.stderr!.on('data', capture);
  const exited = new Promise<number | null>((resolve) =>
    proc.on('exit', (code) => {
      log.end();
      resolve(code);
    }),
  );
  return {
    proc,
    logFile,
    exited,
    tail: (lines = 40) => `--- last lines of ${logFile} ---\n${output.split('\n').slice(-lines).join('\n')}`,
  };
}

async function waitFor<T>(what: string, child: Child | undefined, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (child && child.proc.exitCode !== null) throw new Error(`${what}: the process exited with ${child.proc.exitCode}\n${child.tail()}`);
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = String(error);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what}: not within ${timeoutMs / 1000}s${last ? ` (last error: ${last})` : ''}${child ? `\n${child.tail()}` : ''}`);
}

// ---------------------------------------------------------------------------------------------
// HTTP

interface Response {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One request to 127.0.0.1:port with the given Host (and SNI for TLS); the path is sent as is. */
function send(port: number, host: string, path: string, opts: { tls: boolean; method?: string }): Promise<Response> {
  return new Promise((resolve, reject) => {
    const options = { host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: { host }, agent: false as const, timeout: 10_000 };
    const req = opts.tls ? httpsRequest({ ...options, servername: host, rejectUnauthorized: false }) : httpRequest(options);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${host}${path}`)));
    req.on('error', reject);
    req.end();
  });
}

/** What a backend saw: which Kubernetes service it stands for, the raw request target and Host. */
interface Seen {
  service: string;
  url: string;
  host: string;
}

async function startBackend(service: string): Promise<string> {
  const server = createHttpServer((req, res) => {
    const seen: Seen = { service, url: req.url ?? '', host: req.headers.host ?? '' };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(seen));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

/** The backend that answered, or undefined when Traefik answered itself. */
function backendOf(response: Response): Seen | undefined {
  if (response.headers['content-type'] !== 'application/json') return undefined;
  return JSON.parse(response.body) as Seen;
}

function peerCertificate(port: number, servername: string, ca?: string): Promise<{ cert: PeerCertificate; authorized: boolean; error?: string }> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false, ...(ca ? { ca } : {}) }, () => {
      const result = { cert: socket.getPeerCertificate(), authorized: socket.authorized, error: socket.authorizationError?.toString() };
      socket.end();
      resolve(result);
    });
    socket.setTimeout(10_000, () => socket.destroy(new Error('TLS handshake timeout')));
    socket.on('error', reject);
  });
}

// ---------------------------------------------------------------------------------------------
// The stack: backends, Pebble, Traefik

let bin = '';
let pebbleCa = '';
let pebbleCertDir = '';
let dnsServer = '';
/** Where coturn listens here (TURN_IP and a free port); the kit's Traefik route to it is moved there. */
let turnUpstream: { ip: string; port: number } | undefined;

interface Stack {
  synthesized: Synthesized;
  traefik: Child;
  pebble: Child;
  web: number;
  websecure: number;
  /** Local ports of the further entry points (`turns` with TURN on). */
  extra: Record<string, number>;
  pebbleManagement: number;
  /** The file provider's directory (the kit's mounted files and the translated Ingress). */
  fileDir: string;
  args: string[];
}

/** Backends for every Kubernetes service the Ingress names, Pebble for its ACME, Traefik with the overlay. */
async function startStack(
  synthesized: Synthesized,
  label: string,
  adjust: (args: string[]) => string[] = (a) => a,
  waitUntilRouting = true,
): Promise<Stack> {
  const dir = tempDir(`sm-ingress-${label}-`);
  const names = [...new Set(synthesized.ingress.spec.rules.flatMap((r) => r.http.paths.map((p) => p.backend.service.name)))];
  const urls = new Map(await Promise.all(names.map(async (n) => [n, await startBackend(n)] as const)));
  const extraNames = Object.keys(extraEntryPoints(synthesized.values));
  const [web, websecure, acme, management, tlsAlpn, ...extraPorts] = await Promise.all(
    [...Array(5 + extraNames.length).keys()].map(() => freePort()),
  );
  const extra = Object.fromEntries(extraNames.map((name, i) => [name, extraPorts[i]]));

  // Pebble, validating HTTP-01 on this Traefik's web entry point.
  const pebbleConfig = join(dir, 'pebble.json');
  writeFileSync(
    pebbleConfig,
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${acme}`,
        managementListenAddress: `127.0.0.1:${management}`,
        certificate: join(pebbleCertDir, 'cert.pem'),
        privateKey: join(pebbleCertDir, 'key.pem'),
        httpPort: web,
        tlsPort: tlsAlpn,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
        retryAfter: { authz: 1, order: 1 },
        profiles: { default: { description: 'test', validityPeriod: 7776000 } },
      },
    }),
  );
  const pebble = start(join(bin, 'pebble'), ['-config', pebbleConfig, '-dnsserver', dnsServer], dir, 'pebble', {
    PEBBLE_VA_NOSLEEP: '1',
    PEBBLE_WFE_NONCEREJECT: '0',
  });
  await waitFor('Pebble directory', pebble, WAIT_MS, async () => {
    const r = await new Promise<number>((resolve, reject) =>
      // Pebble refuses requests without a User-Agent (RFC 8555 §6.1).
      httpsRequest({ host: '127.0.0.1', port: acme, path: '/dir', ca: readFileSync(pebbleCa), headers: { 'user-agent': 'sovereign-matrix-test' }, agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on('error', reject)
        .end(),
    );
    if (r !== 200) throw new Error(`GET /dir answered ${r}`);
    return true;
  });

  // Traefik: the kit's arguments (overlaid), the chart's port arguments, the file provider's
  // directory with the kit's mounted files and the routers translated from the Ingress.
  const kitArgs = [...(synthesized.values.globalArguments ?? []), ...synthesized.values.additionalArguments];
  const kitDirectory = kitArgs.find((a) => a.startsWith(FILE_DIRECTORY))?.slice(FILE_DIRECTORY.length);
  const fileDir = join(dir, 'dynamic');
  mkdirSync(fileDir);
  for (const [name, text] of Object.entries(mountedFiles(synthesized, kitDirectory, turnUpstream))) writeFileSync(join(fileDir, name), text);
  // JSON is YAML; the file provider picks its parser by extension.
  writeFileSync(join(fileDir, INGRESS_FILE), JSON.stringify(ingressToDynamicConfig(synthesized.ingress, (n) => urls.get(n)!), null, 2));
  const resolver = resolverOf(synthesized);
  const substitutions: Substitution[] = [
    { option: resolver.caserver, value: `https://127.0.0.1:${acme}/dir` },
    { option: resolver.storage, value: join(dir, 'acme.json') },
    ...(kitDirectory === undefined ? [] : [{ option: FILE_DIRECTORY, value: fileDir }]),
  ];
  const args = [
    ...adjust(overlay(kitArgs, substitutions)),
    ...chartArguments(synthesized.values, { web, websecure, ...extra }),
    ...(kitDirectory === undefined ? [`${FILE_DIRECTORY}${fileDir}`] : []),
    '--log.level=DEBUG',
  ];
  const traefik = start(join(bin, 'traefik'), args, dir, 'traefik', { LEGO_CA_CERTIFICATES: pebbleCa });
  const stack = { synthesized, traefik, pebble, web, websecure, extra, pebbleManagement: management, fileDir, args };
  if (waitUntilRouting) {
    const host = synthesized.spec.hostnames.matrix;
    await waitFor(`Traefik routing ${host}`, traefik, WAIT_MS, async () =>
      // Synapse's one process, or with workers (the large research deployment) the router in front of them.
      backendOf(await send(websecure, host, '/_matrix/client/versions', { tls: true }))?.service === (hasWorkers(synthesized.spec) ? SYNAPSE_PROCESS_HOSTS.router : 'synapse') ? true : undefined,
    );
  }
  return stack;
}

const timings: string[] = [];
const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

/**
 * TURN_IP of the overlay: this machine's first non-loopback IPv4 address, standing for the node's
 * public address. Not 127.0.0.1: coturn refuses loopback peers before it looks at allowed-peer-ip
 * (error 403 on a channel bind to 127.0.0.1 with allowed-peer-ip=127.0.0.1, seen with 4.18.0), so
 * the kit's one allowed peer, the public address itself, must not be a loopback address.
 */
function firstNonLoopbackIpv4(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  throw new Error('no non-loopback IPv4 address on this machine: the TURN tests need one to stand for the public address');
}

/** The metrics entry point the kit sets on every k3s: internal, never exposed. */
const METRICS_PORT = { port: PORTS.traefikMetrics, expose: { default: false }, exposedPort: PORTS.traefikMetrics, protocol: 'TCP' };

const example = synthesizeApps('example.yaml');
const research = synthesizeApps('research-open.yaml');
/** research-open.yaml with TURN off (TURN is on by default, in both files above), and so without group calls, which need it. */
const turnOff = synthesizeApps('research-open.yaml', (yaml) => {
  if (/^calls:/m.test(yaml)) throw new Error('research-open.yaml has a calls section now; edit it differently');
  return `${yaml}calls:\n  turn: false\n  group:\n    enabled: false\n`;
});
const stacks: Record<'example' | 'research', Stack | undefined> = { example: undefined, research: undefined };

beforeAll(async () => {
  bin = ensureTools('traefik', 'pebble');
  const pebbleModule = builtFrom('pebble');
  const pebbleDir = goModuleDir(pebbleModule.module, pebbleModule.version);
  const shared = tempDir('sm-ingress-');
  // Pebble's own test certificates (its directory's TLS identity), copied at test time.
  pebbleCertDir = shared;
  copyFileSync(join(pebbleDir, 'test', 'certs', 'localhost', 'cert.pem'), join(shared, 'cert.pem'));
  copyFileSync(join(pebbleDir, 'test', 'certs', 'localhost', 'key.pem'), join(shared, 'key.pem'));
  copyFileSync(join(pebbleDir, 'test', 'certs', 'pebble.minica.pem'), join(shared, 'pebble.minica.pem'));
  pebbleCa = join(shared, 'pebble.minica.pem');

  // DNS for Pebble's validation: every name is 127.0.0.1, no AAAA.
  const [dns, dnsManagement] = await Promise.all([freeDualPort(), freePort()]);
  dnsServer = `127.0.0.1:${dns}`;
  const challtestsrv = start(
    join(bin, 'pebble-challtestsrv'),
    ['-dnsserver', dnsServer, '-defaultIPv4', '127.0.0.1', '-defaultIPv6', '', '-http01', '', '-https01', '', '-doh', '', '-tlsalpn01', '', '-management', `127.0.0.1:${dnsManagement}`],
    shared,
    'challtestsrv',
  );
  await waitFor('pebble-challtestsrv', challtestsrv, WAIT_MS, async () => {
    const r = await fetch(`http://127.0.0.1:${dnsManagement}/dns-request-history`, { method: 'POST', body: '{"host":"x"}' });
    return r.status > 0 ? true : undefined;
  });

  // Where coturn will listen (started by the TURN tests); the example stacks route turns there.
  const turnIp = firstNonLoopbackIpv4();
  turnUpstream = { ip: turnIp, port: await freeDualPort(turnIp) };

  const started = Date.now();
  [stacks.example, stacks.research] = await Promise.all([startStack(example, 'example'), startStack(research, 'research')]);
  timings.push(`Pebble and Traefik for both deployments routing ${seconds(started)}`);
});

afterAll(async () => {
  console.log(`ingress integration timings: ${timings.join(', ')}`);
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  await Promise.all(
    children.map((child) =>
      child.exitCode !== null || child.signalCode !== null
        ? undefined
        : new Promise<void>((resolve) => {
            const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
            child.on('exit', () => {
              clearTimeout(force);
              resolve();
            });
          }),
    ),
  );
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

/** The stack, or a clear failure when beforeAll did not get that far. */
function stackOf(name: keyof typeof stacks): Stack {
  const stack = stacks[name];
  if (!stack) throw new Error(`the ${name} stack did not start`);
  return stack;
}

async function route(stack: Stack, host: string, path: string): Promise<{ status: number; service?: string; seen?: Seen }> {
  const response = await send(stack.websecure, host, path, { tls: true });
  const seen = backendOf(response);
  return { status: response.status, service: seen?.service, seen };
}

/** The root certificate this stack's Pebble issues under (from its management interface). */
function pebbleRoot(stack: Stack): Promise<string> {
  return new Promise<string>((resolve, reject) =>
    httpsRequest({ host: '127.0.0.1', port: stack.pebbleManagement, path: '/roots/0', ca: readFileSync(pebbleCa), headers: { 'user-agent': 'sovereign-matrix-test' }, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString('utf8')));
      res.on('end', () => resolve(body));
    })
      .on('error', reject)
      .end(),
  );
}

// ---------------------------------------------------------------------------------------------
// TURN


/** Runs a command to its end without blocking the event loop (the other children's logs keep flowing), killed after timeoutMs. */
function run(command: string, args: string[], timeoutMs: number): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const proc = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(proc);
    let output = '';
    proc.stdout!.on('data', (c: Buffer) => (output += c.toString('utf8')));
    proc.stderr!.on('data', (c: Buffer) => (output += c.toString('utf8')));
    const timer = setTimeout(() => {
      output += `\n[killed after ${timeoutMs / 1000}s]`;
      proc.kill('SIGKILL');
    }, timeoutMs);
    proc.on('error', (error) => (output += `\n${String(error)}`));
    proc.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, output });
    });
  });
}

function tcpConnects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect({ host, port }, () => {
      socket.end();
      resolve(true);
    });
    socket.setTimeout(2_000, () => socket.destroy());
    socket.on('error', () => resolve(false));
    socket.on('close', () => resolve(false));
  });
}

const STUN_MAGIC_COOKIE = '2112a442';

/**
 * A TLS connection to 127.0.0.1:port with the given SNI (none when undefined), then one STUN
 * Binding request (RFC 8489, unauthenticated; coturn answers it) in the clear inside TLS, as
 * TURN over TLS sends it. Says whether the handshake completed, with which certificate, and what
 * came back: 'binding success' only when a STUN server answered this very request.
 */
function stunBindingOverTls(port: number, servername: string | undefined): Promise<{ handshake: boolean; cert?: PeerCertificate; answer: string }> {
  return new Promise((resolve) => {
    const transaction = randomBytes(12);
    const request = Buffer.concat([Buffer.from('00010000', 'hex'), Buffer.from(STUN_MAGIC_COOKIE, 'hex'), transaction]);
    let received = Buffer.alloc(0);
    let handshake = false;
    let cert: PeerCertificate | undefined;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const done = (answer: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ handshake, cert, answer });
    };
    const socket = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...(servername ? { servername } : {}) }, () => {
      handshake = true;
      cert = socket.getPeerCertificate();
      socket.write(request);
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 20) return;
      const stun = received.subarray(4, 8).toString('hex') === STUN_MAGIC_COOKIE && received.subarray(8, 20).equals(transaction);
      done(stun && received.readUInt16BE(0) === 0x0101 ? 'binding success' : `other bytes: ${JSON.stringify(received.subarray(0, 80).toString('latin1'))}`);
    });
    socket.on('end', () => done(`closed after ${received.length} bytes`));
    socket.on('close', () => done(`closed after ${received.length} bytes`));
    socket.on('error', (error) => done(`error: ${error.message}`));
    timer = setTimeout(() => done('no answer within 3 s'), 3_000);
  });
}

// ---------------------------------------------------------------------------------------------

/** Stops a stack's Traefik and Pebble (the backends stay until afterAll). */
async function stop(stack: Stack): Promise<void> {
  for (const child of [stack.traefik, stack.pebble]) {
    if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill('SIGTERM');
    await child.exited;
  }
}

describe('the ingress setup the kit generates, on real Traefik 3.7.13 with Pebble as ACME server', () => {
  it('is synthesized with the resolver, the encoded characters and the Ingress the test translates', () => {
    for (const synthesized of [example, research]) {
      const { values, ingress } = synthesized;
      const { caserver, storage } = resolverOf(synthesized);
      expect(values.additionalArguments.filter((a) => a.startsWith(caserver) || a.startsWith(storage))).toHaveLength(2);
      expect(values.additionalArguments.filter((a) => a.includes('.http.encodedCharacters.'))).toHaveLength(4);
      expect(ingress.spec.ingressClassName).toBe('traefik');
      expect(ingress.spec.tls[0].hosts).toEqual(ingress.spec.rules.map((r) => r.host));
    }
  });

  it('is synthesized with the turns entry point and its mounted route exactly where TURN is on', () => {
    // TURN is on by default: in example.yaml and research-open.yaml (both on Hetzner, so Traefik terminates TURN over TLS).
    for (const synthesized of [example, research]) {
      const { spec, values } = synthesized;
      expect(spec.calls.turn).toBe(true);
      expect(extraEntryPoints(values)).toEqual({ turns: { port: PORTS.turns, expose: { default: true }, exposedPort: PORTS.turns, protocol: 'TCP' }, metrics: METRICS_PORT });
      expect(values.volumes).toEqual([{ name: 'sovereign-matrix-traefik', mountPath: '/sovereign-matrix', type: 'configMap' }]);
      expect(values.additionalArguments.filter((a) => a.startsWith('--providers.'))).toEqual([`${FILE_DIRECTORY}/sovereign-matrix`, '--providers.file.watch=true']);
      const files = mountedFiles(synthesized, '/sovereign-matrix', { ip: '192.0.2.1', port: 1234 });
      expect(Object.keys(files)).toEqual(['turns.yaml']);
      expect(files['turns.yaml']).toContain(`rule: "HostSNI(\`${spec.hostnames.turn}\`)"`);
      expect(files['turns.yaml']).toContain('address: "192.0.2.1:1234"');
    }
    expect(turnOff.spec.calls.turn).toBe(false);
    expect(extraEntryPoints(turnOff.values)).toEqual({ metrics: METRICS_PORT });
    expect(turnOff.values.volumes).toBeUndefined();
    expect(turnOff.values.additionalArguments.filter((a) => a.startsWith('--providers.'))).toEqual([]);
    expect(turnOff.configMaps.filter((c) => c.metadata.namespace === 'kube-system')).toEqual([]);
  });

  it('with TURN off, Traefik runs without the turns entry point and the file provider the test adds', async () => {
    const stack = await startStack(turnOff, 'turn-off');
    try {
      expect(Object.keys(stack.extra)).toEqual(['metrics']);
      expect(stack.args.filter((a) => a.startsWith('--providers.file.'))).toEqual([`${FILE_DIRECTORY}${stack.fileDir}`]);
      expect(stack.args.filter((a) => a.includes('turns'))).toEqual([]);
      const { service } = await route(stack, turnOff.spec.hostnames.sso, '/realms/matrix/.well-known/openid-configuration');
      expect(service).toBe('keycloak');
    } finally {
      await stop(stack);
    }
  });

  describe('arguments', () => {
    it("accepts the kit's whole argument list", async () => {
      const stack = stackOf('example');
      // Still running and serving after start-up (beforeAll waited for a routed request).
      expect(stack.traefik.proc.exitCode).toBeNull();
      const { caserver, storage } = resolverOf(example);
      const substituted = [caserver, storage, FILE_DIRECTORY];
      for (const arg of [...(example.values.globalArguments ?? []), ...example.values.additionalArguments].filter((a) => !substituted.some((s) => a.startsWith(s)))) {
        expect(stack.args).toContain(arg);
      }
      // One file provider: the kit's directory argument, moved to the directory with its files.
      expect(stack.args.filter((a) => a.startsWith('--providers.file.'))).toEqual([`${FILE_DIRECTORY}${stack.fileDir}`, '--providers.file.watch=true']);
      expect(stack.args).toContain(`--entryPoints.turns.address=127.0.0.1:${stack.extra.turns}/tcp`);
      expect(stack.traefik.tail(100000)).not.toMatch(/field not found|failed to decode configuration/i);
    });

    it('refuses a misspelled flag, so acceptance means something', async () => {
      const misspelled = (args: string[]) => args.map((a) => a.replace('.encodedCharacters.allowEncodedHash=', '.encodedCharacters.allowEncodedHashes='));
      const stack = await startStack(example, 'misspelled', misspelled, false);
      expect(stack.args.some((a) => a.includes('allowEncodedHashes='))).toBe(true);
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([stack.traefik.exited, new Promise<'running'>((r) => (timer = setTimeout(() => r('running'), WAIT_MS)))]);
      clearTimeout(timer);
      await stop(stack);
      if (code === 'running') throw new Error(`Traefik did not refuse a misspelled flag\n${stack.traefik.tail()}`);
      expect(code).not.toBe(0);
      expect(stack.traefik.tail()).toMatch(/field not found, node: allowEncodedHashes/);
    });
  });

  describe('encoded characters in Matrix paths', () => {
    const room = '!room%3Aexample.eu';
    const paths = [
      '/_matrix/client/v3/directory/room/%23alias%3Aexample.eu',
      `/_matrix/client/v3/rooms/${room}/state/m.room.member/%40user%3Aexample.eu`,
      `/_matrix/client/v3/rooms/${room}/state/org.example.state/a%2Fb%2F`,
      `/_matrix/client/v3/rooms/${room}/state/org.example.state/why%3F`,
      `/_matrix/client/v3/rooms/${room}/state/org.example.state/100%25`,
      `/_matrix/client/v3/rooms/${room}/messages?from=t1%2F2&dir=b&filter=%7B%22a%22%3A1%7D`,
    ];

    const encodedOption = '.http.encodedCharacters.';

    it.each(paths)('%s reaches Synapse byte for byte', async (path) => {
      const stack = stackOf('example');
      const host = example.spec.hostnames.matrix;
      const { status, seen } = await route(stack, host, path);
      expect(status).toBe(200);
      expect(seen).toEqual({ service: 'synapse', url: path, host });
    });

    // Traefik v3.6.4 began rejecting these encoded characters by default; v3.6.7 made the options
    // default to true again (Traefik's docs/content/migrate/v3.md). So on 3.7.13 the kit's
    // arguments are not what lets them through: this test says so, and fails when a Traefik
    // version rejects them by default again (then the kit's arguments are what keeps Matrix working).
    it("without the kit's encodedCharacters arguments Traefik 3.7.13 lets them through as well (its default)", async () => {
      const stack = await startStack(example, 'no-encoded', (args) => args.filter((a) => !a.includes(encodedOption)));
      try {
        expect(stack.args.filter((a) => a.includes(encodedOption))).toEqual([]);
        const host = example.spec.hostnames.matrix;
        for (const path of paths) expect({ path, ...(await route(stack, host, path)).seen }).toEqual({ path, service: 'synapse', url: path, host });
      } finally {
        await stop(stack);
      }
    });

    it("the kit's option names are live on websecure: set to false, Traefik refuses those characters in the path", async () => {
      const options = example.values.additionalArguments.filter((a) => a.includes(encodedOption));
      expect(options).toHaveLength(4);
      const stack = await startStack(example, 'denied', (args) => args.map((a) => (a.includes(encodedOption) ? a.replace(/=true$/, '=false') : a)));
      try {
        const host = example.spec.hostnames.matrix;
        const statuses = await Promise.all(paths.map(async (path) => [path, (await route(stack, host, path)).status] as const));
        expect(statuses).toEqual(
          paths.map((path) => {
            const inPath = path.split('?')[0];
            // %3A and %40 are not among the kit's options; the query string is never checked.
            return [path, /%23|%25|%2F|%3F/.test(inPath) ? 400 : 200];
          }),
        );
      } finally {
        await stop(stack);
      }
    });
  });

  describe('routing on the Matrix host', () => {
    const cases: [string, string | undefined][] = [
      ['/_matrix/client/versions', 'synapse'],
      ['/_matrix/federation/v1/version', 'synapse'],
      ['/_synapse/client/oidc/callback', 'synapse'],
      ['/_matrix/client/v3/login', 'mas'],
      ['/_matrix/client/r0/login', 'mas'],
      ['/_matrix/client/v3/logout/all', 'mas'],
      ['/_matrix/client/v3/refresh', 'mas'],
      ['/_synapse/admin/v1/users', undefined],
      ['/_synapse/admin/v2/users/%40admin%3Aexample.eu', undefined],
      ['/metrics', undefined],
      ['/_synapse/metrics', undefined],
      ['/', undefined],
      // Path sanitization (on by default) resolves dot segments before routing.
      ['/_matrix/../_synapse/admin/v1/users', undefined],
      ['/_synapse/client/../admin/v1/users', undefined],
      ['/_matrix/%2e%2e/_synapse/admin/v1/users', undefined],
    ];

    it.each(cases)('%s → %s', async (path, service) => {
      const { status, service: reached } = await route(stackOf('example'), example.spec.hostnames.matrix, path);
      expect(reached).toBe(service);
      if (!service) expect(status).toBe(404);
    });

    it('sends every other host to its own service', async () => {
      const stack = stackOf('example');
      const { hostnames, serverName } = example.spec;
      expect((await route(stack, serverName, '/.well-known/matrix/server')).service).toBe('well-known');
      expect((await route(stack, hostnames.web, '/config.json')).service).toBe('element-web');
      expect((await route(stack, hostnames.auth, '/.well-known/openid-configuration')).service).toBe('mas');
      expect((await route(stack, 'unknown.example.eu', '/_matrix/client/versions')).status).toBe(404);
    });
  });

  describe('routing in keycloak mode (research-open)', () => {
    const cases: [string, string | undefined][] = [
      ['/realms/matrix/.well-known/openid-configuration', 'keycloak'],
      ['/realms/matrix/protocol/openid-connect/auth?client_id=mas', 'keycloak'],
      ['/resources/abc/login/keycloak.v2/css/styles.css', 'keycloak'],
      ['/.well-known/openid-configuration', 'keycloak'],
      ['/admin/', undefined],
      ['/admin/master/console/', undefined],
      ['/', undefined],
      ['/realms/../admin/master/console/', undefined],
    ];

    it.each(cases)('%s → %s', async (path, service) => {
      const { status, service: reached } = await route(stackOf('research'), research.spec.hostnames.sso, path);
      expect(reached).toBe(service);
      if (!service) expect(status).toBe(404);
    });

    // Group calls run for a large deployment: the authorisation service's client endpoints go to
    // lk-jwt-service, everything else on the rtc host to the SFU (its WebSocket and room API), so
    // lk-jwt-service's webhook endpoint is never reached from outside.
    it.each([
      ['/get_token', 'lk-jwt-service'],
      ['/sfu/get', 'lk-jwt-service'],
      ['/delegate_delayed_leave', 'lk-jwt-service'],
      ['/rtc?access_token=x', 'livekit'],
      ['/twirp/livekit.RoomService/CreateRoom', 'livekit'],
      ['/sfu_webhook', 'livekit'],
      ['/healthz', 'livekit'],
    ])('group calls: %s on the rtc host → %s', async (path, service) => {
      expect((await route(stackOf('research'), research.spec.hostnames.rtc, path)).service).toBe(service);
    });

    it('routes the Matrix host as in local mode', async () => {
      const stack = stackOf('research');
      const host = research.spec.hostnames.matrix;
      expect((await route(stack, host, '/_matrix/client/v3/login')).service).toBe('mas');
      expect((await route(stack, host, '/_matrix/client/v3/directory/room/%23a%3Aresearch.example.eu')).seen?.url).toBe(
        '/_matrix/client/v3/directory/room/%23a%3Aresearch.example.eu',
      );
      expect((await route(stack, host, '/_synapse/admin/v1/users')).status).toBe(404);
    });
  });

  describe('HTTP on the web entry point', () => {
    it('redirects permanently to https on the websecure entry point', async () => {
      const stack = stackOf('example');
      const host = example.spec.hostnames.matrix;
      const path = '/_matrix/client/v3/directory/room/%23alias%3Aexample.eu?x=1';
      const get = await send(stack.web, host, path, { tls: false });
      expect(get.status).toBe(301);
      expect(get.headers.location).toBe(`https://${host}:${stack.websecure}${path}`);
      const post = await send(stack.web, host, '/_matrix/client/v3/login', { tls: false, method: 'POST' });
      expect(post.status).toBe(308);
    });
  });

  describe('ACME (HTTP-01 against Pebble)', () => {
    it.each(['example', 'research'] as const)('gives every host of the %s Ingress a certificate Pebble issued', async (name) => {
      const stack = stackOf(name);
      const hosts = stack.synthesized.ingress.spec.tls[0].hosts;
      for (const host of hosts) {
        const { cert } = await waitFor(`a Pebble certificate for ${host}`, stack.traefik, ACME_WAIT_MS, async () => {
          const peer = await peerCertificate(stack.websecure, host);
          return /^Pebble Intermediate CA/.test(String(peer.cert.issuer?.CN)) ? peer : undefined;
        });
        expect(cert.subjectaltname?.split(', ')).toContain(`DNS:${host}`);
      }
      // And the chain verifies against this Pebble's root, for the host name.
      const root = await pebbleRoot(stack);
      for (const host of hosts) {
        const verified = await peerCertificate(stack.websecure, host, root);
        expect({ host, authorized: verified.authorized, error: verified.error }).toEqual({ host, authorized: true, error: undefined });
      }
    });
  });

  describe("Prometheus metrics on the kit's internal entry point", () => {
    it('serve traefik_tls_certs_not_after for each ACME certificate, with its expiry, and request counts by entry point and service', async () => {
      const stack = stackOf('example');
      const host = example.spec.hostnames.matrix;
      expect(stack.args).toEqual(expect.arrayContaining(['--metrics.prometheus=true', '--metrics.prometheus.entrypoint=metrics', '--metrics.prometheus.addEntryPointsLabels=true', '--metrics.prometheus.addServicesLabels=true']));
      const { cert } = await waitFor(`a Pebble certificate for ${host}`, stack.traefik, ACME_WAIT_MS, async () => {
        const peer = await peerCertificate(stack.websecure, host);
        return /^Pebble Intermediate CA/.test(String(peer.cert.issuer?.CN)) ? peer : undefined;
      });
      // A request through websecure, so the request counters have a sample.
      expect((await route(stack, host, '/_matrix/client/versions')).service).toBe('synapse');
      const serial = BigInt(`0x${cert.serialNumber}`).toString();
      const metrics = await waitFor('the certificate in the metrics', stack.traefik, WAIT_MS, async () => {
        const text = (await send(stack.extra.metrics, 'metrics.internal', '/metrics', { tls: false })).body;
        return text.includes(`serial="${serial}"`) ? text : undefined;
      });
      const line = metrics.split('\n').find((l) => l.startsWith('traefik_tls_certs_not_after{') && l.includes(`serial="${serial}"`))!;
      expect(line).toContain(`sans="${host}"`);
      expect(Number(line.split(' ').pop())).toBe(Date.parse(cert.valid_to) / 1000);
      timings.push(`metrics: ${line}`);
      expect(metrics).toMatch(/^traefik_entrypoint_requests_total\{code="200",entrypoint="websecure",method="GET",protocol="http"\} [1-9]/m);
      expect(metrics).toMatch(/^traefik_service_requests_total\{code="200",method="GET",protocol="http",service="[^"]*synapse[^"]*"\} [1-9]/m);
    });

    it('are not served on websecure or web', async () => {
      const stack = stackOf('example');
      expect((await send(stack.websecure, example.spec.hostnames.matrix, '/metrics', { tls: true })).status).toBe(404);
      expect((await send(stack.web, example.spec.hostnames.matrix, '/metrics', { tls: false })).status).toBe(301);
      expect((await send(stack.extra.metrics, 'metrics.internal', '/metrics', { tls: false })).status).toBe(200);
    });
  });

  describe('TURN over TLS: Traefik terminates the turns entry point and forwards TURN over TCP to real coturn', () => {
    const secret = randomBytes(24).toString('hex');
    const turnHost = example.spec.hostnames.turn;
    let coturnBin = '';
    let coturn: Child | undefined;
    let peerPort = 0;
    let hostsFile = '';
    let userCounter = 0;
    /** A fresh user id per allocation: coturn's user quota counts per user id. */
    const valid = () => synapseTurnCredentials(secret, `@u${++userCounter}:${example.spec.serverName}`, Date.now() / 1000 + 3600);

    beforeAll(async () => {
      if (process.getuid?.() !== 0) throw new Error('the TURN tests need root: turnutils_uclient resolves the TURN host through a private /etc/hosts (unshare -m)');
      const upstream = turnUpstream;
      if (!upstream) throw new Error('no coturn address: the suite did not get that far');
      let since = Date.now();
      const builds = ensureCoturn();
      // sid's build is the one closer to the pinned release; Debian's package when sid is unavailable.
      coturnBin = builds.sid || builds.debian;
      timings.push(`coturn.sh ${seconds(since)}`);
      const dir = tempDir('sm-ingress-coturn-');
      const [file] = renderCoturn(example.spec);
      const conf = applyCoturnOverlay(file.content, {
        env: { TURN_PUBLIC_IPV4: upstream.ip, TURN_SHARED_SECRET: secret },
        ports: { 'listening-port': String(upstream.port) },
      });
      writeFileSync(join(dir, 'turnserver.conf'), conf);
      since = Date.now();
      coturn = start(join(coturnBin, 'turnserver'), ['-c', join(dir, 'turnserver.conf')], dir, 'coturn');
      peerPort = await freeUdpPair(upstream.ip);
      const peer = start(join(coturnBin, 'turnutils_peer'), ['-L', upstream.ip, '-p', String(peerPort)], dir, 'turnutils_peer');
      const started = coturn;
      await waitFor(`coturn listening on ${upstream.ip}:${upstream.port}`, started, WAIT_MS, async () =>
        /Total auth threads|Total General servers/.test(started.tail(100_000)) && (await tcpConnects(upstream.ip, upstream.port)) ? true : undefined,
      );
      if (peer.proc.exitCode !== null) throw new Error(`turnutils_peer exited with ${peer.proc.exitCode}\n${peer.tail()}`);
      timings.push(`coturn start ${seconds(since)}`);
      hostsFile = join(dir, 'hosts');
      writeFileSync(hostsFile, `127.0.0.1 localhost\n127.0.0.1 ${turnHost}\n`);
    });

    const coturnOf = () => {
      if (!coturn) throw new Error('coturn did not start');
      return coturn;
    };

    /**
     * turnutils_uclient over TLS (-t -S) to the TURN host on the turns entry point, relaying to
     * the peer. It sends the host as SNI (it does for host names, not for addresses) and resolves
     * it through the private hosts file; certificates are not verified (the ACME test does that).
     */
    const uclient = (credentials: { username: string; password: string }) =>
      run(
        'unshare',
        ['--mount', '--propagation', 'private', 'sh', '-c', 'mount --bind "$0" /etc/hosts && exec "$@"', hostsFile,
          join(coturnBin, 'turnutils_uclient'), '-t', '-S', '-p', String(stackOf('example').extra.turns),
          '-u', credentials.username, '-w', credentials.password, '-e', turnUpstream!.ip, '-r', String(peerPort),
          '-n', '3', '-m', '1', '-l', '100', turnHost],
        60_000,
      );

    it("boots the kit's turnserver.conf, listening where the kit's Traefik route points", () => {
      const [file] = renderCoturn(example.spec);
      // The file rendered here is the one the apps stack deploys.
      expect(example.configMaps.filter((c) => c.data['turnserver.conf'] !== undefined).map((c) => c.data['turnserver.conf'])).toEqual([file.content]);
      // coturn: TCP and UDP on 3478 of the public address, no TLS of its own; Traefik's route: that address and port.
      expect(file.content).toMatch(new RegExp(`^listening-port=${PORTS.turn}$`, 'm'));
      expect(file.content).toMatch(/^listening-ip=@@TURN_PUBLIC_IPV4@@$/m);
      expect(file.content).toMatch(/^no-tls$/m);
      const turns = example.configMaps.find((c) => c.metadata.name === 'sovereign-matrix-traefik')?.data['turns.yaml'];
      expect(turns).toContain(`address: "${PUBLIC_IPV4_EXPRESSION}:${PORTS.turn}"`);
      const log = coturnOf().tail(100_000);
      // Without TLS of its own, coturn still looks for its default certificate files and says so (coturn.test.ts).
      const rest = log.replace(/^.*WARNING (Certificate|Private key) file not found or not readable: .*$/gm, '');
      expect(rest).not.toMatch(/Bad configuration format|deprecated|WARNING|ERROR|CONFIG ERROR/i);
      expect(log).not.toContain(secret);
    });

    it('presents a certificate Pebble issued for the TURN host (HTTP-01, requested for the TCP router by its HostSNI rule)', async () => {
      const stack = stackOf('example');
      const since = Date.now();
      const { cert } = await waitFor(`a Pebble certificate for ${turnHost} on the turns entry point`, stack.traefik, ACME_WAIT_MS, async () => {
        const peer = await peerCertificate(stack.extra.turns, turnHost);
        return /^Pebble Intermediate CA/.test(String(peer.cert.issuer?.CN)) ? peer : undefined;
      });
      timings.push(`TURN certificate ${seconds(since)} after the test began`);
      expect(cert.subjectaltname?.split(', ')).toContain(`DNS:${turnHost}`);
      const verified = await peerCertificate(stack.extra.turns, turnHost, await pebbleRoot(stack));
      expect({ authorized: verified.authorized, error: verified.error }).toEqual({ authorized: true, error: undefined });
      // Traefik's ACME provider took the domain from the TCP router's rule (pkg/provider/acme/provider.go).
      expect(stack.traefik.tail(1_000_000)).toContain(`Trying to challenge certificate for domain [${turnHost}] found in HostSNI rule`);
      // Validated with HTTP-01 on the web entry point, like the Ingress hosts.
      expect(stack.pebble.tail(1_000_000)).toContain(`Attempting to validate w/ HTTP: http://${turnHost}:${stack.web}/.well-known/acme-challenge/`);
    });

    it('allocates and relays to the allowed peer through Traefik, with credentials computed as Synapse computes them', async () => {
      const since = Date.now();
      const result = await uclient(valid());
      timings.push(`TURN allocation and relay over TLS ${seconds(since)}`);
      expect(result.output).toMatch(/Total lost packets 0 /);
      expect(result.status).toBe(0);
    });

    it('refuses credentials signed with another secret, through the same path', async () => {
      const wrong = synapseTurnCredentials(`${secret}x`, `@wrong:${example.spec.serverName}`, Date.now() / 1000 + 3600);
      const result = await uclient(wrong);
      expect(result.status).not.toBe(0);
      expect(result.output).not.toMatch(/Total lost packets/);
      // Refused by coturn itself, after TLS through Traefik.
      expect(coturnOf().tail(100_000)).toContain(`credentials of user <${wrong.username}> are wrong`);
    });

    it('answers a STUN request inside TLS with the TURN host as SNI: Traefik passes the plain TURN stream to coturn', async () => {
      const { handshake, answer } = await stunBindingOverTls(stackOf('example').extra.turns, turnHost);
      expect({ handshake, answer }).toEqual({ handshake: true, answer: 'binding success' });
    });

    it.each([
      ['the Matrix host, which has a certificate of its own', example.spec.hostnames.matrix],
      ['a host Traefik knows nothing of', 'other.example.eu'],
      ['no SNI at all', undefined],
    ])('does not pass a TLS connection with %s on the turns port to coturn', async (_what, servername) => {
      const { cert, answer } = await stunBindingOverTls(stackOf('example').extra.turns, servername);
      expect(answer).not.toBe('binding success');
      expect(cert?.subjectaltname ?? '').not.toContain(`DNS:${turnHost}`);
    });

    it('serves none of the Ingress routes on the turns port (their entry point is websecure)', async () => {
      const stack = stackOf('example');
      const host = example.spec.hostnames.matrix;
      const response = await send(stack.extra.turns, host, '/_matrix/client/versions', { tls: true });
      expect({ status: response.status, backend: backendOf(response) }).toEqual({ status: 404, backend: undefined });
      expect(backendOf(await send(stack.websecure, host, '/_matrix/client/versions', { tls: true }))?.service).toBe('synapse');
    });
  });
});
