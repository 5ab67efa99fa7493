/**
 * Synapse's main process and every worker the kit renders, prepared to boot on this machine with
 * the rendered files (synapse/homeserver.yaml, synapse/worker-<name>.yaml, synapse/log.config)
 * through the documented overlay of test/integration/overlay.ts, and nothing else:
 *
 * - mount points become one temporary directory each, shared by every process (in the cluster the
 *   processes are pods; here one media store, one signing key);
 * - each process's listener ports become free ports of its own (every pod listens on the same
 *   ports; on one machine each process needs its own), and every `host`/`port` pair naming one of
 *   the processes' Services (the `instance_map`) or Redis's becomes 127.0.0.1 and that process's port;
 * - the database host becomes 127.0.0.1, its port the test cluster's;
 * - every file under /secrets that a rendered file names is a random file.
 *
 * Plus the one adaptation of the backup drill (passwordLoginInsteadOfMas in
 * backup-drill-matrix.ts, which checks the keys it changes): MAS, which no registry here serves,
 * is off and users are registered through the admin API with a shared secret.
 *
 * Each process runs its pod's command (from the synthesized Deployment, `commandOf`) with the
 * image's `python` as the venv's and the paths under the mount points moved like the files.
 * It logs to the console as the rendered log.config says; its output goes to a log file of its
 * own, which is how the tests tell which process served a request.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import YAML from 'yaml';
import type { DeploymentSpec } from '../../src/config/spec';
import { renderAll } from '../../src/render';
import { SYNAPSE_PASSWORD_VARIABLE } from '../../src/render/postgres';
import { passwordLoginInsteadOfMas, sleep } from './backup-drill-matrix';
import { overlaySynapseConfig, type ServiceHere } from './overlay';
import { freePort, tail, type Postgres } from './postgres';

/** The rendered worker files: `synapse/worker-<worker_name>.yaml`. */
export const WORKER_FILE = /^synapse\/worker-(.+)\.yaml$/;
const SHARED_FILE = 'synapse/homeserver.yaml';

export interface SynapseProcess {
  /** `main`, or the worker's `worker_name`. */
  readonly name: string;
  /** Its pod's command, as synthesized. */
  readonly podCommand: readonly string[];
  /** The same command here: the venv's python, paths under the mount points moved. */
  readonly argv: readonly string[];
  readonly logFile: string;
  /** Rendered listener port -> its port here. */
  readonly ports: Readonly<Record<number, number>>;
  /** /health on its first HTTP listener. */
  readonly healthUrl: string;
  /** The rendered worker file (or homeserver.yaml for main), parsed. */
  readonly rendered: Record<string, unknown>;
}

export interface WorkersRun {
  readonly dir: string;
  readonly processes: readonly SynapseProcess[];
  readonly main: SynapseProcess;
  readonly dbPassword: string;
  readonly registrationSecret: string;
  /** Service name -> where it is here (every Synapse process named in instance_map, and Redis). */
  readonly services: Readonly<Record<string, ServiceHere>>;
  /** The overlaid shared homeserver.yaml, parsed. */
  readonly shared: Record<string, unknown>;
}

type Listener = { port: number; type: string; resources?: { names: string[] }[] };

function listenersOf(config: Record<string, unknown>, key: 'listeners' | 'worker_listeners'): Listener[] {
  const listeners = config[key];
  if (!Array.isArray(listeners) || listeners.length === 0) throw new Error(`no ${key} in a rendered Synapse file`);
  return listeners as Listener[];
}

/** An argument naming a path under a mount point, moved to its directory here; others unchanged. */
function moveUnderMounts(arg: string, mounts: Readonly<Record<string, string>>): string {
  for (const [mount, here] of Object.entries(mounts)) if (arg.startsWith(`${mount}/`)) return here + arg.slice(mount.length);
  return arg;
}

/** Every string under /secrets in a parsed YAML value. */
function secretPaths(value: unknown): string[] {
  if (typeof value === 'string') return value.startsWith('/secrets/') ? [value] : [];
  if (Array.isArray(value)) return value.flatMap(secretPaths);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(secretPaths);
  return [];
}

/**
 * Creates Synapse's database with the rendered init script and writes every process's overlaid
 * configuration into `dir`. `redis` is where Redis listens here; `redisService` its Service name
 * (the rendered `redis.host`).
 */
