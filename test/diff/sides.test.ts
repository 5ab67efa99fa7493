/**
 * A git ref as base (a temporary
 * worktree, removed afterwards, also on failure); a side whose kit code differs runs its own code.
 */
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, tempDir } from '../helpers';
import { computeDiff } from '../../src/diff/command';
import { changedPaths, FIXTURES, git, sides } from './helpers';

jest.setTimeout(60_000);

function repoWithDeployment(fixture: string): string {
  const repo = tempDir('sm-diff-git-');
  git(repo, 'init', '-q', '-b', 'main');
  mkdirSync(join(repo, 'deployments'));
  copyFileSync(join(FIXTURES, `${fixture}.yaml`), join(repo, 'deployments', 'd.yaml'));
  git(repo, 'add', '.');
  git(repo, 'commit', '-q', '-m', 'base');
  return repo;
}

test('a git ref as base: HEAD~1 against HEAD and against the working tree; the worktree is removed', () => {
  const repo = repoWithDeployment('base');
  copyFileSync(join(FIXTURES, 'location.yaml'), join(repo, 'deployments', 'd.yaml'));
  git(repo, 'commit', '-q', '-am', 'move to nbg1');
  const expected = {
    'hcloud_primary_ip.primary-ipv4': ['location'],
    'hcloud_primary_ip.primary-ipv6': ['location'],
    'hcloud_server.node': ['location'],
    'hcloud_volume.data': ['location'],
  };
  const asJson = (result: ReturnType<typeof computeDiff>) => JSON.parse(require('../../src/diff/format').formatJson(result));
  expect(changedPaths(asJson(computeDiff([], { base: 'HEAD~1', head: 'HEAD' }, repo)), 'infra')).toEqual(expected);
  // Default head is the working tree; an uncommitted change on top shows too.
  copyFileSync(join(FIXTURES, 'k3s-version.yaml'), join(repo, 'deployments', 'd.yaml'));
  const withWorkingTree = asJson(computeDiff([], { base: 'HEAD' }, repo));
  expect(changedPaths(withWorkingTree, 'infra')).toEqual({ ...expected, 'hcloud_server.node': ['location', 'user_data'] });
  expect(git(repo, 'worktree', 'list').split('\n')).toHaveLength(1);
});

test('a git ref whose deployment file is invalid: exit 1, problems named ref:path, worktree removed', async () => {
  const repo = repoWithDeployment('base');
  writeFileSync(join(repo, 'deployments', 'd.yaml'), 'name: x\n');
  git(repo, 'commit', '-q', '-am', 'break it');
  copyFileSync(join(FIXTURES, 'base.yaml'), join(repo, 'deployments', 'd.yaml'));
  const cwd = process.cwd();
  process.chdir(repo);
  try {
    const result = await cli('diff', '--base', 'HEAD');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('HEAD:deployments/d.yaml');
    expect((await cli('diff', '--base', 'no-such-ref')).code).toBe(2);
  } finally {
    process.chdir(cwd);
  }
  expect(git(repo, 'worktree', 'list').split('\n')).toHaveLength(1);
});

// Kits before #17 kept the synth pipeline in src/synth; since then it is stacks/synth.
test.each(['src/synth', 'stacks/synth'])('a side with different kit code is synthesized by its own compiled code (%s)', (synthModule) => {
  // A stand-in kit: a checkout with its own dist/ whose synthesize writes a marker resource.
  const kit = tempDir('sm-diff-kit-');
  const write = (path: string, text: string) => {
    mkdirSync(join(kit, path, '..'), { recursive: true });
    writeFileSync(join(kit, path), text);
  };
  write('package.json', JSON.stringify({ name: 'sovereign-matrix', version: '0.0.1' }));
  write(`${synthModule}.ts`, '// the old kit');
  write('deployments/d.yaml', 'name: diff-fixture\n');
  write('dist/src/config/load.js', `exports.loadDeploymentFiles = (files) => files.map((file) => ({ file, spec: { name: 'diff-fixture' } }));`);
  write(
    `dist/${synthModule}.js`,
    `const fs = require('fs'), path = require('path');
exports.synthesize = (specs, out) => specs.map((spec) => {
  const file = path.join('stacks', spec.name + '-apps', 'cdk.tf.json');
  fs.mkdirSync(path.join(out, path.dirname(file)), { recursive: true });
  fs.writeFileSync(path.join(out, file), JSON.stringify({ resource: { old_kit_marker: { m: { v: 1 } } } }));
  return { deployment: spec.name, stack: spec.name + '-apps', layer: 'apps', resources: 1, file };
});`,
  );
  const { head } = sides({}, { d: 'base' });
  const result = computeDiff([], { base: kit, head });
  expect(result.notes.join('\n')).toContain('synthesized with its own compiled code');
  const apps = result.deployments[0].stacks.find((s) => s.stack === 'diff-fixture-apps')!;
  expect(apps.changes.find((c) => c.address === 'old_kit_marker.m')?.status).toBe('removed');
});

test('a side with different kit code and no dist/ is built by its own build script (tsc alone would leave out the render templates)', () => {
  // A stand-in kit without dist/: its `npm run build` writes a synth module and a template asset.
  // Same lockfile as the running kit, so its node_modules is shared (no npm ci).
  const kit = tempDir('sm-diff-build-');
  const write = (path: string, text: string) => {
    mkdirSync(join(kit, path, '..'), { recursive: true });
    writeFileSync(join(kit, path), text);
  };
  write('package.json', JSON.stringify({ name: 'sovereign-matrix', version: '0.0.2', scripts: { build: 'node build.js' } }));
  copyFileSync(join(__dirname, '..', '..', 'package-lock.json'), join(kit, 'package-lock.json'));
  write('stacks/synth.ts', '// the other kit');
  write('deployments/d.yaml', 'name: diff-fixture\n');
  write(
    'build.js',
    `const fs = require('fs');
fs.mkdirSync('dist/src/config', { recursive: true });
fs.mkdirSync('dist/stacks', { recursive: true });
fs.mkdirSync('dist/src/render/templates', { recursive: true });
fs.writeFileSync('dist/src/render/templates/marker.txt', 'built_marker');
fs.writeFileSync('dist/src/config/load.js', "exports.loadDeploymentFiles = (files) => files.map((file) => ({ file, spec: { name: 'diff-fixture' } }));");
fs.writeFileSync('dist/stacks/synth.js', \`const fs = require('fs'), path = require('path');
exports.synthesize = (specs, out) => specs.map((spec) => {
  const marker = fs.readFileSync(path.join(__dirname, '..', 'src', 'render', 'templates', 'marker.txt'), 'utf8');
  const file = path.join('stacks', spec.name + '-apps', 'cdk.tf.json');
  fs.mkdirSync(path.join(out, path.dirname(file)), { recursive: true });
  fs.writeFileSync(path.join(out, file), JSON.stringify({ resource: { [marker]: { m: { v: 1 } } } }));
  return { deployment: spec.name, stack: spec.name + '-apps', layer: 'apps', resources: 1, file };
});\`);
`,
  );
  const { head } = sides({}, { d: 'base' });
  const result = computeDiff([], { base: kit, head });
  expect(result.notes.join('\n')).toMatch(/built it \(same dependencies, npm run build, \d+ s\)/);
  const apps = result.deployments[0].stacks.find((s) => s.stack === 'diff-fixture-apps')!;
  expect(apps.changes.find((c) => c.address === 'built_marker.m')?.status).toBe('removed');
  // Built in a copy: the user's directory gets no dist/.
  expect(existsSync(join(kit, 'dist'))).toBe(false);
});
