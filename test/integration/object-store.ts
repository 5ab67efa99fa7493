/**
 * A real S3-compatible object store for integration tests: Versity's S3 gateway (versitygw, built
 * by `scripts/tools.sh versitygw`, part of its default run) with its POSIX backend, on 127.0.0.1,
 * on a free port, over TLS with a throwaway CA and server certificate made by openssl (the
 * deployment file accepts only https:// endpoints), one root account with a random key.
 *
 * It stands in for the EU object storage of production (Hetzner Object Storage, Scaleway, ...):
 * AWS Signature Version 4 with the store's own region (versitygw refuses a signature for any other
 * region), path-style addressing (https://127.0.0.1:PORT/<bucket>/<key>; there is no DNS for
 * virtual-host style), no AWS account or STS behind it.
 *
 * What the clients need against it (checked by test/integration/state-s3.test.ts):
 *  - OpenTofu's s3 backend: the kit's backend block (stacks/deployment-stack.ts) as is, with
 *    AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, and the CA in AWS_CA_BUNDLE: OpenTofu 1.12's s3
 *    backend (aws-sdk-go-v2) does not trust SSL_CERT_FILE's CA ("x509: certificate signed by
 *    unknown authority" with SSL_CERT_FILE alone).
 *  - restic: `-r s3:<endpoint>/<bucket>/<path>`, AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, the CA
 *    by --cacert or SSL_CERT_FILE.
 *  - pgBackRest: repo1-type=s3, repo1-s3-endpoint=127.0.0.1, repo1-storage-port=<port>,
 *    repo1-s3-region=<region>, repo1-s3-bucket, repo1-s3-uri-style=path,
 *    repo1-storage-ca-file=<caFile>, and the key in PGBACKREST_REPO1_S3_KEY /
 *    PGBACKREST_REPO1_S3_KEY_SECRET.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join, resolve } from 'node:path';
import { freePort, tail } from './postgres';
import { stopProcessGroup } from './process-group';
import { TOOLS_DIR } from './tools';

/** The store's region: a Hetzner location, as a deployment file in production would name it. */
export const OBJECT_STORE_REGION = 'fsn1';

export interface ObjectStore {
  /** https://127.0.0.1:<port>, what a deployment file's `s3.endpoint` holds. */
  readonly endpoint: string;
  readonly host: string;
  readonly port: number;
  /** The region every request must be signed for (`s3.region`). */
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** PEM file of the CA that signed the server certificate. */
  readonly caFile: string;
  /** The POSIX backend's root: bucket B, key K is the file <dataDir>/B/K. */
  readonly dataDir: string;
  /** versitygw's output (startup banner, errors; no request log). */
  readonly log: string;
  /** Creates a bucket (S3 CreateBucket, signed like any client's request). */
  createBucket(name: string): Promise<void>;
  /** Reads an object through the S3 API; undefined when there is none (404). */
  getObject(bucket: string, key: string): Promise<Buffer | undefined>;
  /** The keys in a bucket under `prefix`, through the S3 API (ListObjectsV2, one page of up to 1000). */
  listObjects(bucket: string, prefix?: string): Promise<string[]>;
  /**
   * The environment of an S3 client using the root account: AWS_ACCESS_KEY_ID,
   * AWS_SECRET_ACCESS_KEY, and the CA as SSL_CERT_FILE (the trusted CAs of Go programs such as
   * restic, and of OpenSSL) and AWS_CA_BUNDLE (the AWS SDKs, OpenTofu's s3 backend).
   */
  env(): Record<string, string>;
  /** Stops versitygw (SIGTERM, SIGKILL after 10 s). Safe to call twice. Leaves `dir` in place. */
  stop(): Promise<void>;
}

/** Why the object store cannot start here (versitygw is missing), or undefined. */
export function objectStoreUnavailable(toolsDir: string = TOOLS_DIR): string | undefined {
  const binary = join(toolsDir, 'bin', 'versitygw');
  if (existsSync(binary)) return undefined;
  return `${binary} is missing; build it with: scripts/tools.sh versitygw`;
}

