import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { PINNED_VERSIONS } from '../../src/versions';

const REPO = join(__dirname, '..', '..');

/** The PostgreSQL major version production runs (PINNED_VERSIONS.postgres), which the suites boot. */
export const POSTGRES_MAJOR = Number(PINNED_VERSIONS.postgres.split('.')[0]);

/** A throwaway PostgreSQL cluster for one integration suite. */
export interface Postgres {
  readonly port: number;
  readonly socketDir: string;
  /** The directory of the programs (initdb, pg_ctl, postgres, psql) this cluster runs with. */
  readonly binDir: string;
  /** What the running server reports as `server_version`, e.g. "17.12 (Debian 17.12-0+deb13u1)". */
  readonly serverVersion: string;
  /** Runs SQL (or a file with -f) as the superuser. */
  psql(args: string[]): string;
  stop(): void;
}

/**
 * initdb in `dir` (UTF8, C locale; scram passwords over TCP) and start on a free port on 127.0.0.1
 * (with `settings` as server options, e.g. the kit's max_connections; plain names and values only),
 * with PostgreSQL POSTGRES_MAJOR from scripts/integration/postgres.sh (Debian trixie's build,
 * unpacked with its own libraries; run here when not installed yet).
 * As root the server runs as the `postgres` system user, because PostgreSQL refuses root; `dir`'s
 * parent is then opened for traversal, and when that user cannot reach the installed tree (it
 * lives under root's home, mode 0700) the tree is hard-linked (or copied) into `dir` first.
 */
export async function startPostgres(dir: string, settings: Readonly<Record<string, string | number>> = {}): Promise<Postgres> {
  const installed = postgresBinDir();
  const dataDir = join(dir, 'data');
  const socketDir = join(dir, 'socket');
  mkdirSync(socketDir, { recursive: true });
  const asUser = process.getuid?.() === 0 ? ensureSystemUser('postgres') : undefined;
  if (asUser) {
    chmodSync(dirname(dir), 0o755);
    for (const d of [dir, socketDir]) chownSync(d, asUser.uid, asUser.gid);
  }
  const bin = asUser ? binDirFor('postgres', installed, dir) : installed;
  const run = (cmd: string, args: string[]): string => {
    const [file, argv] = asUser ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
    return execFileSync(file, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  };
  run(join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--encoding=UTF8', '--locale=C', '--auth-local=trust', '--auth-host=scram-sha-256']);
  const port = await freePort();
  const log = join(dir, 'postgres.log');
  closeSync(openSync(log, 'a'));
  if (asUser) chownSync(log, asUser.uid, asUser.gid);
  try {
    // pg_ctl hands -o to a shell: plain names and values only.
    const extra = Object.entries(settings)
      .map(([name, value]) => {
        if (!/^[a-z_]+$/.test(name) || !/^[A-Za-z0-9._]+$/.test(String(value))) throw new Error(`unexpected server setting ${name}=${value}`);
        return ` -c ${name}=${value}`;
      })
      .join('');
    run(join(bin, 'pg_ctl'), ['-D', dataDir, '-l', log, '-w', '-t', '60', '-o', `-p ${port} -k ${socketDir} -c listen_addresses=127.0.0.1${extra}`, 'start']);
  } catch (error) {
    throw new Error(`pg_ctl start failed: ${(error as Error).message}\n${tail(log)}`);
  }
  const psql = (args: string[]): string =>
    execFileSync(join(bin, 'psql'), ['-X', '-q', '-h', socketDir, '-p', String(port), '-U', 'postgres', '-d', 'postgres', ...args], { encoding: 'utf8' });
  return {
    port,
    socketDir,
    binDir: bin,
    serverVersion: psql(['-At', '-c', 'SHOW server_version']).trim(),
    psql,
    stop: () => {
      try {
        run(join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // already stopped
      }
    },
  };
}

let installedBinDir: string | undefined;

/**
 * The bin directory of PostgreSQL POSTGRES_MAJOR as scripts/integration/postgres.sh installs it
 * (running the script, which does nothing when it is installed already). There is no fallback to
 * another PostgreSQL on the machine: if the script fails, this throws with its output.
 */
export function postgresBinDir(): string {
  if (installedBinDir) return installedBinDir;
  const script = join(REPO, 'scripts/integration/postgres.sh');
  const result = spawnSync('bash', [script], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 15 * 60_000 });
  if (result.stderr) process.stderr.write(result.stderr);
  const bin = result.stdout?.trim().split('\n').pop() ?? '';
  if (result.status !== 0 || !bin.startsWith('/')) {
    const why = result.error ? result.error.message : `exit ${result.status ?? result.signal}`;
    throw new Error(`scripts/integration/postgres.sh failed (${why}):\n${result.stderr ?? ''}${result.stdout ?? ''}`);
  }
  const version = spawnSync(join(bin, 'postgres'), ['--version'], { encoding: 'utf8' });
  const major = /\(PostgreSQL\) (\d+)/.exec(version.stdout ?? '')?.[1];
  if (version.status !== 0 || Number(major) !== POSTGRES_MAJOR) {
    throw new Error(`${bin}/postgres is not PostgreSQL ${POSTGRES_MAJOR}: ${version.stdout ?? ''}${version.stderr ?? ''}${version.error?.message ?? ''}`);
  }
  installedBinDir = bin;
  return bin;
}

/**
 * A bin directory `user` can run: the installed one when `user` reaches it, else a hard-linked (or,
 * across file systems, copied) private tree in `dir`. The tree is relocatable: its wrappers find
 * everything relative to themselves (see scripts/integration/postgres.sh).
 */
export function binDirFor(user: string, installed: string, dir: string): string {
  const reachable = (bin: string) => spawnSync('runuser', ['-u', user, '--', join(bin, 'postgres'), '--version'], { stdio: 'ignore' }).status === 0;
  if (reachable(installed)) return installed;
  const suffix = `/usr/lib/postgresql/${POSTGRES_MAJOR}/bin`;
  if (!installed.endsWith(suffix)) throw new Error(`unexpected PostgreSQL bin directory ${installed} (expected .../root${suffix})`);
  const tree = installed.slice(0, -suffix.length);
  const copy = join(dir, `postgresql-${POSTGRES_MAJOR}`);
  if (spawnSync('cp', ['-al', tree, copy], { stdio: 'ignore' }).status !== 0) {
    execFileSync('rm', ['-rf', copy]);
    execFileSync('cp', ['-a', tree, copy]);
  }
  const bin = copy + suffix;
  if (!reachable(bin)) throw new Error(`the ${user} user cannot run ${join(bin, 'postgres')}`);
  return bin;
}

export function ensureSystemUser(name: string): { uid: number; gid: number } {
  if (spawnSync('id', ['-u', name]).status !== 0) {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', name]);
  }
  return {
    uid: Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim()),
    gid: Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim()),
  };
}

export async function freePort(): Promise<number> {
  // Never the same port twice in one test file: a port is free only until its user binds it, and
  // a test that allocates many before starting anything (Synapse's 19 processes, 3 listeners
  // each) could otherwise give two processes one port; the second then dies after the first
  // answered its health check in its place.
  for (;;) {
    const port = await unusedPort();
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}

/** Ports freePort has returned in this test file. */
const handedOut = new Set<number>();

function unusedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** The last lines of a log file, for failure messages. */
export function tail(file: string, lines = 80): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
