import YAML from 'yaml';
import type { DeploymentSpec } from '../../src/config/spec';
import { workerInstances } from '../../src/config/synapse-workers';
import { renderAll } from '../../src/render';
import {
  BACKUP_CONNECTIONS,
  KEYCLOAK_DEFAULT_POOL,
  MAS_DEFAULT_POOL,
  postgresConnectionBudget,
  postgresMaxConnections,
  POSTGRES_DEFAULT_MAX_CONNECTIONS,
  POSTGRES_SUPERUSER_RESERVED,
  renderPostgresInit,
} from '../../src/render/postgres';
import { METRICS_CONNECTION_LIMIT } from '../../src/render/postgres-exporter';
import { SCALE_CASES, specWith } from './fixtures';

describe('postgres/init-synapse.sql', () => {
  const [file] = renderPostgresInit(specWith());
  const statements = file.content.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('--'));

  test('one file', () => {
    expect(renderPostgresInit(specWith()).map((f) => f.path)).toEqual(['postgres/init-synapse.sql']);
  });

  test('the password comes only from the psql variable', () => {
    expect(statements).toContain("ALTER ROLE synapse WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'synapse_password';");
    expect(statements.filter((l) => /password/i.test(l))).toHaveLength(1);
  });

  test('creates the role when missing', () => {
    expect(file.content).toContain("SELECT 'CREATE ROLE synapse' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'synapse') \\gexec");
  });

  test('creates the database as Synapse requires it (UTF8, C collation and ctype, template0), when missing', () => {
    expect(file.content).toContain(
      "SELECT 'CREATE DATABASE synapse OWNER synapse ENCODING ''UTF8'' LC_COLLATE ''C'' LC_CTYPE ''C'' TEMPLATE template0'\n  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'synapse') \\gexec",
    );
  });

  test('stops at the first error and keeps other roles out', () => {
    expect(statements[0]).toBe('\\set ON_ERROR_STOP on');
    expect(statements).toContain('REVOKE ALL ON DATABASE synapse FROM PUBLIC;');
  });

  test('deterministic and independent of the deployment', () => {
    expect(renderPostgresInit(specWith('size: large\n'))).toEqual(renderPostgresInit(specWith()));
  });
});

describe('PostgreSQL max_connections', () => {
  /** Every Synapse process's cp_max, read from the rendered files (homeserver.yaml, then each worker's file). */
  function synapsePools(spec: DeploymentSpec): number[] {
    const files = renderAll(spec);
    const hs = YAML.parse(files.find((f) => f.path === 'synapse/homeserver.yaml')!.content);
    const workers = files.filter((f) => f.path.startsWith('synapse/worker-')).map((f) => YAML.parse(f.content));
    return [hs.database.args.cp_max, ...workers.map((w) => (w.database ?? hs.database).args.cp_max)];
  }

  const cases = SCALE_CASES.flatMap(({ name, spec }) => [
    { name, spec },
    { name: `${name}, Keycloak`, spec: specWith(`size: ${spec.size.name}\nfederation:\n  mode: ${spec.federation.mode}\nidentity:\n  mode: keycloak\n`) },
  ]);

  test.each(cases)('holds every Synapse process\'s pool, MAS, the exporter, the backup agent and the superuser\'s slots ($name)', ({ spec }) => {
    const pools = synapsePools(spec);
    expect(pools).toHaveLength(1 + workerInstances(spec.scale.workers).length);
    const others = MAS_DEFAULT_POOL + METRICS_CONNECTION_LIMIT + BACKUP_CONNECTIONS + POSTGRES_SUPERUSER_RESERVED;
    const keycloak = spec.identity.mode === 'keycloak' ? KEYCLOAK_DEFAULT_POOL : 0;
    const sum = pools.reduce((a, b) => a + b, 0);
    expect(sum + others + keycloak).toBeLessThanOrEqual(postgresMaxConnections(spec));
    // Room for a restarting Synapse process whose successor connects early.
    expect(sum + Math.max(...pools) + others + keycloak).toBeLessThanOrEqual(postgresMaxConnections(spec));
  });

  test('never below PostgreSQL\'s default; the numbers of each preset', () => {
    const max = (yaml: string) => postgresMaxConnections(specWith(yaml));
    expect(max('')).toBe(POSTGRES_DEFAULT_MAX_CONNECTIONS);
    expect(max('size: medium\nfederation:\n  mode: open\n')).toBe(135);
    expect(max('size: large\nfederation:\n  mode: open\n')).toBe(285);
    expect(max('size: large\nfederation:\n  mode: open\nidentity:\n  mode: keycloak\n')).toBe(385);
  });

  test('the budget names each client once', () => {
    const budget = postgresConnectionBudget(specWith('size: large\nfederation:\n  mode: open\n'));
    const clients = budget.map((use) => use.client);
    expect(new Set(clients).size).toBe(clients.length);
    expect(clients).toContain('synapse synchrotron-2');
    for (const use of budget) expect(use.connections).toBeGreaterThan(0);
  });
});