export async function prepareWorkersRun(
  python: string,
  spec: DeploymentSpec,
  db: Postgres,
  dir: string,
  redis: { port: number },
  commandOf: (process: string) => readonly string[],
): Promise<WorkersRun> {
  const rendered = new Map(renderAll(spec).map((f) => [f.path, f.content]));
  const file = (path: string) => {
    const content = rendered.get(path);
    if (content === undefined) throw new Error(`nothing rendered ${path}`);
    return content;
  };
  const mounts = { '/data': join(dir, 'data'), '/config': join(dir, 'config'), '/secrets': join(dir, 'secrets') };
  for (const d of Object.values(mounts)) mkdirSync(d, { recursive: true });
  mkdirSync(join(mounts['/data'], 'keys'), { recursive: true });
  mkdirSync(join(dir, 'logs'), { recursive: true });

  const initFile = join(dir, 'init-synapse.sql');
  writeFileSync(initFile, file('postgres/init-synapse.sql'));
  chmodSync(initFile, 0o644);
  const dbPassword = randomBytes(24).toString('hex');
  db.psql(['-v', 'ON_ERROR_STOP=1', '-v', `${SYNAPSE_PASSWORD_VARIABLE}=${dbPassword}`, '-f', initFile]);

  const sharedRendered = YAML.parse(file(SHARED_FILE)) as Record<string, unknown>;
  const workerFiles = [...rendered.keys()].filter((p) => WORKER_FILE.test(p)).sort();
  const workers = workerFiles.map((path) => ({ path, config: YAML.parse(file(path)) as Record<string, unknown> }));
  for (const { path, config } of workers) {
    if (config.worker_name !== WORKER_FILE.exec(path)![1]) throw new Error(`${path} names the worker ${String(config.worker_name)}`);
  }

  // Every listener of every process gets a port of its own.
  const allocate = async (listeners: Listener[]) => {
    const ports: Record<number, number> = {};
    for (const l of listeners) ports[l.port] = await freePort();
    return ports;
  };
  const mainPorts = await allocate(listenersOf(sharedRendered, 'listeners'));
  const workerPorts = new Map<string, Record<number, number>>();
  for (const { config } of workers) workerPorts.set(String(config.worker_name), await allocate(listenersOf(config, 'worker_listeners')));

  // instance_map: worker name -> {host: its Service, port}; `main` is the main process.
  const services: Record<string, ServiceHere> = {};
  const instanceMap = (sharedRendered.instance_map ?? {}) as Record<string, { host: string; port: number }>;
  for (const [name, { host, port }] of Object.entries(instanceMap)) {
    const ports = name === 'main' ? mainPorts : workerPorts.get(name);
    if (!ports || ports[port] === undefined) throw new Error(`instance_map.${name} names ${host}:${port}, which no rendered listener of ${name} has`);
    if (services[host] && services[host].ports[port] !== ports[port]) throw new Error(`two instances behind the Service ${host}`);
    services[host] = { host: '127.0.0.1', ports: { ...(services[host]?.ports ?? {}), [port]: ports[port] } };
  }
  const redisConfig = sharedRendered.redis as { enabled?: boolean; host?: string; port?: number } | undefined;
  if (!redisConfig?.enabled || !redisConfig.host || !redisConfig.port) throw new Error(`${SHARED_FILE} does not enable Redis with a host and port`);
  services[redisConfig.host] = { host: '127.0.0.1', ports: { [redisConfig.port]: redis.port } };

  for (const secret of new Set([sharedRendered, ...workers.map((w) => w.config)].flatMap(secretPaths))) {
    const path = join(mounts['/secrets'], secret.slice('/secrets'.length));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  }
  const registrationSecret = randomBytes(32).toString('hex');
  const registrationSecretPath = join(dir, 'registration-shared-secret');
  writeFileSync(registrationSecretPath, registrationSecret, { mode: 0o600 });

  const overlay = (content: string, ports: Record<number, number>) =>
    overlaySynapseConfig(content, { mounts, ports: { ...ports, [Number((sharedRendered.database as { args: { port: number } }).args.port)]: db.port }, databaseHost: '127.0.0.1', services });
  const sharedFile = join(mounts['/config'], 'homeserver.yaml');
  const sharedOverlaid = passwordLoginInsteadOfMas(overlay(file(SHARED_FILE), mainPorts), registrationSecretPath);
  writeFileSync(sharedFile, sharedOverlaid);
  writeFileSync(join(mounts['/config'], 'log.config'), file('synapse/log.config'));

  const healthOf = (listeners: Listener[], ports: Record<number, number>) => {
    const http = listeners.find((l) => l.type === 'http');
    if (!http) throw new Error('a Synapse process without an HTTP listener');
    return `http://127.0.0.1:${ports[http.port]}/health`;
  };
  const log = (name: string) => join(dir, 'logs', `${name}.log`);
  const argvOf = (name: string) => {
    const command = commandOf(name);
    if (command[0] !== 'python') throw new Error(`${name}'s pod runs ${command[0]}, not the image's python`);
    const argv = [python, ...command.slice(1).map((arg) => moveUnderMounts(arg, mounts))];
    return { podCommand: command, argv };
  };
  const main: SynapseProcess = {
    name: 'main',
    ...argvOf('main'),
    logFile: log('main'),
    ports: mainPorts,
    healthUrl: healthOf(listenersOf(sharedRendered, 'listeners'), mainPorts),
    rendered: sharedRendered,
  };
  const processes: SynapseProcess[] = [main];
  for (const { path, config } of workers) {
    const name = String(config.worker_name);
    const ports = workerPorts.get(name)!;
    const workerFile = join(mounts['/config'], path.slice('synapse/'.length));
    writeFileSync(workerFile, overlay(file(path), ports));
    processes.push({
      name,
      ...argvOf(name),
      logFile: log(name),
      ports,
      healthUrl: healthOf(listenersOf(config, 'worker_listeners'), ports),
      rendered: config,
    });
  }

  // Every file a command names under /config is one the overlay wrote.
  for (const p of processes) {
    for (const arg of p.podCommand.filter((a) => a.startsWith('/config/'))) {
      if (!existsSync(moveUnderMounts(arg, mounts))) throw new Error(`${p.name}'s pod reads ${arg}, which nothing rendered`);
    }
  }
  const keys = spawnSync(python, ['-m', 'synapse.app.homeserver', '-c', sharedFile, '--generate-keys'], { cwd: dir, encoding: 'utf8' });
  if (keys.status !== 0) throw new Error(`synapse --generate-keys failed:\n${keys.stdout}\n${keys.stderr}`);
  return { dir, processes, main, dbPassword, registrationSecret, services, shared: YAML.parse(sharedOverlaid) as Record<string, unknown> };
}

