/**
 * Redis from Debian (bookworm's redis-server, 7.0.15), unpacked rather than installed
 * (scripts/integration/debian-unpack.sh: installing would start Debian's service on :6379), booted
 * with the kit's rendered redis.conf through a documented overlay.
 *
 * Debian's redis-server package holds only the symlink /usr/bin/redis-server -> redis-check-rdb;
 * the program is redis-tools' multi-call binary, which runs as the server when its argv[0] does
 * not name redis-check-rdb. Its libraries outside the base system (jemalloc, lzf) are unpacked
 * too and found through LD_LIBRARY_PATH.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { unpackDebianPackage } from './debian-packages';

const LIB = join('usr', 'lib', 'x86_64-linux-gnu');

export interface RedisBinary {
  readonly binary: string;
  /** redis-tools' redis-cli. */
  readonly cli: string;
  readonly libraryPath: string;
  /** What `redis-server --version` prints. */
  readonly version: string;
}

/** Unpacks (or reuses) Debian's redis-server and what it needs; checks that it runs. */
export function redisBinary(): RedisBinary {
  const server = unpackDebianPackage('redis-server');
  const tools = unpackDebianPackage('redis-tools');
  const libraryPath = ['libjemalloc2', 'liblzf1'].map((p) => join(unpackDebianPackage(p), LIB)).join(':');
  // The package's own symlink says which program the server is.
  const binary = join(tools, 'usr', 'bin', readlinkSync(join(server, 'usr', 'bin', 'redis-server')));
  const run = spawnSync(binary, ['--version'], { argv0: 'redis-server', env: { ...process.env, LD_LIBRARY_PATH: libraryPath }, encoding: 'utf8' });
  if (run.status !== 0 || !/^Redis server v=/.test(run.stdout)) throw new Error(`${binary} --version failed: ${run.stdout}${run.stderr}`);
  return { binary, cli: join(tools, 'usr', 'bin', 'redis-cli'), libraryPath, version: run.stdout.trim() };
}

/**
 * The test overlay of redis.conf: it may change only these directives, each to the given value
 * (a directive the rendered file does not have is added at the end); every other line stays
 * byte-identical, which the function checks.
 */
export function overlayRedisConf(rendered: string, values: Readonly<Record<string, string>>): string {
  const seen = new Set<string>();
  const lines = rendered.split('\n').map((line) => {
    const directive = /^\s*([a-z-]+)\s/.exec(line)?.[1];
    if (directive === undefined || values[directive] === undefined) return line;
    if (seen.has(directive)) throw new Error(`redis.conf sets ${directive} twice`);
    seen.add(directive);
    return `${directive} ${values[directive]}`;
  });
  const added = Object.keys(values).filter((d) => !seen.has(d));
  const result = [...lines, ...added.map((d) => `${d} ${values[d]}`), ''].join('\n').replace(/\n+$/, '\n');
  const kept = (text: string) => text.split('\n').filter((l) => !Object.keys(values).includes(/^\s*([a-z-]+)\s/.exec(l)?.[1] ?? '') && l.trim() !== '');
  if (kept(result).join('\n') !== kept(rendered).join('\n')) throw new Error('the redis.conf overlay changed more than its directives');
  return result;
}

/**
 * The servers the pod may run, each standing for Debian's redis-server here: the kit deploys
 * Valkey (src/versions.ts: BSD-licensed, a fork of Redis OSS 7.2.4 speaking the same protocol,
 * reading the same redis.conf directives); bookworm ships Redis 7.0 and no Valkey, so Redis 7.0
 * boots the same rendered file with the pod's arguments. Synapse uses pub/sub and plain keys only.
 */
const SERVERS = ['valkey-server', 'redis-server'];

/**
 * Starts the server as its pod does: the pod's command (`podCommand`, synthesized, e.g.
 * `valkey-server /config/redis.conf`) with paths under /config moved to `configDir`, run by
 * Debian's redis-server (SERVERS). Detached, its own process group; output to `logFile`.
 */
export function startRedis(redis: RedisBinary, podCommand: readonly string[], configDir: string, logFile: string): ChildProcess {
  if (!SERVERS.includes(podCommand[0])) throw new Error(`the Redis pod runs ${podCommand[0]}, not one of ${SERVERS.join(', ')}`);
  const args = podCommand.slice(1).map((a) => (a.startsWith('/config/') ? join(configDir, a.slice('/config/'.length)) : a));
  const out = openSync(logFile, 'a');
  try {
    return spawn(redis.binary, args, {
      argv0: 'redis-server',
      cwd: configDir,
      env: { ...process.env, LD_LIBRARY_PATH: redis.libraryPath },
      detached: true,
      stdio: ['ignore', out, out],
    });
  } finally {
    closeSync(out);
  }
}

/** Runs Debian's redis-cli against host:port; its output (a reply per line, errors as text). */
export function redisCli(redis: RedisBinary, host: string, port: number, ...command: string[]): string {
  const run = spawnSync(redis.cli, ['-h', host, '-p', String(port), ...command], { env: { ...process.env, LD_LIBRARY_PATH: redis.libraryPath }, encoding: 'utf8', timeout: 10_000 });
  if (run.status !== 0) throw new Error(`redis-cli ${command.join(' ')} failed (${run.status ?? run.error?.message}): ${run.stdout}${run.stderr}`);
  return run.stdout;
}
