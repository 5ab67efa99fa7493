import type { DeploymentSpec } from '../config/spec';
import type { RenderedFile } from './files';
import { KEYCLOAK_DATABASE } from './keycloak';
import { MAS_DATABASE } from './mas';
import { SYNAPSE_DATABASE } from './synapse';

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
