/**
 * The backup tools the backup tests run: pgBackRest and restic from Debian trixie, unpacked by
 * scripts/integration/postgres.sh into the same tree as PostgreSQL, with wrappers in the same bin
 * directory as initdb, pg_ctl and psql (they run with the tree's glibc and libraries; argv[0] is
 * the wrapper, which pgBackRest runs again for its local and async processes, so its `cmd` option
 * defaults to the wrapper). Being in PostgreSQL's bin directory, they travel with it when
 * startPostgres copies the tree for the postgres user (test/integration/postgres.ts), so an
 * archive_command can name `<binDir>/pgbackrest` of the cluster's own Postgres.binDir.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { postgresBinDir } from './postgres';

export interface BackupTools {
  /** The directory of the wrappers (PostgreSQL's bin directory). */
  readonly binDir: string;
  readonly pgbackrest: string;
  readonly restic: string;
  /** `pgbackrest version`, e.g. "pgBackRest 2.55.1". */
  readonly pgbackrestVersion: string;
  /** `restic version`, e.g. "restic 0.18.0 compiled with go1.24.4 on linux/amd64". */
  readonly resticVersion: string;
}

/**
 * pgBackRest and restic in `binDir` (default: the installed tree, installing it with
 * scripts/integration/postgres.sh when needed; or a Postgres.binDir). Throws when either is
 * missing or does not run: there is no fallback to other builds on the machine.
 */
export function backupTools(binDir: string = postgresBinDir()): BackupTools {
  const pgbackrest = join(binDir, 'pgbackrest');
  const restic = join(binDir, 'restic');
  const version = (program: string) => {
    if (!existsSync(program)) throw new Error(`${program} is missing; scripts/integration/postgres.sh installs it (a tree from before it did is rebuilt on its next run)`);
    const result = spawnSync(program, ['version'], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${program} version failed: ${result.stdout}${result.stderr}${result.error?.message ?? ''}`);
    return result.stdout.trim();
  };
  return { binDir, pgbackrest, restic, pgbackrestVersion: version(pgbackrest), resticVersion: version(restic) };
}
