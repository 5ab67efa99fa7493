import type { DeploymentSpec } from '../config/spec';
import { workerInstances } from '../config/synapse-workers';
import type { RenderedFile } from './files';
import { KEYCLOAK_DATABASE, keycloakSettings } from './keycloak';
import { MAS_DATABASE, masConfig } from './mas';
import { METRICS_CONNECTION_LIMIT } from './postgres-exporter';
import { SYNAPSE_DATABASE, synapseConfig } from './synapse';
import { synapseWorkerConfig } from './synapse-worker-files';

/** The psql variable that carries the Synapse database password into the init script. */
export const SYNAPSE_PASSWORD_VARIABLE = 'synapse_password';

/**
 * `postgres/init-synapse.sql`: the role and database Synapse needs. Run as the superuser with
 *
 *   psql -v ON_ERROR_STOP=1 -v synapse_password="$SYNAPSE_DB_PASSWORD" -f init-synapse.sql
 *
 * The password arrives as a psql variable, so the file holds no secret. It is idempotent: the
 * role and database are created when missing, and the password is (re)set every run, which is
 * also how a rotated password reaches PostgreSQL. Synapse refuses a database whose encoding is
 * not UTF8 or whose collation/ctype is not C, hence template0 with those settings.
 */
export function renderPostgresInit(_spec: DeploymentSpec): RenderedFile[] {
  return [
    {
      path: 'postgres/init-synapse.sql',
      content: initScript('Synapse', SYNAPSE_DATABASE, SYNAPSE_PASSWORD_VARIABLE, {
        options: "ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'",
        why: 'as Synapse requires it: UTF8 with C collation and ctype',
      }),
    },
  ];
}

function sqlLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** The psql variable that carries the MAS database password into postgres/init-mas.sql. */
export const MAS_PASSWORD_VARIABLE = 'mas_password';
/** The psql variable that carries the Keycloak database password into postgres/init-keycloak.sql. */
export const KEYCLOAK_PASSWORD_VARIABLE = 'keycloak_password';

/**
 * `postgres/init-mas.sql`: the role and database Matrix Authentication Service needs, in the same
 * idempotent form as init-synapse.sql (password from the psql variable `mas_password`). MAS has no
 * collation requirement; UTF8 from template0 keeps the encoding independent of the cluster's.
 */
export function renderMasPostgresInit(_spec: DeploymentSpec): RenderedFile[] {
  return [{ path: 'postgres/init-mas.sql', content: initScript('Matrix Authentication Service', MAS_DATABASE, MAS_PASSWORD_VARIABLE, UTF8) }];
}

/**
 * `postgres/init-keycloak.sql` (identity mode keycloak only): Keycloak's own role and database,
 * separate from Synapse's and MAS's; password from the psql variable `keycloak_password`.
 */
export function renderKeycloakPostgresInit(spec: DeploymentSpec): RenderedFile[] {
  if (spec.identity.mode !== 'keycloak') return [];
  return [{ path: 'postgres/init-keycloak.sql', content: initScript('Keycloak', KEYCLOAK_DATABASE, KEYCLOAK_PASSWORD_VARIABLE, UTF8) }];
}

/** How a database is created, and why, for the comment in the script. */
interface DatabaseSettings {
  readonly options: string;
  readonly why: string;
}

const UTF8: DatabaseSettings = { options: "ENCODING 'UTF8'", why: 'in UTF8' };

/**
 * An idempotent init script: the role when missing, its password (re)set from a psql variable on
 * every run (which is also how a rotated password arrives), the database when missing, and no
 * access for other roles.
 */