/** Starts one process (detached, its own process group) with its output to its log file. */
export function startSynapseProcess(run: WorkersRun, p: SynapseProcess): ChildProcess {
  const out = openSync(p.logFile, 'a');
  try {
    return spawn(p.argv[0], p.argv.slice(1), {
      cwd: run.dir,
      env: { ...process.env, PGPASSWORD: run.dbPassword },
      detached: true,
      stdio: ['ignore', out, out],
    });
  } finally {
    closeSync(out);
  }
}

/** Resolves when `url` answers 200; throws when the process exits first or the time is up. */
export async function waitHealthy(name: string, url: string, child: ChildProcess, logFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before it was healthy. Log tail:\n${tail(logFile)}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(250);
  }
  throw new Error(`${name} was not healthy within ${timeoutMs / 1000} s (last: ${last}). Log tail:\n${tail(logFile)}`);
}

/**
 * The processes whose access log (Synapse's `synapse.access.http.<port>` "Processed request"
 * lines, which end with the request's User-Agent) has a request with this User-Agent.
 */
export function processesThatServed(run: WorkersRun, userAgent: string): string[] {
  const quoted = `"${userAgent}"`;
  return run.processes
    .filter((p) => {
      let log = '';
      try {
        log = readFileSync(p.logFile, 'utf8');
      } catch {
        return false;
      }
      return log.split('\n').some((line) => line.includes('Processed request') && line.includes(quoted));
    })
    .map((p) => p.name);
}

/**
 * Waits until some process has logged the request with this User-Agent (Synapse logs a request
 * when it finishes, just after the answer), then a little longer to see a second one; returns
 * every process that logged it.
 */
export async function waitForServer(run: WorkersRun, userAgent: string, timeoutMs = 10_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (processesThatServed(run, userAgent).length > 0) {
      await sleep(200);
      return processesThatServed(run, userAgent);
    }
    await sleep(100);
  }
  return [];
}
