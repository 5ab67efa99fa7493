/**
 * The real LiveKit SFU (scripts/tools.sh livekit: the pinned release, built from the Go module
 * proxy) booted with the rendered livekit.yaml, and the few client pieces the test needs without
 * LiveKit's SDKs: HS256 access tokens (LiveKit's tokens are JWTs signed with the API secret, the
 * grants in a `video` claim), one WebSocket message, and a protobuf walk that finds the ICE servers
 * in the join response.
 *
 * The documented overlay (livekitOverlay) is all that differs from production: the node address
 * the entrypoint substitutes is loopback, the signalling and ICE/TCP ports are free loopback ports,
 * the mounted secret files live under a temporary directory, and the webhook goes to the test's
 * own receiver instead of lk-jwt-service's Service. Everything else is the rendered file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { request } from 'node:http';
import YAML from 'yaml';
import { LIVEKIT_ENV } from '../../src/render/livekit';
import { tail } from './postgres';

export interface LivekitOverlay {
  /** Directory standing in for the container's root: `/secrets/...` becomes `<root>/secrets/...`. */
  readonly root: string;
  readonly port: number;
  readonly tcpPort: number;
  readonly webhookUrl: string;
}

/** The rendered livekit.yaml with the overlay applied (see the header). */
export function livekitOverlay(rendered: string, overlay: LivekitOverlay): string {
  const placeholder = `@@${LIVEKIT_ENV.nodeIp}@@`;
  if (!rendered.includes(placeholder)) throw new Error(`the rendered livekit.yaml has no ${placeholder}`);
  const config = YAML.parse(rendered.replaceAll(placeholder, '127.0.0.1')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  config.port = overlay.port;
  config.bind_addresses = ['127.0.0.1'];
  config.rtc.tcp_port = overlay.tcpPort;
  const mount = (path: string) => {
    if (!/^\/(secrets|run)\//.test(path)) throw new Error(`not a secret file of the container: ${path}`);
    return `${overlay.root}${path}`;
  };
  config.key_file = mount(config.key_file);
  for (const server of config.rtc.turn_servers) server.secret_file = mount(server.secret_file);
  config.webhook.urls = [overlay.webhookUrl];
  return YAML.stringify(config, { lineWidth: 0 });
}

/** Starts livekit-server with a configuration file; resolves when its HTTP port answers. */
export async function startLivekit(binary: string, configFile: string, logFile: string, base: string, timeoutMs: number): Promise<ChildProcess> {
  const out = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(binary, ['--config', configFile], { detached: true, stdio: ['ignore', out, out] });
  } finally {
    closeSync(out);
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`livekit-server exited (${child.exitCode ?? child.signalCode}) before it answered. Log tail:\n${tail(logFile)}`);
    }
    try {
      if ((await fetch(base, { signal: AbortSignal.timeout(1_000) })).status === 200) return child;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill('SIGKILL');
  throw new Error(`livekit-server did not answer within ${timeoutMs} ms. Log tail:\n${tail(logFile)}`);
}

/** Runs livekit-server until it exits (for configurations it must refuse); its exit code and output. */
export async function runLivekitUntilExit(binary: string, configFile: string, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  const child = spawn(binary, ['--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  return { code, output };
}

/** A LiveKit access token: HS256, issuer = API key, grants in `video`, valid for ten minutes. */
export function livekitToken(apiKey: string, secret: string, claims: Record<string, unknown>): string {
  const now = Math.floor(Date.now() / 1000);
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ iss: apiKey, nbf: now - 10, exp: now + 600, ...claims })}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

/** The claims of an HS256 JWT whose signature `secret` made, or undefined when it did not. */
export function verifiedClaims(token: string, secret: string): Record<string, unknown> | undefined {
  const [header, payload, signature] = token.split('.');
  if (!signature) return undefined;
  const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  if (expected !== signature) return undefined;
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
}

/**
 * Opens a WebSocket and resolves with the first data frame the server sends (LiveKit's signalling
 * starts with the join response). Rejects with the HTTP status and body when the server refuses
 * the upgrade.
 */
export function firstWebSocketMessage(url: string, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': randomBytes(16).toString('base64') },
      timeout: timeoutMs,
    });
    req.on('timeout', () => req.destroy(new Error(`no WebSocket message within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => reject(new Error(`HTTP ${res.statusCode}: ${body.trim()}`)));
    });
    req.on('upgrade', (_res, socket, head) => {
      let buffer = Buffer.from(head);
      const next = () => {
        for (;;) {
          const frame = parseFrame(buffer);
          if (!frame) return;
          buffer = buffer.subarray(frame.length);
          // Text or binary data; pings and other control frames are skipped.
          if (frame.opcode === 1 || frame.opcode === 2) {
            socket.destroy();
            resolve(frame.payload);
            return;
          }
        }
      };
      socket.on('data', (data: Buffer) => {
        buffer = Buffer.concat([buffer, data]);
        next();
      });
      socket.on('error', reject);
      next();
    });
    req.end();
  });
}

/** One unfragmented, unmasked server frame at the start of `buffer`, or undefined when incomplete. */
function parseFrame(buffer: Buffer): { opcode: number; payload: Buffer; length: number } | undefined {
  if (buffer.length < 2) return undefined;
  let length = buffer[1] & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (buffer.length < 4) return undefined;
    length = buffer.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (buffer.length < 10) return undefined;
    length = Number(buffer.readBigUInt64BE(2));
    offset = 10;
  }
  if (buffer.length < offset + length) return undefined;
  return { opcode: buffer[0] & 0x0f, payload: buffer.subarray(offset, offset + length), length: offset + length };
}

export interface IceServer {
  readonly urls: string[];
  readonly username: string;
  readonly credential: string;
}

/**
 * Every livekit.ICEServer (urls = 1, username = 2, credential = 3) anywhere in a protobuf message,
 * found by walking every length-delimited field that parses as a message.
 */
export function iceServersIn(message: Buffer): IceServer[] {
  const fields = protobufFields(message);
  if (!fields) return [];
  const strings = (no: number) => fields.filter((f) => f.no === no && f.bytes).map((f) => f.bytes!.toString('utf8'));
  const urls = strings(1);
  const found: IceServer[] = [];
  if (urls.length > 0 && urls.every((u) => /^(stun|turn|turns):/.test(u))) {
    found.push({ urls, username: strings(2)[0] ?? '', credential: strings(3)[0] ?? '' });
  }
  for (const field of fields) if (field.bytes && field.bytes.length > 0) found.push(...iceServersIn(field.bytes));
  return found;
}

/** The fields of a protobuf message, or undefined when the bytes are not one. */
function protobufFields(buffer: Buffer): { no: number; bytes?: Buffer }[] | undefined {
  const fields: { no: number; bytes?: Buffer }[] = [];
  let offset = 0;
  const varint = (): number | undefined => {
    let value = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      if (offset >= buffer.length) return undefined;
      const byte = buffer[offset++];
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
    return undefined;
  };
  while (offset < buffer.length) {
    const key = varint();
    if (key === undefined || key === 0) return undefined;
    const no = Math.floor(key / 8);
    switch (key % 8) {
      case 0:
        if (varint() === undefined) return undefined;
        fields.push({ no });
        break;
      case 1:
        offset += 8;
        fields.push({ no });
        break;
      case 2: {
        const length = varint();
        if (length === undefined || offset + length > buffer.length) return undefined;
        fields.push({ no, bytes: buffer.subarray(offset, offset + length) });
        offset += length;
        break;
      }
      case 5:
        offset += 4;
        fields.push({ no });
        break;
      default:
        return undefined;
    }
  }
  return offset === buffer.length ? fields : undefined;
}
