import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT } from '../src/shared/exit-codes';
import { cli, tempDir, VALID_YAML } from './helpers';

const ROOT = join(__dirname, '..');
const EXAMPLE = join(ROOT, 'deployments', 'example.yaml');

describe('sovereign-matrix CLI', () => {
  it('validates a good file with exit code 0, a one-line summary, its cost and what deploy will need', async () => {
    const result = await cli('validate', EXAMPLE);
    expect(result.code).toBe(EXIT.ok);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe(`${EXAMPLE}: ok (ministry-example: ministry.example.eu, hetzner fsn1 cx43, size small, federation closed, identity local)`);
    expect(lines[1]).toMatch(/^ {2}cost: EUR 19\.35 a month \(Server cx43 15\.99, /);
    expect(lines[2]).toBe('  deploy needs:');
    expect(lines[3]).toMatch(/^ {4}HCLOUD_TOKEN +Hetzner Cloud API token/);
    expect(lines).toContain('    SSH key ops-team uploaded to the Hetzner project');
    expect(lines[lines.length - 1]).toMatch(/^ {2}DNS: deploy creates the A and AAAA records in the Hetzner DNS zone ministry\.example\.eu/);
  });

  it('synthesizes and prints where the stacks are', async () => {
    const out = tempDir();
    const result = await cli('synth', EXAMPLE, '--out', out);
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toMatch(/ministry-example-apps +\d+ resources +stacks\/ministry-example-apps\/cdk\.tf\.json/);
    expect(result.stdout).toMatch(new RegExp(`Synthesized 1 deployment, 2 stacks, \\d+ resources into ${out}/stacks$`));
    expect(existsSync(join(out, 'stacks', 'ministry-example-apps', 'cdk.tf.json'))).toBe(true);
  });

  it('writes nothing when one of several files is bad, and reports it', async () => {
    const dir = tempDir();
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, VALID_YAML.replace('fsn1', 'ash'));
    const out = join(dir, 'out');
    const result = await cli('synth', EXAMPLE, bad, '--out', out);
    expect(result.code).toBe(EXIT.invalidDeployment);
    expect(result.stderr).toMatch(`${bad}:5:15: target.hetzner.location: 'ash' is outside the EU`);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses two files with the same deployment name', async () => {
    const dir = tempDir();
    const copy = join(dir, 'copy.yaml');
    writeFileSync(copy, readFileSync(EXAMPLE, 'utf8'));
    const result = await cli('validate', EXAMPLE, copy);
    expect(result.code).toBe(EXIT.invalidDeployment);
    expect(result.stderr).toContain(`${copy}:5:7: name: 'ministry-example' is already the name of the deployment in ${EXAMPLE}`);
  });

  it('exits 2 on an unknown command or option', async () => {
    expect((await cli('deploi')).code).toBe(EXIT.usage);
    expect((await cli('synth', '--frobnicate')).code).toBe(EXIT.usage);
  });

  it('exits 2 when there is nothing to do', async () => {
    const cwd = process.cwd();
    process.chdir(tempDir());
    try {
      const result = await cli('synth');
      expect(result.code).toBe(EXIT.usage);
      expect(result.stderr).toBe('sovereign-matrix: no deployment files given and no deployments/ directory here');
    } finally {
      process.chdir(cwd);
    }
  });

  it('prints help for each command with exit code 0', async () => {
    for (const command of ['validate', 'synth']) {
      const result = await cli(command, '--help');
      expect(result.code).toBe(EXIT.ok);
      expect(result.stdout).toContain(`Usage: sovereign-matrix ${command}`);
    }
    const top = await cli('--help');
    expect(top.stdout).toContain('Exit codes:');
  });

  it('synthesizes every file in deployments/ by default', async () => {
    const out = tempDir();
    const cwd = process.cwd();
    process.chdir(ROOT);
    try {
      const result = await cli('synth', '--out', out);
      expect(result.code).toBe(EXIT.ok);
      expect(result.stdout).toMatch(/Synthesized 4 deployments/);
    } finally {
      process.chdir(cwd);
    }
  });
});

describe('the installed command (needs the build that npm ci runs)', () => {
  // The real process: exit status and stderr as a user's shell sees them.
  const bin = join(ROOT, 'bin', 'sovereign-matrix.js');
  it('exits 1 with located errors and no stack trace on a bad file', () => {
    const result = spawnSync(process.execPath, [bin, 'validate', join(ROOT, 'test', 'fixtures', 'invalid', 'non-eu-ash.yaml')], {
      encoding: 'utf8',
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/non-eu-ash\.yaml:6:15: target\.hetzner\.location: 'ash' is outside the EU/);
    expect(result.stderr).not.toMatch(/\bat .*\.js:\d+/);
  });
});

describe('the installed command in a pipeline', () => {
  it('stops quietly when the reader closes the pipe early', () => {
    const result = spawnSync('sh', ['-c', `"${process.execPath}" "${join(ROOT, 'bin', 'sovereign-matrix.js')}" --help | head -1`], { encoding: 'utf8' });
    expect(result.stdout).toMatch(/^Usage: sovereign-matrix/);
    expect(result.stderr).toBe('');
  });
});
