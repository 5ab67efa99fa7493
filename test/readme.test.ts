import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sizeProfile, type FederationMode, type SizeName } from '../src/config/sizing';
import { hetznerMonthlyCost, totalMonthly } from '../src/pricing/hetzner';

/** Figures in the README and docs/ that are derived from code must match the code. */
const ROOT = join(__dirname, '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const DEPLOYING = readFileSync(join(ROOT, 'docs', 'deploying.md'), 'utf8');
const CONFIGURATION = readFileSync(join(ROOT, 'docs', 'configuration.md'), 'utf8');
const COMMANDS = readFileSync(join(ROOT, 'docs', 'commands.md'), 'utf8');

describe('docs', () => {
  it('states the monthly cost of every profile as the price table computes it', () => {
    for (const size of ['small', 'medium', 'large'] as SizeName[]) {
      for (const federation of ['closed', 'allow_list', 'open'] as FederationMode[]) {
        const p = sizeProfile(size, federation);
        const total = totalMonthly(hetznerMonthlyCost(p.hetznerServerType, p.volumeSizeGiB)).toFixed(2);
        expect(DEPLOYING).toContain(`| ${size} | ${federation} | ${p.hetznerServerType} | ${p.volumeSizeGiB} GiB | ${total} |`);
      }
    }
  });

  it('names the server type of each sizing row as the sizing code chooses it', () => {
    const rows = [...CONFIGURATION.matchAll(/^\| (small|medium|large) \| [0-9,–]+ \| (closed|allow_list|open) \| .*? \| .*? \| (c[a-z]+\d+)/gm)];
    expect(rows.length).toBeGreaterThanOrEqual(6);
    for (const [, size, federation, type] of rows) {
      expect(sizeProfile(size as SizeName, federation as FederationMode).hetznerServerType).toBe(type);
    }
  });
});

describe('README set-up example', () => {
  it('shows what `npm start` prints for the default deployment', async () => {
    const { cli, tempDir } = await import('./helpers');
    const out = tempDir();
    const result = await cli('synth', 'deployments/example.yaml', '--out', out);
    const printed = result.stdout.replace(`${out}/stacks`, 'cdktf.out/stacks');
    expect(README).toContain(`\`\`\`\n${printed}\n\`\`\``);
  });
});

describe('exit codes', () => {
  it('documents every exit code of the CLI in docs/commands.md and in the CLI’s help', async () => {
    const { EXIT } = await import('../src/shared/exit-codes');
    const { cliReference } = await import('../src/cli/reference');
    const help = cliReference();
    for (const code of Object.values(EXIT)) {
      expect({ code, documented: COMMANDS.includes(`| ${code} |`), inHelp: new RegExp(`^  ${code} +\\S`, 'm').test(help) }).toEqual({ code, documented: true, inHelp: true });
    }
  });
});

describe('README', () => {
  it('stays a short guide (about 200 lines at most); the rest lives in docs/', () => {
    expect(README.split('\n').length).toBeLessThanOrEqual(200);
  });
});

describe('README quick start', () => {
  it('runs as written: init (here with its answers as flags, there is no terminal), then validate, synth and docs', async () => {
    const { cli, tempDir } = await import('./helpers');
    const section = README.slice(README.indexOf('## Quick start: your own deployment'));
    const block = /```sh\n([\s\S]*?)```/.exec(section)![1];
    const commands = block
      .split('\n')
      .map((line) => line.replace(/\s#.*$/, '').trim())
      .filter(Boolean)
      .map((line) => line.split(/\s+/));
    expect(commands.map((c) => `${c[0]} ${c[1]} ${c[2]}`)).toEqual([
      'npx sovereign-matrix init',
      'npx sovereign-matrix validate',
      'npx sovereign-matrix synth',
      'npx sovereign-matrix docs',
    ]);
    const dir = tempDir();
    // Relative paths of the README are relative to the reader's repository: here, `dir`.
    const inDir = (args: string[]) => args.map((a) => (a.startsWith('-') || a.startsWith('/') ? a : join(dir, a)));
    const [init, ...rest] = commands;
    const answers = ['--yes', '--name', 'ministry', '--server-name', 'ministry.example.eu', '--admin-contact', 'ops@ministry.example.eu', '--target', 'hetzner', '--location', 'fsn1', '--ssh-key', 'ops', '--admin-cidr', '198.51.100.0/24'];
    const written = await cli(init[2], ...inDir(init.slice(3)), ...answers);
    expect({ code: written.code, stderr: written.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    for (const command of rest) {
      const [name, ...args] = command.slice(2);
      // Output that defaults to the working directory (synth's cdktf.out) goes to `dir` too.
      const out = name === 'synth' && !args.includes('--out') ? ['--out', join(dir, 'cdktf.out')] : [];
      const result = await cli(name, ...args.map((a, i) => (i === 0 || args[i - 1] === '--out' ? inDir([a])[0] : a)), ...out);
      expect({ command: command.join(' '), code: result.code, stderr: result.code === 0 ? '' : result.stderr }).toEqual({ command: command.join(' '), code: 0, stderr: '' });
    }
    expect(require('node:fs').existsSync(join(dir, 'review', 'ministry.html'))).toBe(true);
    expect(require('node:fs').existsSync(join(dir, 'cdktf.out', 'stacks', 'ministry-apps', 'cdk.tf.json'))).toBe(true);
  }, 120_000);
});
