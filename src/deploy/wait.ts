import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { LookupFunction } from 'node:net';
import { Interrupted } from './runner';
import { PORTS } from '../ports';

/** What one attempt found. */
export interface ProbeResult {
  readonly ready: boolean;
  /** Short reason, shown in progress lines (`connection refused`, `HTTP 503`). */
  readonly detail: string;
}

export interface WaitOptions {
  readonly timeoutMs: number;
  readonly intervalMs: number;
  readonly signal?: AbortSignal;
  /** Called after every unsuccessful attempt. */
  readonly onProgress?: (attempt: number, elapsedMs: number, detail: string) => void;
}

/** The thing never became ready within the timeout; `detail` is the last attempt's reason. */
export class WaitTimeout extends Error {
  constructor(
    readonly what: string,
    readonly attempts: number,
    readonly detail: string,
  ) {
    super(`${what} did not answer after ${attempts} attempts: ${detail}`);
    this.name = 'WaitTimeout';
  }
}

/** Probes until ready, the timeout passes (WaitTimeout) or the signal aborts (Interrupted). */
export async function waitUntil(what: string, probe: () => Promise<ProbeResult>, options: WaitOptions): Promise<number> {
  const start = Date.now();
  let attempt = 0;
  for (;;) {
    if (options.signal?.aborted) throw new Interrupted(what, 'wait');
    attempt += 1;
    const result = await probe().catch((error: Error) => ({ ready: false, detail: error.message }));
    if (result.ready) return attempt;
    const spent = Date.now() - start;
    options.onProgress?.(attempt, spent, result.detail);
    if (spent + options.intervalMs > options.timeoutMs) throw new WaitTimeout(what, attempt, result.detail);
    await sleep(options.intervalMs, options.signal);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}

/** A small HTTPS GET: status, headers and body (at most 1 MiB), with a timeout. */
export interface HttpsResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

export interface HttpsGetOptions extends Pick<RequestOptions, 'ca' | 'cert' | 'key'> {
  readonly timeoutMs?: number;
  /** Resolve every name to this (tests; or a fixed address). */
  readonly lookup?: LookupFunction;
  /** Port override (tests). */
  readonly port?: number;
  readonly headers?: Record<string, string>;
}

export function httpsGet(url: string, options: HttpsGetOptions = {}): Promise<HttpsResponse> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = httpsRequest(
      {
        hostname: u.hostname,
        port: options.port ?? (u.port ? Number(u.port) : PORTS.https),
        path: `${u.pathname}${u.search}`,
        method: 'GET',
        ca: options.ca,
        cert: options.cert,
        key: options.key,
        servername: u.hostname.match(/^[0-9.]+$|:/) ? undefined : u.hostname,
        lookup: options.lookup,
        rejectUnauthorized: true,
        agent: false,
        headers: { 'user-agent': 'sovereign-matrix', ...options.headers },
        timeout: options.timeoutMs ?? 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= 1 << 20) chunks.push(c);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${options.timeoutMs ?? 10_000} ms`)));
    req.on('error', (error: NodeJS.ErrnoException) => reject(new Error(error.code ? `${error.code}: ${error.message}` : error.message)));
    req.end();
  });
}

/** The cluster credentials the infra stack outputs. */
export interface KubeCredentials {
  /** `https://<ipv4>:<PORTS.kubernetesApi>` */
  readonly host: string;
  readonly caCertificate: string;
  readonly clientCertificate: string;
  readonly clientKey: string;
}

/** A custom resource type a stack creates with kubernetes_manifest. */
export interface ManifestKind {
  readonly apiVersion: string;
  readonly kind: string;
}

/** API groups every Kubernetes API server serves from its first start (`v1` is the core group). */
const BUILT_IN_GROUPS = new Set(['', 'apps', 'batch', 'policy', 'networking.k8s.io', 'rbac.authorization.k8s.io', 'storage.k8s.io']);

/**
 * The custom resource types among the kubernetes_manifest objects of a synthesized stack. OpenTofu's
 * kubernetes provider looks every type up in the cluster's API discovery while it plans, so these
 * must be served before the stack is planned (on a new k3s node, its CRDs register after /readyz
 * first says ok); the built-in types are there from the start. A counted object (one monitoring
 * stack of `auto`) exists only when the cluster serves its type, so its type is not waited for.
 */
export function manifestKinds(stackJson: { resource?: Record<string, Record<string, { manifest?: ManifestKind; count?: unknown }>> }): ManifestKind[] {
  const seen = new Map<string, ManifestKind>();
  for (const r of Object.values(stackJson.resource?.kubernetes_manifest ?? {})) {
    if (!r.manifest || r.count !== undefined) continue;
    const group = r.manifest.apiVersion.includes('/') ? r.manifest.apiVersion.split('/')[0] : '';
    if (BUILT_IN_GROUPS.has(group)) continue;
    seen.set(`${r.manifest.apiVersion} ${r.manifest.kind}`, { apiVersion: r.manifest.apiVersion, kind: r.manifest.kind });
  }
  return [...seen.values()].sort((a, b) => `${a.apiVersion} ${a.kind}`.localeCompare(`${b.apiVersion} ${b.kind}`));
}

/**
 * One attempt at the Kubernetes API's /readyz with the kit's client certificate, verifying the
 * server against the cluster CA from the outputs (never skipping verification); then, when the
 * next stack needs them, at the API discovery of each custom resource type.
 */
export function kubernetesReadyProbe(
  credentials: KubeCredentials,
  options: Pick<HttpsGetOptions, 'lookup' | 'timeoutMs'> & { readonly kinds?: readonly ManifestKind[] } = {},
): () => Promise<ProbeResult> {
  const get = (path: string) =>
    httpsGet(`${credentials.host.replace(/\/$/, '')}${path}`, {
      lookup: options.lookup,
      ca: credentials.caCertificate,
      cert: credentials.clientCertificate,
      key: credentials.clientKey,
      timeoutMs: options.timeoutMs ?? 5_000,
    });
  return async () => {
    const response = await get('/readyz');
    if (response.status !== 200 || response.body.trim() !== 'ok') {
      return { ready: false, detail: `HTTP ${response.status}${response.body ? `: ${response.body.trim().split('\n').pop()}` : ''}` };
    }
    for (const { apiVersion, kind } of options.kinds ?? []) {
      const discovery = await get(apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`);
      const served = discovery.status === 200 && parseKinds(discovery.body).includes(kind);
      if (!served) return { ready: false, detail: `${kind} (${apiVersion}) is not served yet` };
    }
    return { ready: true, detail: 'ok' };
  };
}

function parseKinds(body: string): string[] {
  try {
    const resources = (JSON.parse(body) as { resources?: { kind?: string }[] }).resources ?? [];
    return resources.map((r) => r.kind ?? '');
  } catch {
    return [];
  }
}

/** One attempt at the homeserver's client API through its public URL. */
export function homeserverProbe(matrixHost: string, options: HttpsGetOptions = {}): () => Promise<ProbeResult> {
  return async () => {
    const response = await httpsGet(`https://${matrixHost}/_matrix/client/versions`, { ...options, timeoutMs: options.timeoutMs ?? 5_000 });
    return response.status === 200 ? { ready: true, detail: 'ok' } : { ready: false, detail: `HTTP ${response.status}` };
  };
}