function initScript(
  service: string,
  { user, database }: { readonly user: string; readonly database: string },
  variable: string,
  settings: DatabaseSettings,
): string {
  const createDatabase = `CREATE DATABASE ${database} OWNER ${user} ${settings.options} TEMPLATE template0;`;
  return [
    `-- Rendered by sovereign-matrix; do not edit. The ${service} role and database.`,
    `-- Run: psql -v ON_ERROR_STOP=1 -v ${variable}=... -f init-${database}.sql`,
    '\\set ON_ERROR_STOP on',
    '',
    '-- The role, when missing; then its password from the psql variable (never in this file).',
    `SELECT 'CREATE ROLE ${user}' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${user}') \\gexec`,
    `ALTER ROLE ${user} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'${variable}';`,
    '',
    `-- The database, when missing, ${settings.why}:`,
    `-- ${createDatabase}`,
    `SELECT ${sqlLiteral(createDatabase.slice(0, -1))}`,
    `  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '${database}') \\gexec`,
    '',
    '-- Only its owner may connect (other services share this PostgreSQL).',
    `REVOKE ALL ON DATABASE ${database} FROM PUBLIC;`,
    `GRANT ALL ON DATABASE ${database} TO ${user};`,
    '',
  ].join('\n');
}

/** PostgreSQL's own default max_connections; the kit never sets less. */
export const POSTGRES_DEFAULT_MAX_CONNECTIONS = 100;
/** PostgreSQL's superuser_reserved_connections default: slots only the superuser may take. */
export const POSTGRES_SUPERUSER_RESERVED = 3;
/** MAS's database.max_connections default (its configuration reference). */
export const MAS_DEFAULT_POOL = 10;
/** Keycloak's db-pool-max-size default (KC_DB_POOL_MAX_SIZE); keycloak.ts leaves it unset. */
export const KEYCLOAK_DEFAULT_POOL = 100;
/** The backup agent: pgBackRest with process-max=1 holds one connection, two while starting a backup. */
export const BACKUP_CONNECTIONS = 2;

/** One client of PostgreSQL and the most connections it may hold. */
export interface ConnectionUse {
  readonly client: string;
  readonly connections: number;
}

/** The cp_max of a Synapse `database` block. */
function poolOf(database: unknown): number {
  const args = (database as { args?: { cp_max?: unknown } } | undefined)?.args;
  return typeof args?.cp_max === 'number' ? args.cp_max : 10;
}

/**
 * Every client's worst case, read from the rendered configurations (so extra.* overrides count):
 * each Synapse process's pool (main and every worker), MAS's and Keycloak's pools, the metrics
 * role's limit, the backup agent, one Synapse pool of headroom for a restarting process whose
 * successor connects before it has let go, and PostgreSQL's superuser-only slots.
 */
export function postgresConnectionBudget(spec: DeploymentSpec): ConnectionUse[] {
  const main = poolOf(synapseConfig(spec).database);
  const workers = workerInstances(spec.scale.workers).map(({ name, group }) => ({
    client: `synapse ${name}`,
    connections: poolOf(synapseWorkerConfig(spec, name, group.role).database),
  }));
  const mas = (masConfig(spec).database as { max_connections?: unknown } | undefined)?.max_connections;
  const keycloak = Number(keycloakSettings(spec).KC_DB_POOL_MAX_SIZE ?? KEYCLOAK_DEFAULT_POOL);
  const synapsePools = [main, ...workers.map((w) => w.connections)];
  return [
    { client: 'synapse main', connections: main },
    ...workers,
    { client: 'mas', connections: typeof mas === 'number' ? mas : MAS_DEFAULT_POOL },
    ...(spec.identity.mode === 'keycloak' ? [{ client: 'keycloak', connections: keycloak }] : []),
    { client: 'postgres_exporter', connections: METRICS_CONNECTION_LIMIT },
    ...(spec.backup.enabled ? [{ client: 'backup agent', connections: BACKUP_CONNECTIONS }] : []),
    { client: 'synapse restart overlap', connections: Math.max(...synapsePools) },
    { client: 'superuser reserved', connections: POSTGRES_SUPERUSER_RESERVED },
  ];
}

/**
 * PostgreSQL's max_connections: the budget's sum, never below PostgreSQL's default (a small
 * deployment keeps today's limit, and an operator's psql always finds a slot). The one place the
 * bundled PostgreSQL (`-c max_connections=`) and a CloudNativePG Cluster's parameters read it.
 */
export function postgresMaxConnections(spec: DeploymentSpec): number {
  const sum = postgresConnectionBudget(spec).reduce((total, use) => total + use.connections, 0);
  return Math.max(POSTGRES_DEFAULT_MAX_CONNECTIONS, sum);
}
