import { connect as netConnect, type LookupFunction } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { DeploymentSpec } from '../config/spec';
import { PORTS } from '../ports';
import { wellKnownClient, wellKnownServer } from '../render/well-known';
import { httpsGet, type HttpsGetOptions } from './wait';

/** One check of the deployed service, as the operator sees it. */
export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface SelfCheckOptions {
  /** Extra trusted CA (tests; a private ACME CA). Public deployments are checked against the system store. */
  readonly ca?: string | Buffer;
  /** Name resolution override (tests). */
  readonly lookup?: LookupFunction;
  /** HTTPS port override (tests). */
  readonly httpsPort?: number;
  /** TURN ports to connect to, default 3478 and 5349 (tests map them). */
  readonly turnPorts?: readonly number[];
  readonly timeoutMs?: number;
}

/**
 * Checks a deployment from the outside, through its public names: TLS for every public hostname,
 * the .well-known delegation (exactly the rendered JSON; client discovery with CORS), the client
 * API, the federation endpoint as the federation mode says, and TURN's TCP ports.
 */
export async function selfCheck(spec: DeploymentSpec, options: SelfCheckOptions = {}): Promise<CheckResult[]> {
  const http: HttpsGetOptions = { ca: options.ca, lookup: options.lookup, port: options.httpsPort, timeoutMs: options.timeoutMs ?? 10_000 };
  const checks: Promise<CheckResult>[] = [];
  for (const host of publicHostnames(spec)) checks.push(tlsCheck(host, options));

  checks.push(
    jsonCheck(`https://${spec.serverName}/.well-known/matrix/server`, http, (json) => sameJson(json, wellKnownServer(spec))),
    jsonCheck(`https://${spec.serverName}/.well-known/matrix/client`, http, (json, headers) => {
      const same = sameJson(json, wellKnownClient(spec));
      if (same) return same;
      return headers['access-control-allow-origin'] === '*' ? undefined : 'no Access-Control-Allow-Origin: * header (web clients cannot read it)';
    }),
    jsonCheck(`https://${spec.hostnames.matrix}/_matrix/client/versions`, http, (json) =>
      Array.isArray((json as { versions?: unknown }).versions) ? undefined : 'no "versions" list',
    ),
    federationCheck(spec, http),
  );
  if (spec.calls.turn) {
    for (const port of options.turnPorts ?? [PORTS.turn, PORTS.turns]) checks.push(tcpCheck(spec.hostnames.turn, port, options));
  }
  return Promise.all(checks);
}

/** The hostnames served over HTTPS on 443. */
export function publicHostnames(spec: DeploymentSpec): string[] {
  const hosts = [spec.serverName, spec.hostnames.matrix, spec.hostnames.web, spec.hostnames.auth];
  if (spec.identity.mode === 'keycloak') hosts.push(spec.hostnames.sso);
  return [...new Set(hosts)];
}

function tlsCheck(host: string, options: SelfCheckOptions): Promise<CheckResult> {
  const name = `TLS certificate of ${host}`;
  return new Promise((resolve) => {
    const socket = tlsConnect({
      host,
      port: options.httpsPort ?? PORTS.https,
      servername: host,
      ca: options.ca,
      lookup: options.lookup,
      rejectUnauthorized: false,
      timeout: options.timeoutMs ?? 10_000,
    });
    const finish = (ok: boolean, detail: string) => {
      socket.destroy();
      resolve({ name, ok, detail });
    };
    socket.once('secureConnect', () => {
      if (!socket.authorized) return finish(false, `not trusted: ${socket.authorizationError}`);
      const cert = socket.getPeerCertificate();
      const days = Math.floor((new Date(cert.valid_to).getTime() - Date.now()) / 86_400_000);
      finish(true, `valid, issued by ${cert.issuer?.O ?? cert.issuer?.CN ?? 'unknown'}, expires in ${days} days`);
    });
    socket.once('timeout', () => finish(false, 'no answer'));
    socket.once('error', (error: NodeJS.ErrnoException) => finish(false, error.code ? `${error.code}: ${error.message}` : error.message));
  });
}

type JsonVerdict = (json: unknown, headers: Record<string, string | string[] | undefined>) => string | undefined;

async function jsonCheck(url: string, http: HttpsGetOptions, verdict: JsonVerdict): Promise<CheckResult> {
  const name = url;
  try {
    const response = await httpsGet(url, http);
    if (response.status !== 200) return { name, ok: false, detail: `HTTP ${response.status}` };
    let json: unknown;
    try {
      json = JSON.parse(response.body);
    } catch {
      return { name, ok: false, detail: 'not JSON' };
    }
    const problem = verdict(json, response.headers);
    return problem ? { name, ok: false, detail: problem } : { name, ok: true, detail: 'ok' };
  } catch (error) {
    return { name, ok: false, detail: (error as Error).message };
  }
}

function sameJson(actual: unknown, expected: unknown): string | undefined {
  return JSON.stringify(actual) === JSON.stringify(expected) ? undefined : `expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual).slice(0, 200)}`;
}

/**
 * open and allow_list: the federation API must answer through the delegated host (other servers
 * reach it there). closed: the kit sets an empty federation allow list, so Synapse refuses every
 * remote server; the endpoint may still answer its unauthenticated version query, and the check
 * only reports what it sees.
 */
async function federationCheck(spec: DeploymentSpec, http: HttpsGetOptions): Promise<CheckResult> {
  const url = `https://${spec.hostnames.matrix}/_matrix/federation/v1/version`;
  const name = `federation (${spec.federation.mode}): ${url}`;
  let response;
  try {
    response = await httpsGet(url, http);
  } catch (error) {
    return { name, ok: spec.federation.mode === 'closed', detail: (error as Error).message };
  }
  if (spec.federation.mode === 'closed') {
    return { name, ok: true, detail: `HTTP ${response.status}; federation is closed (empty allow list): remote servers are refused` };
  }
  try {
    const server = (JSON.parse(response.body) as { server?: { name?: string } }).server;
    if (response.status === 200 && server?.name) return { name, ok: true, detail: `answers (${server.name})` };
  } catch {
    /* fall through */
  }
  return { name, ok: false, detail: `HTTP ${response.status}: other servers cannot federate` };
}

function tcpCheck(host: string, port: number, options: SelfCheckOptions): Promise<CheckResult> {
  const name = `TURN ${host}:${port}/tcp`;
  return new Promise((resolve) => {
    const socket = netConnect({ host, port, lookup: options.lookup, timeout: options.timeoutMs ?? 10_000 });
    const finish = (ok: boolean, detail: string) => {
      socket.destroy();
      resolve({ name, ok, detail });
    };
    socket.once('connect', () => finish(true, 'reachable'));
    socket.once('timeout', () => finish(false, 'no answer (firewall?)'));
    socket.once('error', (error: NodeJS.ErrnoException) => finish(false, error.code ?? error.message));
  });
}
