/**
 * PostgreSQL for the backup drill (test/integration/backup-drill.test.ts): like startPostgres in
 * ./postgres.ts (the same Debian trixie tree from scripts/integration/postgres.sh, the `postgres`
 * system user when run as root), but
 *
 * - with extra `-c` settings (the rendered postgresArchiveSettings, so archive_command is the
 *   rendered wal-spool.sh) and an environment for the server (BACKUP_WAL_SPOOL/BACKUP_WAL_FETCH,
 *   which the rendered archive and restore commands read);
 * - with the data directory inside a "volume" directory, laid out like the pod's volume
 *   (PGDATA, the WAL spool and the agent's state side by side), which the drill deletes and the
 *   agent restores into;
 * - start and stop on an existing data directory (the restored one), on the same port;
 * - a way to run other programs (the backup agent) as the same user, because pgBackRest reads
 *   PGDATA and PostgreSQL accepts only its owner there.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, chownSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { binDirFor, ensureSystemUser, freePort, postgresBinDir, tail } from './postgres';

export interface DrillUser {
  readonly uid: number;
  readonly gid: number;
}

export interface DrillPostgres {
  readonly port: number;
  readonly socketDir: string;
  /** The volume: pgdata/ and, next to it, what the rendered scripts keep (spool, state). */
  readonly volume: string;
  readonly pgdata: string;
  /** PostgreSQL's programs, and pgBackRest's and restic's wrappers, runnable by `user`. */
  readonly binDir: string;
  /** The user PostgreSQL and the PostgreSQL backup agent run as (undefined: this process's). */
  readonly user: DrillUser | undefined;
  readonly logFile: string;
  /** initdb into pgdata (scram over TCP, trust on the socket, as ./postgres.ts). */
  initdb(): void;
  /** pg_ctl start with the extra settings and server environment; waits until it accepts connections. */
  start(): void;
  /** pg_ctl stop (immediate: like a lost node, no shutdown checkpoint). */
  stop(mode?: 'immediate' | 'fast'): void;
  /** psql as the superuser through the socket. */
  psql(args: string[], database?: string): string;
  /** Runs a program as `user` with exactly `env` (plus PATH with binDir first). */
  runAs(file: string, args: string[], env: Record<string, string>, timeoutMs?: number): SpawnSyncReturns<string>;
  /** Starts a long-running program as `user`, detached (its own process group), output to `log`. */
  spawnAs(file: string, args: string[], env: Record<string, string>, log: string): ChildProcess;
}

/**
 * Prepares (does not start) a cluster in `dir`: dir/volume/pgdata, dir/socket, a bin tree the user
 * can run. `settings` are passed as `-c key=value`; `serverEnv` is the server's environment.
 */
export async function drillPostgres(dir: string, settings: Record<string, string>, serverEnv: Record<string, string>): Promise<DrillPostgres> {
  const installed = postgresBinDir();
  const volume = join(dir, 'volume');
  const pgdata = join(volume, 'pgdata');
  const socketDir = join(dir, 'socket');
  mkdirSync(volume, { recursive: true });
  mkdirSync(socketDir, { recursive: true });
  const user = process.getuid?.() === 0 ? ensureSystemUser('postgres') : undefined;
  chmodSync(dir, 0o755);
  if (user) for (const d of [dir, volume, socketDir]) chownSync(d, user.uid, user.gid);
  const binDir = user ? binDirFor('postgres', installed, dir) : installed;
  const port = await freePort();
  const logFile = join(dir, 'postgres.log');
  closeSync(openSync(logFile, 'a'));
  if (user) chownSync(logFile, user.uid, user.gid);

  const baseEnv = (env: Record<string, string>) => ({ PATH: `${binDir}:/usr/bin:/bin`, LANG: 'C', ...env });
  const runAs = (file: string, args: string[], env: Record<string, string>, timeoutMs = 120_000) =>
    spawnSync(file, args, { env: baseEnv(env), encoding: 'utf8', uid: user?.uid, gid: user?.gid, timeout: timeoutMs, cwd: dir });
  const must = (what: string, result: SpawnSyncReturns<string>) => {
    if (result.status !== 0) throw new Error(`${what} failed (${result.status ?? result.signal ?? result.error?.message}):\n${result.stdout}${result.stderr}\n${tail(logFile, 40)}`);
    return result.stdout;
  };
  const options = [
    `-p ${port}`,
    `-k ${socketDir}`,
    '-c listen_addresses=127.0.0.1',
    ...Object.entries(settings).map(([key, value]) => {
      if (/["\\$`]/.test(value)) throw new Error(`setting ${key} has a character pg_ctl's shell would change: ${value}`);
      return `-c "${key}=${value}"`;
    }),
  ].join(' ');

  return {
    port,
    socketDir,
    volume,
    pgdata,
    binDir,
    user,
    logFile,
    initdb: () => {
      must('initdb', runAs(join(binDir, 'initdb'), ['-D', pgdata, '-U', 'postgres', '--encoding=UTF8', '--locale=C', '--auth-local=trust', '--auth-host=scram-sha-256'], {}));
    },
    start: () => {
      must('pg_ctl start', runAs(join(binDir, 'pg_ctl'), ['-D', pgdata, '-l', logFile, '-w', '-t', '120', '-o', options, 'start'], serverEnv, 150_000));
    },
    stop: (mode = 'immediate') => {
      runAs(join(binDir, 'pg_ctl'), ['-D', pgdata, '-m', mode, '-w', 'stop'], {});
    },
    psql: (args, database = 'postgres') =>
      execFileSync(join(binDir, 'psql'), ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', socketDir, '-p', String(port), '-U', 'postgres', '-d', database, ...args], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    runAs,
    spawnAs: (file, args, env, log) => {
      const out = openSync(log, 'a');
      try {
        return spawn(file, args, { env: baseEnv(env), uid: user?.uid, gid: user?.gid, detached: true, stdio: ['ignore', out, out], cwd: dir });
      } finally {
        closeSync(out);
      }
    },
  };
}

