import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';

/**
 * The layer rule of .dependency-cruiser.cjs, run by dependency-cruiser itself on the kit: each
 * layer imports only from below, command families never import each other, no cycles.
 */
const repo = join(__dirname, '..');
const configFile = join(repo, '.dependency-cruiser.cjs');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { LAYERS } = require(configFile) as { LAYERS: { name: string; path: string }[] };

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

function cruise(cwd: string, paths: string[]): Violation[] {
  const cli = join(repo, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
  const result = spawnSync(process.execPath, [cli, ...paths, '--config', configFile, '--output-type', 'json'], { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (!result.stdout) throw new Error(`dependency-cruiser failed: ${result.stderr}`);
  return (JSON.parse(result.stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(repo, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|js)$/.test(e.name) && !e.name.endsWith('.d.ts'))
    .map((e) => relative(repo, join(e.parentPath, e.name)))
    .sort();
}

describe('the layers', () => {
  test('no import in the kit goes up a layer, sideways between commands, or round in a cycle', () => {
    const violations = cruise(repo, ['src', 'stacks', 'main.ts']).map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`);
    expect(violations).toEqual([]);
  }, 60_000);

  test('every module of the kit lies in exactly one layer (a new directory must be placed in LAYERS)', () => {
    const files = [...sourceFiles('src'), ...sourceFiles('stacks'), 'main.ts'];
    const unplaced = files.filter((file) => LAYERS.filter((layer) => new RegExp(layer.path).test(file)).length !== 1);
    expect(unplaced).toEqual([]);
    expect(files.length).toBeGreaterThan(100);
  });

  test('the rule catches an upward import, a sideways import between commands and a cycle', () => {
    const dir = mkdtempSync(join(tmpdir(), 'layers-'));
    try {
      const write = (path: string, text: string) => {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), text);
      };
      write('tsconfig.json', '{"compilerOptions":{"module":"commonjs","allowJs":true}}');
      write('src/cli/main.ts', 'export const main = 1;\n');
      write('src/config/load.ts', "import { main } from '../cli/main';\nexport const load = main;\n");
      write('src/deploy/command.ts', 'export const deploy = 1;\n');
      write('src/diff/command.ts', "import { deploy } from '../deploy/command';\nexport const diff = deploy;\n");
      write('src/render/a.ts', "import { b } from './b';\nexport const a = () => b;\n");
      write('src/render/b.ts', "import { a } from './a';\nexport const b = () => a;\n");
      const found = cruise(dir, ['src']).map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`);
      expect(found).toEqual(
        expect.arrayContaining([
          'no-upward-from-config: src/config/load.ts -> src/cli/main.ts',
          'no-sideways-between-commands: src/diff/command.ts -> src/deploy/command.ts',
          'no-circular: src/render/a.ts -> src/render/b.ts',
        ]),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