/**
 * Starts versitygw in `dir` (certificates, data and log go there): POSIX backend, TLS, a random
 * root key, region OBJECT_STORE_REGION. Resolves when it answers a signed ListBuckets.
 */
export async function startObjectStore(dir: string, opts: { toolsDir?: string; region?: string; timeoutMs?: number } = {}): Promise<ObjectStore> {
  const unavailable = objectStoreUnavailable(opts.toolsDir);
  if (unavailable) throw new Error(unavailable);
  dir = resolve(dir);
  const region = opts.region ?? OBJECT_STORE_REGION;
  const tls = makeCertificates(join(dir, 'tls'));
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const log = join(dir, 'versitygw.log');
  const host = '127.0.0.1';
  const port = await freePort();
  const accessKeyId = `SM${randomBytes(9).toString('hex').toUpperCase()}`;
  const secretAccessKey = randomBytes(30).toString('base64url');
  const endpoint = `https://${host}:${port}`;
  const ca = readFileSync(tls.caFile);

  // Every path absolute: versitygw does not resolve --cert/--key against its working directory.
  // The key comes through the environment, not the command line (visible in ps).
  const out = openSync(log, 'a');
  let child: ChildProcess;
  try {
    child = spawn(join(opts.toolsDir ?? TOOLS_DIR, 'bin', 'versitygw'), [
      '--port', `${host}:${port}`,
      '--region', region,
      '--cert', tls.certFile,
      '--key', tls.keyFile,
      '--quiet',
      'posix', dataDir,
    ], {
      detached: true, // its own process group, stopped with stopProcessGroup
      stdio: ['ignore', out, out],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/', ROOT_ACCESS_KEY_ID: accessKeyId, ROOT_SECRET_ACCESS_KEY: secretAccessKey },
    });
  } finally {
    closeSync(out);
  }
  child.on('error', () => undefined); // reported through exitCode below

  const credentials = { accessKeyId, secretAccessKey, region };
  const s3 = (method: string, path: string, query: Record<string, string> = {}, body: Buffer = Buffer.alloc(0)) =>
    signedRequest({ host, port, ca }, credentials, method, path, query, body);

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await stopProcessGroup(child, 10_000);
  };

  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let last = '';
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`versitygw exited (${child.exitCode ?? child.signalCode}) before it served requests; ${log}:\n${tail(log, 40)}`);
    }
    try {
      const res = await s3('GET', '/');
      if (res.status === 200) break;
      last = `ListBuckets answered ${res.status}: ${res.body.toString('utf8').slice(0, 300)}`;
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`versitygw did not answer a signed ListBuckets within ${opts.timeoutMs ?? 30_000} ms (last: ${last}); ${log}:\n${tail(log, 40)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  const ok = (what: string, res: S3Response) => {
    if (res.status < 200 || res.status > 299) throw new Error(`${what}: HTTP ${res.status} ${res.body.toString('utf8').slice(0, 500)}`);
    return res;
  };
  return {
    endpoint,
    host,
    port,
    region,
    accessKeyId,
    secretAccessKey,
    caFile: tls.caFile,
    dataDir,
    log,
    createBucket: async (name) => {
      const body = Buffer.from(
        `<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>${region}</LocationConstraint></CreateBucketConfiguration>`,
      );
      ok(`CreateBucket ${name}`, await s3('PUT', `/${name}`, {}, body));
    },
    getObject: async (bucket, key) => {
      const res = await s3('GET', `/${bucket}/${key}`);
      return res.status === 404 ? undefined : ok(`GetObject ${bucket}/${key}`, res).body;
    },
    listObjects: async (bucket, prefix = '') => {
      const res = ok(`ListObjectsV2 ${bucket}`, await s3('GET', `/${bucket}`, { 'list-type': '2', prefix }));
      return [...res.body.toString('utf8').matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => xmlUnescape(m[1]));
    },
    env: () => ({ AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, SSL_CERT_FILE: tls.caFile, AWS_CA_BUNDLE: tls.caFile }),
    stop,
  };
}

interface S3Response {
  readonly status: number;
  readonly body: Buffer;
}

/**
 * One S3 request signed with AWS Signature Version 4 (header form, payload hashed), path-style.
 * `path` is /bucket or /bucket/key, unencoded; each segment is URI-encoded here.
 */
function signedRequest(
  server: { host: string; port: number; ca: Buffer },
  credentials: { accessKeyId: string; secretAccessKey: string; region: string },
  method: string,
  path: string,
  query: Record<string, string>,
  body: Buffer,
): Promise<S3Response> {
  const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
  const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
  const amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const scope = `${day}/${credentials.region}/s3/aws4_request`;
  const canonicalPath = path.split('/').map(uriEncode).join('/');
  const canonicalQuery = Object.keys(query)
    .sort()
    .map((k) => `${uriEncode(k)}=${uriEncode(query[k])}`)
    .join('&');
  const payloadHash = sha256(body);
  const hostHeader = `${server.host}:${server.port}`;
  const headers: Record<string, string> = { host: hostHeader, 'x-amz-content-sha256': payloadHash, 'x-amz-date': amzDate };
  const signedHeaders = Object.keys(headers).sort().join(';');
  const canonicalRequest = [
    method,
    canonicalPath,
    canonicalQuery,
    ...Object.keys(headers).sort().map((h) => `${h}:${headers[h]}`),
    '',
    signedHeaders,
    payloadHash,
  ].join('\n');
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  const key = ['s3', 'aws4_request'].reduce(
    (k, part) => hmac(k, part),
    hmac(hmac(`AWS4${credentials.secretAccessKey}`, day), credentials.region),
  );
  const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
  const authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;

  return new Promise((resolvePromise, reject) => {
    const req = httpsRequest(
      {
        host: server.host,
        port: server.port,
        method,
        path: canonicalPath + (canonicalQuery ? `?${canonicalQuery}` : ''),
        ca: server.ca,
        headers: { ...headers, authorization, 'content-length': String(body.length) },
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timeout`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** RFC 3986 unreserved characters stay, everything else is %XX (SigV4's UriEncode). */
function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function xmlUnescape(value: string): string {
  return value.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

/**
 * A CA and a server certificate for 127.0.0.1 and localhost (EC P-256, one day), as PEM files in
 * `dir`. Every client checks the name: Go and Node against the IP SAN; pgBackRest against the
 * SANs and the common name (it refuses a certificate for another name with "unable to find
 * hostname '127.0.0.1' in certificate common name or subject alternative names").
 */
export function makeCertificates(dir: string): { caFile: string; certFile: string; keyFile: string } {
  mkdirSync(dir, { recursive: true });
  const file = (name: string) => join(dir, name);
  const openssl = (args: string[]) => {
    const result = spawnSync('openssl', args, { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${result.stderr || result.error?.message}`);
  };
  const ecKey = (out: string) => openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', out]);
  ecKey(file('ca.key'));
  writeFileSync(file('ca.cnf'), [
    '[req]', 'distinguished_name = dn', 'prompt = no', '[dn]', 'CN = sovereign-matrix test object store CA',
    '[ext]', 'basicConstraints = critical, CA:TRUE', 'keyUsage = critical, keyCertSign, cRLSign, digitalSignature', 'subjectKeyIdentifier = hash',
  ].join('\n') + '\n');
  openssl(['req', '-x509', '-new', '-key', file('ca.key'), '-config', file('ca.cnf'), '-extensions', 'ext', '-days', '1', '-out', file('ca.crt')]);
  ecKey(file('server.key'));
  openssl(['req', '-new', '-key', file('server.key'), '-subj', '/CN=127.0.0.1', '-out', file('server.csr')]);
  writeFileSync(file('server.ext'), [
    'basicConstraints = critical, CA:FALSE',
    'keyUsage = critical, digitalSignature',
    'extendedKeyUsage = serverAuth',
    'subjectAltName = IP:127.0.0.1, DNS:localhost',
    'authorityKeyIdentifier = keyid',
  ].join('\n') + '\n');
  openssl(['x509', '-req', '-in', file('server.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial', '-days', '1', '-extfile', file('server.ext'), '-out', file('server.crt')]);
  return { caFile: file('ca.crt'), certFile: file('server.crt'), keyFile: file('server.key') };
}
