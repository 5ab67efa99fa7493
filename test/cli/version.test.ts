import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { versionText } from '../../src/cli/version';
import { EXIT } from '../../src/shared/exit-codes';
import { BACKUP_TOOL_VERSIONS, images, PINNED_VERSIONS, PROVIDER_VERSIONS } from '../../src/versions';
import { cli } from '../helpers';

const ROOT = join(__dirname, '..', '..');

describe('sovereign-matrix --version', () => {
  it.each(['--version', '-V'])('%s prints the kit version first, then every pinned version, exit 0', async (flag) => {
    const result = await cli(flag);
    expect(result).toEqual({ code: EXIT.ok, stdout: versionText(), stderr: '' });
    const lines = result.stdout.split('\n');
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(lines[0]).toBe(`sovereign-matrix ${version}`);
    const pinned = [
      ...Object.values(PINNED_VERSIONS),
      ...Object.values(BACKUP_TOOL_VERSIONS),
      ...Object.values(PROVIDER_VERSIONS),
      ...Object.values(images(PINNED_VERSIONS)),
    ];
    for (const value of pinned) {
      expect(lines.some((line) => line.trim().endsWith(` ${value}`))).toBe(true);
    }
  });

  it('names components as the deployment file does under versions:', () => {
    expect(versionText()).toMatch(/^ {2}element_web +1\./m);
  });

  it('is deterministic', () => {
    expect(versionText()).toBe(versionText());
  });

  /**
   * bin/sovereign-matrix.js answers `--version` by loading src/cli/version alone; it must stay
   * instant, so nothing it imports (transitively) may load a package (cdktf, ajv, yaml, ...).
   */
  it('imports nothing but Node built-ins and small modules of the kit', () => {
    const seen = new Set<string>();
    const packages: string[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = readFileSync(file, 'utf8');
      for (const [, spec] of source.matchAll(/^import\s+(?!type\b)[^'"]*['"]([^'"]+)['"]/gm)) {
        if (spec.startsWith('.')) visit(`${resolve(dirname(file), spec)}.ts`);
        else if (!spec.startsWith('node:')) packages.push(`${file}: ${spec}`);
      }
    };
    visit(join(ROOT, 'src', 'cli', 'version.ts'));
    expect(packages).toEqual([]);
    expect(readFileSync(join(ROOT, 'bin', 'sovereign-matrix.js'), 'utf8')).toContain("load('version').versionText()");
  });
});
