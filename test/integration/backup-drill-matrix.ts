/**
 * The Matrix side of the backup drill (test/integration/backup-drill.test.ts): the real Synapse
 * with the kit's rendered homeserver.yaml, and the client-API calls the drill makes. Nothing here
 * is a stand-in for Synapse; requests go to 127.0.0.1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import YAML from 'yaml';
import { tail } from './postgres';

/**
 * The drill's one change to the rendered Synapse configuration beyond the documented overlay
 * (test/integration/overlay.ts): login. The kit's Synapse delegates accounts to Matrix
 * Authentication Service, which no package registry here serves, so for the drill Synapse keeps
 * its own password accounts: matrix_authentication_service off, password_config on, users
 * registered through the admin API with a random shared secret (registration_shared_secret_path,
 * a file like the kit's other secrets: Synapse runs with --no-secrets-in-config). It changes who
 * checks a password, not what is stored where or what the backup holds (the MAS database is
 * still created by the rendered init-mas.sql and backed up with the rest of the cluster).
 * Throws if the rendered file no longer has the keys it changes.
 */
export function passwordLoginInsteadOfMas(overlaid: string, registrationSharedSecretPath: string): string {
  const config = YAML.parse(overlaid) as Record<string, unknown>;
  const mas = config.matrix_authentication_service as Record<string, unknown> | undefined;
  if (mas?.enabled !== true) throw new Error('the rendered homeserver.yaml no longer enables matrix_authentication_service');
  if ((config.password_config as Record<string, unknown> | undefined)?.enabled !== false) throw new Error('the rendered homeserver.yaml no longer turns password_config off');
  if ('registration_shared_secret' in config || 'registration_shared_secret_path' in config) throw new Error('the rendered homeserver.yaml has a registration shared secret');
  config.matrix_authentication_service = { ...mas, enabled: false };
  config.password_config = { enabled: true };
  config.registration_shared_secret_path = registrationSharedSecretPath;
  return YAML.stringify(config, { lineWidth: 0 });
}

/** Starts Synapse (detached, its own process group) and resolves when /health answers 200. */
export async function startSynapse(opts: { python: string; configFile: string; cwd: string; logFile: string; env: Record<string, string>; base: string; timeoutMs: number }): Promise<ChildProcess> {
  const out = openSync(opts.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(opts.python, ['-m', 'synapse.app.homeserver', '-c', opts.configFile, '--no-secrets-in-config'], {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      detached: true,
      stdio: ['ignore', out, out],
    });
  } finally {
    closeSync(out);
  }
  const deadline = Date.now() + opts.timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`Synapse exited (${child.exitCode ?? child.signalCode}) before it was healthy. Log tail:\n${tail(opts.logFile)}`);
    }
    try {
      const res = await fetch(`${opts.base}/health`, { signal: AbortSignal.timeout(5_000) });
      if (res.status === 200) return child;
      last = `HTTP ${res.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(200);
  }
  throw new Error(`Synapse was not healthy within ${opts.timeoutMs / 1000} s (last: ${last}). Log tail:\n${tail(opts.logFile)}`);
}

/** A small client of Synapse's client-server and admin APIs. */
export class MatrixClient {
  constructor(readonly base: string) {}

  async request(method: string, path: string, opts: { token?: string; json?: unknown; body?: Buffer; contentType?: string } = {}): Promise<{ status: number; body: Buffer; json: () => any }> {
    const headers: Record<string, string> = {};
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let body: string | Buffer | undefined;
    if (opts.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.json);
    } else if (opts.body) {
      headers['content-type'] = opts.contentType ?? 'application/octet-stream';
      body = opts.body;
    }
    const res = await fetch(`${this.base}${path}`, { method, headers, body, signal: AbortSignal.timeout(30_000) });
    const buffer = Buffer.from(await res.arrayBuffer());
    return { status: res.status, body: buffer, json: () => JSON.parse(buffer.toString('utf8')) };
  }

  /** `request` that throws unless the answer is 200, with the answer in the message. */
  async ok(method: string, path: string, opts: Parameters<MatrixClient['request']>[2] = {}): Promise<any> {
    const res = await this.request(method, path, opts);
    if (res.status !== 200) throw new Error(`${method} ${path}: HTTP ${res.status} ${res.body.toString('utf8').slice(0, 500)}`);
    return res.json();
  }

  /** Registers a user through the shared-secret admin API; returns its access token. */
  async register(sharedSecret: string, username: string, password: string): Promise<{ userId: string; token: string }> {
    const { nonce } = await this.ok('GET', '/_synapse/admin/v1/register');
    const mac = createHmac('sha1', sharedSecret).update(`${nonce}\0${username}\0${password}\0notadmin`).digest('hex');
    const body = await this.ok('POST', '/_synapse/admin/v1/register', { json: { nonce, username, password, admin: false, mac } });
    return { userId: body.user_id, token: body.access_token };
  }

  async login(username: string, password: string): Promise<{ status: number; token?: string; userId?: string }> {
    const res = await this.request('POST', '/_matrix/client/v3/login', {
      json: { type: 'm.login.password', identifier: { type: 'm.id.user', user: username }, password },
    });
    if (res.status !== 200) return { status: res.status };
    const body = res.json();
    return { status: 200, token: body.access_token, userId: body.user_id };
  }

  private txn = 0;

  /** Sends a text message; returns its event id once Synapse has stored it. */
  async send(token: string, roomId: string, text: string): Promise<string> {
    this.txn += 1;
    const body = await this.ok('PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/drill-${Date.now()}-${this.txn}`, {
      token,
      json: { msgtype: 'm.text', body: text },
    });
    return body.event_id;
  }

  /** Message bodies of a room, oldest first. */
  async messages(token: string, roomId: string): Promise<string[]> {
    const body = await this.ok('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=100`, { token });
    return (body.chunk as { type: string; content: { body?: string } }[])
      .filter((e) => e.type === 'm.room.message')
      .map((e) => e.content.body ?? '')
      .reverse();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
