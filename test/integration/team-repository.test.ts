/**
 * A team keeps its deployment files in its own repository, not in the kit's clone: it installs
 * the kit from the clone (`npm install --save-dev <path to the clone>`, a link, no registry) and
 * runs `npx sovereign-matrix`, which must resolve to the linked kit and never ask the registry for
 * a package of that name (the npm cache is an empty directory and npm is offline).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const KIT = join(__dirname, '..', '..');
let team = '';

beforeAll(() => {
  team = mkdtempSync(join(tmpdir(), 'sm-team-'));
  mkdirSync(join(team, 'deployments'));
  cpSync(join(KIT, 'deployments', 'example.yaml'), join(team, 'deployments', 'ministry.yaml'));
  writeFileSync(join(team, 'package.json'), '{ "name": "team-matrix", "private": true }\n');
});

afterAll(() => {
  if (team) rmSync(team, { recursive: true, force: true });
});

/** npm with an empty cache and no network: anything it would fetch fails instead. */
function npm(args: string[]) {
  return spawnSync('npm', ['--offline', '--no-audit', '--no-fund', '--cache', join(team, '.npm-cache'), ...args], {
    cwd: team,
    encoding: 'utf8',
    env: { ...process.env, npm_config_registry: 'http://127.0.0.1:9/' },
    timeout: 180_000,
  });
}

test('the kit installs from its clone into a team repository and runs there through npx, offline', () => {
  const install = npm(['install', '--save-dev', KIT]);
  expect({ status: install.status, stderr: install.stderr.split('\n').filter((l) => /ERR/.test(l)) }).toEqual({ status: 0, stderr: [] });
  expect(JSON.parse(readFileSync(join(team, 'package.json'), 'utf8')).devDependencies['sovereign-matrix']).toMatch(/^file:/);

  const validate = npm(['exec', '--no', '--', 'sovereign-matrix', 'validate']);
  expect(validate.stderr).not.toMatch(/ERR/);
  expect(validate.stdout).toContain('deployments/ministry.yaml: ok (ministry-example');
  expect(validate.status).toBe(0);

  const synth = npm(['exec', '--no', '--', 'sovereign-matrix', 'synth']);
  expect(synth.status).toBe(0);
  // Output lands in the team's repository, next to its deployment files.
  expect(existsSync(join(team, 'cdktf.out', 'stacks', 'ministry-example-apps', 'cdk.tf.json'))).toBe(true);
}, 300_000);
