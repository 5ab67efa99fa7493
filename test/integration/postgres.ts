import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';

/** A throwaway PostgreSQL cluster for one integration suite. */
export interface Postgres {
  readonly port: number;
  readonly socketDir: string;
  /** Runs SQL (or a file with -f) as the superuser. */
  psql(args: string[]): string;
  stop(): void;
}

/**
 * initdb in `dir` (UTF8, C locale; scram passwords over TCP) and start on a free port on 127.0.0.1.
 * As root the server runs as the `postgres` system user, because PostgreSQL refuses root; `dir`'s
 * parent is then opened for traversal.
 */
export async function startPostgres(dir: string): Promise<Postgres> {
  const bin = postgresBinDir();
  const dataDir = join(dir, 'data');
  const socketDir = join(dir, 'socket');
  mkdirSync(socketDir, { recursive: true });
  const asUser = process.getuid?.() === 0 ? ensureSystemUser('postgres') : undefined;
  if (asUser) {
    chmodSync(dirname(dir), 0o755);
    for (const d of [dir, socketDir]) chownSync(d, asUser.uid, asUser.gid);
  }
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
    run(join(bin, 'pg_ctl'), ['-D', dataDir, '-l', log, '-w', '-t', '60', '-o', `-p ${port} -k ${socketDir} -c listen_addresses=127.0.0.1`, 'start']);
  } catch (error) {
    throw new Error(`pg_ctl start failed: ${(error as Error).message}\n${tail(log)}`);
  }
  return {
    port,
    socketDir,
    psql: (args) => execFileSync(join(bin, 'psql'), ['-X', '-q', '-h', socketDir, '-p', String(port), '-U', 'postgres', '-d', 'postgres', ...args], { encoding: 'utf8' }),
    stop: () => {
      try {
        run(join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // already stopped
      }
    },
  };
}

/** The newest /usr/lib/postgresql/<major>/bin, else wherever initdb is on PATH. */
export function postgresBinDir(): string {
  const lib = '/usr/lib/postgresql';
  if (existsSync(lib)) {
    const majors = readdirSync(lib)
      .filter((v) => existsSync(join(lib, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (majors.length > 0) return join(lib, majors[0], 'bin');
  }
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  if (which.status === 0) return dirname(which.stdout.trim());
  throw new Error('PostgreSQL server binaries not found (scripts/integration/synapse.sh and keycloak.sh install them)');
}

function ensureSystemUser(name: string): { uid: number; gid: number } {
  if (spawnSync('id', ['-u', name]).status !== 0) {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', name]);
  }
  return {
    uid: Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim()),
    gid: Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim()),
  };
}

export function freePort(): Promise<number> {
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
