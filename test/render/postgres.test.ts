import { renderPostgresInit } from '../../src/render/postgres';
import { specWith } from './fixtures';

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
