import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, tempDir, VALID_YAML } from './helpers';

/** The deploy commands' refusals happen before any engine runs (no OpenTofu needed). */
function deploymentFile(text = VALID_YAML): string {
  const file = join(tempDir(), 'ministry.yaml');
  writeFileSync(file, text);
  return file;
}

describe('plan / deploy / destroy on the command line', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('names every missing credential and exits 12 before running anything', async () => {
    delete process.env.HCLOUD_TOKEN;
    delete process.env.SOVEREIGN_MATRIX_STATE_PASSPHRASE;
    const out = tempDir();
    const result = await cli('plan', deploymentFile(), '--out', out);
    expect(result.code).toBe(12);
    expect(result.stderr).toMatch(/cannot plan ministry; missing:\n {2}- HCLOUD_TOKEN is not set[\s\S]*- SOVEREIGN_MATRIX_STATE_PASSPHRASE is not set/);
    expect(require('node:fs').readdirSync(out)).toEqual([]);
  });

  it('never prints a credential value', async () => {
    process.env.HCLOUD_TOKEN = 'tok-ABCDEFGH-secret';
    process.env.SOVEREIGN_MATRIX_STATE_PASSPHRASE = 'short-pass';
    const result = await cli('plan', deploymentFile(), '--out', tempDir());
    expect(result.code).toBe(12);
    expect(result.stderr).toMatch(/too short/);
    expect(`${result.stdout}${result.stderr}`).not.toMatch(/tok-ABCDEFGH-secret|short-pass/);
  });

  it('refuses to prompt without a terminal unless --yes (exit 11)', async () => {
    const result = await cli('deploy', deploymentFile());
    expect(result.code).toBe(11);
    expect(result.stderr).toMatch(/stdin is not a terminal.*pass --yes/);
  });

  it('destroy --yes needs --confirm with the deployment name (exit 2)', async () => {
    const file = deploymentFile();
    const wrong = await cli('destroy', file, '--yes', '--confirm', 'other');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/--yes needs --confirm ministry.*'other' does not match/);
    expect((await cli('destroy', file)).code).toBe(11);
  });

  it('an invalid file is exit 1 as everywhere else', async () => {
    expect((await cli('plan', deploymentFile('name: x\n'))).code).toBe(1);
  });

  it('refuses an unknown engine', async () => {
    const result = await cli('plan', deploymentFile(), '--engine', 'pulumi');
    expect(result.code).toBe(3);
  });
});

describe('kubeconfig on the command line', () => {
  it('refuses an existing cluster (it has its own context), exit 2', async () => {
    const file = deploymentFile(VALID_YAML.replace(/ {2}hetzner:\n( {4}.*\n)+/, '  kubernetes:\n    context: prod\n') + 'backup:\n  enabled: false\n');
    const result = await cli('kubeconfig', file, '--write', join(tempDir(), 'k'));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/runs on an existing cluster: use its kubeconfig context prod/);
  });

  it('refuses to replace an existing file before running anything, exit 2', async () => {
    const target = join(tempDir(), 'config');
    writeFileSync(target, 'keep me\n');
    const result = await cli('kubeconfig', deploymentFile(), '--write', target);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/exists; nothing was written/);
    expect(require('node:fs').readFileSync(target, 'utf8')).toBe('keep me\n');
  });
});
