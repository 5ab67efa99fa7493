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
    const { EXIT } = await import('../src/cli/exit-codes');
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
