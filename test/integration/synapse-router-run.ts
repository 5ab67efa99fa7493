/**
 * The two hops in front of Synapse's processes, as real programs: Debian's nginx with the kit's
 * rendered router configuration (synapse-router/nginx.conf), and real Traefik (built by
 * scripts/tools.sh) with the routers its kubernetesingress provider builds from the synthesized
 * Ingress (test/integration/ingress-routers.ts).
 *
 * Router overlay (overlayRouterConf checks that nothing else changed): its listening port becomes a
 * free loopback port, every `<service>:<port>` of a Synapse process becomes 127.0.0.1 and that
 * process's port here, and its files under /tmp (pid, temporary files) go to the test's directory.
 * nginx runs with its pod's command (from the synthesized Deployment).
 *
 * Traefik overlay: only the entry points the Ingress names, on free loopback ports (websecure with
 * TLS, as the chart sets it), and the file provider instead of the Kubernetes one. The routers keep
 * the Ingress's rules, entry points and services; their TLS uses Traefik's default certificate
 * instead of the ACME resolver (certificates are test/integration/ingress.test.ts's subject).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { ANNOTATION, ingressToDynamicConfig, type IngressJson } from './ingress-routers';
import { freePort } from './postgres';
import type { ServiceHere } from './overlay';

/**
 * `rendered` with its listen port, every listed service address and its files under /tmp (pid,
 * temporary files) moved here; throws if anything else changed.
 */
export function overlayRouterConf(rendered: string, listen: { rendered: number; here: number }, services: Readonly<Record<string, ServiceHere>>, tmpDir: string): string {
  const listenRendered = new RegExp(`\\blisten\\s+${listen.rendered}\\s*;`, 'g');
  if ((rendered.match(listenRendered) ?? []).length !== 1) throw new Error(`the router configuration does not listen on ${listen.rendered} exactly once`);
  let result = rendered.replace(listenRendered, `listen 127.0.0.1:${listen.here};`);
  const back = new Map<string, string>();
  result = result.replace(/\b([a-z0-9][a-z0-9-]*):(\d+)\b/g, (whole, host: string, port: string) => {
    const here = services[host]?.ports[Number(port)];
    if (here === undefined) return whole;
    back.set(`127.0.0.1:${here}`, whole);
    return `127.0.0.1:${here}`;
  });
  result = result.replace(/ \/tmp\//g, ` ${tmpDir}/`);
  let undone = result.replace(`listen 127.0.0.1:${listen.here};`, `listen ${listen.rendered};`).split(` ${tmpDir}/`).join(' /tmp/');
  for (const [here, original] of back) undone = undone.split(here).join(original);
  if (undone !== rendered) throw new Error('the router overlay changed more than the listen port, the service addresses and /tmp');
  return result;
}

/**
 * Runs Debian's nginx as the router's pod does: its command (`podCommand`, synthesized) with the
 * configuration it names under /config written here, overlaid.
 */
export function startNginx(dir: string, podCommand: readonly string[], conf: string): { child: ChildProcess; logFile: string } {
  const configDir = join(dir, 'config');
  mkdirSync(configDir, { recursive: true });
  if (podCommand[0] !== 'nginx') throw new Error(`the router's pod runs ${podCommand[0]}, not nginx`);
  const confPath = podCommand[podCommand.indexOf('-c') + 1];
  if (!confPath?.startsWith('/config/')) throw new Error(`the router's pod names no configuration under /config: ${podCommand.join(' ')}`);
  writeFileSync(join(configDir, confPath.slice('/config/'.length)), conf);
  // -p: nginx's prefix for relative paths; the configuration has none, but nginx opens its
  // compiled-in default error log under it before reading the configuration.
  const args = [...podCommand.slice(1).map((a) => (a.startsWith('/config/') ? join(configDir, a.slice('/config/'.length)) : a)), '-p', dir];
  const logFile = join(dir, 'nginx.log');
  const out = openSync(logFile, 'a');
  try {
    // Output to a file, not a pipe: the configuration opens /dev/stderr and /dev/stdout, which a
    // socket (node's pipes) cannot be reopened as.
    const check = spawnSync('nginx', ['-t', ...args], { stdio: ['ignore', out, out] });
    if (check.status !== 0) throw new Error(`nginx -t refused the rendered router configuration:\n${readFileSync(logFile, 'utf8')}`);
    const child = spawn('nginx', args, { detached: true, stdio: ['ignore', out, out] });
    return { child, logFile };
  } finally {
    closeSync(out);
  }
}

export interface Traefik {
  readonly child: ChildProcess;
  /** Entry point name -> its local port. */
  readonly entryPoints: Readonly<Record<string, number>>;
  readonly logFile: string;
}

/** Starts Traefik with the Ingress's routers; `backendUrl` maps each Kubernetes service to a URL here. */
export async function startTraefik(binary: string, dir: string, ingress: IngressJson, backendUrl: (service: string) => string): Promise<Traefik> {
  const fileDir = join(dir, 'dynamic');
  mkdirSync(fileDir, { recursive: true });
  const dynamic = ingressToDynamicConfig(ingress, backendUrl) as { http: { routers: Record<string, { tls?: { certResolver?: string } }> } };
  for (const router of Object.values(dynamic.http.routers)) {
    if (Object.keys(router.tls ?? {}).join() !== 'certResolver') throw new Error(`unexpected router TLS ${JSON.stringify(router.tls)}`);
    router.tls = {};
  }
  writeFileSync(join(fileDir, 'ingress.yaml'), JSON.stringify(dynamic, null, 2));
  const names = ingress.metadata.annotations[`${ANNOTATION}router.entrypoints`].split(',').map((e) => e.trim());
  const entryPoints: Record<string, number> = {};
  for (const name of names) entryPoints[name] = await freePort();
  const args = [
    ...names.flatMap((name) => [`--entryPoints.${name}.address=127.0.0.1:${entryPoints[name]}/tcp`, ...(name === 'websecure' ? ['--entryPoints.websecure.http.tls=true'] : [])]),
    `--providers.file.directory=${fileDir}`,
    '--global.checkNewVersion=false',
    '--log.level=INFO',
  ];
  const logFile = join(dir, 'traefik.log');
  const out = openSync(logFile, 'a');
  try {
    const child = spawn(binary, args, { detached: true, stdio: ['ignore', out, out] });
    return { child, entryPoints, logFile };
  } finally {
    closeSync(out);
  }
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

/** One HTTPS request to 127.0.0.1:port as a client of `host` (SNI and Host); Traefik's default certificate is accepted. */
export function httpsTo(port: number, host: string, method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({
      host: '127.0.0.1',
      port,
      servername: host,
      rejectUnauthorized: false,
      method,
      path,
      headers: { host, ...headers, ...(body ? { 'content-length': String(body.length) } : {}) },
      agent: false,
      timeout: 60_000,
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${path}`)));
    req.on('error', reject);
    req.end(body);
  });
}
