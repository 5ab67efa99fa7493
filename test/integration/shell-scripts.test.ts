/**
 * Every shell script the kit renders (backup agent, WAL spool and fetch, Keycloak reconcile and
 * user creation), for every example deployment, linted by the real ShellCheck from Debian at
 * error severity: the scripts run in containers where a syntax or quoting error surfaces only at
 * 02:30 on the night of a backup. The unit suite already parses each with the shell of its `#!`.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadDeploymentFiles } from '../../src/config/load';
import { renderAll } from '../../src/render';

const ROOT = join(__dirname, '..', '..');

const deployments = [
  ...readdirSync(join(ROOT, 'deployments')).map((f) => join(ROOT, 'deployments', f)),
  ...readdirSync(join(ROOT, 'test', 'fixtures', 'valid')).map((f) => join(ROOT, 'test', 'fixtures', 'valid', f)),
].filter((f) => f.endsWith('.yaml'));

const scripts = loadDeploymentFiles(deployments).flatMap(({ spec }) =>
  renderAll(spec)
    .filter((file) => file.content.startsWith('#!'))
    .map((file) => ({ name: `${spec.name}: ${file.path}`, content: file.content })),
);

beforeAll(() => {
  const install = spawnSync('bash', [join(ROOT, 'scripts', 'integration', 'shellcheck.sh')], { encoding: 'utf8' });
  if (install.status !== 0) throw new Error(`scripts/integration/shellcheck.sh failed:\n${install.stderr}`);
}, 600_000);

test('the examples render the scripts this test is about (backup agent and Keycloak among them)', () => {
  const paths = new Set(scripts.map((s) => s.name.split(': ')[1]));
  expect([...paths]).toEqual(expect.arrayContaining(['backup/backup-agent.sh', 'backup/wal-spool.sh', 'backup/wal-fetch.sh', 'keycloak/reconcile.sh', 'keycloak/create-user.sh']));
});

test.each(scripts.map((s) => [s.name, s.content]))('%s passes ShellCheck at error severity', (_name, content) => {
  const check = spawnSync('shellcheck', ['--severity=error', '--format=gcc', '-'], { input: content, encoding: 'utf8' });
  expect(check.stdout).toBe('');
  expect(check.status).toBe(0);
});
