import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

function sourceFiles(dir: string, pattern = /\.(ts|js)$/): string[] {
  return readdirSync(join(repo, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && pattern.test(e.name) && !e.name.endsWith('.d.ts'))
    .map((e) => relative(repo, join(e.parentPath, e.name)))
    .sort();
}

/**
 * Modules without logic of their own: they need no test file of their own (what reads them is
 * tested). Each says why; anything with a function worth testing does not belong here.
 */
const LOGIC_FREE: Record<string, string> = {
  'src/config/spec.ts': 'types of the resolved deployment only',
  'src/config/managed-settings.ts': 'a table of the settings `extra` may not change, read by the rules',
  'src/ports.ts': 'the table of every port',
  'src/render/monitoring/rule-types.ts': 'types of the alert rules only',
};

/** The unit test of a module: src/<path>.ts is tested by test/<path>.test.ts, stacks/<m>.ts by test/stacks/<m>.test.ts. */
function mirrorTest(module: string): string {
  return `test/${module.replace(/^src\//, '').replace(/\.(ts|js)$/, '')}.test.ts`;
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

describe('the tests mirror the sources', () => {
  // Generated provider bindings are tested as a whole by test/providers.test.ts.
  const modules = [...sourceFiles('src'), ...sourceFiles('stacks')].filter((m) => !m.startsWith('src/providers/'));

  test('every module with logic has its unit test at the mirrored path', () => {
    const untested = modules.filter((m) => !(m in LOGIC_FREE) && !existsSync(join(repo, mirrorTest(m))));
    expect(untested).toEqual([]);
  });

  test('every test file in a subdirectory of test/ is the unit test of a module (cross-cutting tests live at the test/ root)', () => {
    const mirrored = new Set(modules.map(mirrorTest));
    const tests = sourceFiles('test', /\.test\.ts$/).filter((t) => t.includes('/', 'test/'.length) && !t.startsWith('test/integration/'));
    expect(tests.filter((t) => !mirrored.has(t))).toEqual([]);
    expect(tests.length).toBeGreaterThan(50);
  });

  test('the logic-free list names only modules that exist', () => {
    expect(Object.keys(LOGIC_FREE).filter((m) => !modules.includes(m))).toEqual([]);
  });
});

test('every hand-written module is under 400 lines (split by responsibility before it grows past)', () => {
  const handWritten = [...sourceFiles('src'), ...sourceFiles('stacks')].filter(
    (m) => !m.startsWith('src/providers/') && !m.endsWith('.generated.ts') && m !== 'src/config/deployment-validator.js',
  );
  const long = handWritten
    .map((m) => ({ module: m, lines: readFileSync(join(repo, m), 'utf8').split('\n').length - 1 }))
    .filter(({ lines }) => lines >= 400);
  expect(long).toEqual([]);
});
