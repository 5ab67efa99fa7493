/**
 * The two sides of a diff: where their deployment files are, which code synthesizes them, and
 * the synthesis itself.
 *
 * A side is a directory (a checkout or any tree with deployments/), the working tree (the
 * default head), or a git ref, materialised with `git worktree add --detach` in a temporary
 * directory and removed afterwards, also on failure.
 *
 * Which code synthesizes a side (see docs/reviewing-changes.md):
 * - a side that is not a checkout of the kit (a repository of deployment files only) is
 *   synthesized by the running kit;
 * - a side that is a checkout of the kit with the same code as the running kit (src/, stacks/,
 *   the lockfile, ... byte-identical: the usual pull request that only changes deployment files)
 *   is synthesized by the running kit, in this process: the same code gives the same output;
 * - a side with different kit code (a kit upgrade, a change to a renderer) is synthesized by its
 *   own code: its compiled dist/ if present, else built (node_modules shared with the running kit
 *   when the lockfiles are identical, else `npm ci --prefer-offline`; then tsc), and run in a
 *   child process. The diff then shows the effect of the code change;
 * - a side whose kit predates the synth pipeline (no synth module, see SYNTH_MODULES) cannot synthesize itself; its
 *   deployment files are synthesized by the running kit, and the output says so.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { loadDeploymentFiles, type LoadedDeployment } from '../config/load';
import { DeploymentFileError, type Problem } from '../config/problems';
import { ToolError } from '../shared/engine';
import { renderAll } from '../render';
import { synthesize } from '../../stacks/synth';
import type { DeploymentSnapshot, SideSnapshot } from './model';
import { stableStringify } from './stack-diff';

/** A command-line mistake (neither directory nor ref, file on neither side); exit code 2. */
export class DiffUsageError extends Error {}

/**
 * Where a kit keeps its synth pipeline, relative to its root without the extension, newest layout
 * first: stacks/synth since the layers were made one-way (#17), src/synth before. A side is
 * synthesized with its own code in either layout.
 */
const SYNTH_MODULES = ['stacks/synth', 'src/synth'];

/** The side's compiled synth module under `dist`, if it has one. */
function compiledSynth(dist: string): string | undefined {
  return SYNTH_MODULES.map((m) => join(dist, `${m}.js`)).find((file) => existsSync(file));
}

/** Where the deployment files of a side are looked for when none are named. */
export const DEPLOYMENTS_DIR = 'deployments';

/** The paths that make up the kit's code: equal fingerprints mean equal synthesized output. */
const CODE_PATHS = ['src', 'stacks', 'main.ts', 'package.json', 'package-lock.json', 'tsconfig.json', 'cdktf.json', 'charts'];

export type CodeSource =
  | { readonly kind: 'running'; readonly note?: string }
  | { readonly kind: 'own'; readonly kitRoot: string; readonly materialised: boolean };

export interface Side {
  readonly label: string;
  /** The directory that holds deployments/ (the kit root in a checkout of the kit). */
  readonly root: string;
  /** Deployment files of this side, relative to root; only files that exist. */
  files: string[];
  readonly code: CodeSource;
  /** How problems in this side's files are named: `origin/main:deployments/x.yaml`. */
  readonly display: (relativeFile: string) => string;
}

/** Temporary directories and worktrees to remove at the end, whatever happens. */
export class Cleanup {
  private readonly actions: (() => void)[] = [];
  add(action: () => void): void {
    this.actions.push(action);
  }
  run(): void {
    for (const action of this.actions.reverse()) {
      try {
        action();
      } catch {
        // best effort: one failed removal must not hide the others or the real error
      }
    }
    this.actions.length = 0;
  }
}

function git(cwd: string, args: string[]): { ok: boolean; stdout: string; stderr: string } {
  const result = spawnSync('git', args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw new ToolError(`git is needed for a git ref side and could not be run: ${result.error.message}`);
  return { ok: result.status === 0, stdout: result.stdout.trim(), stderr: result.stderr.trim() };
}

/** The root of the running kit (where its package.json is). */
export function runningKitRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (isKit(dir)) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the root of the running kit');
    dir = parent;
  }
}

function isKit(dir: string): boolean {
  try {
    return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string }).name === 'sovereign-matrix';
  } catch {
    return false;
  }
}

/**
 * Resolves `--base`/`--head`: a directory, or a git ref of the repository around `cwd`
 * (materialised as a temporary worktree registered in `cleanup`), or the working tree.
 */
export function openSide(arg: string | undefined, cwd: string, cleanup: Cleanup): Side {
  if (arg === undefined) return makeSide('working tree', cwd, (f) => f, false);
  const asDir = resolve(cwd, arg);
  if (existsSync(asDir) && statSync(asDir).isDirectory()) {
    return makeSide(arg, asDir, (f) => relative(cwd, join(asDir, f)) || f, false);
  }
  const top = git(cwd, ['rev-parse', '--show-toplevel']);
  if (!top.ok) throw new DiffUsageError(`'${arg}' is not a directory, and ${cwd} is not in a git repository to look it up as a ref`);
  const commit = git(cwd, ['rev-parse', '--verify', '--quiet', `${arg}^{commit}`]);
  if (!commit.ok) throw new DiffUsageError(`'${arg}' is neither a directory nor a git ref of this repository`);
  const prefix = git(cwd, ['rev-parse', '--show-prefix']).stdout;
  const temp = mkdtempSync(join(tmpdir(), 'sm-diff-'));
  cleanup.add(() => rmSync(temp, { recursive: true, force: true }));
  const tree = join(temp, 'tree');
  const added = git(top.stdout, ['worktree', 'add', '--detach', tree, commit.stdout]);
  if (!added.ok) throw new ToolError(`git worktree add for '${arg}' failed: ${added.stderr}`);
  // Registered before anything else can fail, so the worktree never outlives the command.
  cleanup.add(() => {
    git(top.stdout, ['worktree', 'remove', '--force', tree]);
    git(top.stdout, ['worktree', 'prune']);
  });
  return makeSide(arg, join(tree, prefix), (f) => `${arg}:${join(prefix, f).split(sep).join('/')}`, true);
}

/**
 * A side that is one deployment file (`sovereign-matrix diff old.yaml new.yaml`): synthesized by
 * the running kit, wherever the file is, so that the diff shows what the file changes.
 */
export function openFileSide(file: string, cwd: string): Side {
  const path = resolve(cwd, file);
  if (!existsSync(path)) throw new DiffUsageError(`${file}: no such deployment file`);
  if (!statSync(path).isFile()) {
    throw new DiffUsageError(`${file} is a directory: compare directories or git refs with --base ${file} [--head DIR], two files with diff OLD.yaml NEW.yaml`);
  }
  return { label: file, root: cwd, files: [relative(cwd, path)], code: { kind: 'running' }, display: (f) => f };
}

function makeSide(label: string, root: string, display: (f: string) => string, materialised: boolean): Side {
  return { label, root, files: [], code: codeSource(root, materialised, label), display };
}

/** Which code synthesizes a side; see the module comment. */
function codeSource(root: string, materialised: boolean, label: string): CodeSource {
  if (!isKit(root)) return { kind: 'running' };
  const running = runningKitRoot();
  if (realpathSync(root) === realpathSync(running)) return { kind: 'running' };
  if (!SYNTH_MODULES.some((m) => existsSync(join(root, `${m}.ts`))) && !compiledSynth(join(root, 'dist'))) {
    return { kind: 'running', note: `${label}: its kit predates the synth pipeline; its deployment files were synthesized with the running kit's code` };
  }
  if (codeFingerprint(root) === codeFingerprint(running)) return { kind: 'running' };
  return { kind: 'own', kitRoot: root, materialised };
}

/** A hash of the kit's code (CODE_PATHS), independent of where the checkout is. */
export function codeFingerprint(root: string): string {
  const hash = createHash('sha256');
  const visit = (path: string) => {
    const full = join(root, path);
    if (!existsSync(full)) return;
    if (statSync(full).isDirectory()) {
      for (const entry of readdirSync(full).sort()) visit(join(path, entry));
      return;
    }
    hash.update(`${path.split(sep).join('/')}\0`);
    hash.update(readFileSync(full));
    hash.update('\0');
  };
  CODE_PATHS.forEach(visit);
  return hash.digest('hex');
}

/**
 * The deployment files of both sides. Named files (relative to the current directory) are taken
 * from both sides; without names, every deployments/*.yaml of each side.
 */
export function chooseFiles(base: Side, head: Side, named: readonly string[], cwd: string): void {
  if (named.length > 0) {
    const relativeNames = named.map((file) => {
      const rel = relative(cwd, resolve(cwd, file));
      if (rel.startsWith('..') || isAbsolute(rel)) {
        throw new DiffUsageError(`${file}: deployment files must be inside the current directory, so they can be found on both sides`);
      }
      return rel;
    });
    for (const side of [base, head]) side.files = relativeNames.filter((rel) => existsSync(join(side.root, rel)));
    const missing = relativeNames.filter((rel) => !base.files.includes(rel) && !head.files.includes(rel));
    if (missing.length > 0) throw new DiffUsageError(`not found on either side: ${missing.join(', ')}`);
    return;
  }
  for (const side of [base, head]) {
    const dir = join(side.root, DEPLOYMENTS_DIR);
    side.files = existsSync(dir)
      ? readdirSync(dir)
          .filter((name) => /\.ya?ml$/.test(name))
          .sort()
          .map((name) => join(DEPLOYMENTS_DIR, name))
      : [];
  }
  if (base.files.length === 0 && head.files.length === 0) {
    throw new DiffUsageError(`no deployment files: neither side has ${DEPLOYMENTS_DIR}/*.yaml`);
  }
}

/** Loads a side's files with the running kit; problems name the side (`origin/main:deployments/x.yaml`). */
export function loadSide(side: Side): LoadedDeployment[] {
  try {
    return loadDeploymentFiles(side.files.map((f) => join(side.root, f))).map((d) => ({ ...d, file: relative(side.root, d.file) }));
  } catch (error) {
    if (error instanceof DeploymentFileError) throw relabel(side, error.problems);
    throw error;
  }
}

function relabel(side: Side, problems: readonly Problem[]): DeploymentFileError {
  return new DeploymentFileError(problems.map((p) => ({ ...p, file: side.display(relative(side.root, resolve(side.root, p.file))) })));
}

/**
 * Synthesizes loaded deployments with the running kit, in this process. The stacks go to a
 * temporary directory, are read back and the directory removed.
 */
export function synthesizeInProcess(loaded: readonly LoadedDeployment[]): DeploymentSnapshot[] {
  if (loaded.length === 0) return [];
  const out = mkdtempSync(join(tmpdir(), 'sm-diff-synth-'));
  try {
    const stacks = synthesize(
      loaded.map((d) => d.spec),
      out,
    );
    return loaded.map((d) => ({
      name: d.spec.name,
      file: d.file,
      stacks: new Map(stacks.filter((s) => s.deployment === d.spec.name).map((s) => [s.stack, JSON.parse(readFileSync(join(out, s.file), 'utf8'))])),
      files: new Map(renderAll(d.spec).map((f) => [f.path, f.content])),
    }));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/**
 * Runs in a child process with the side's own compiled kit: loads, synthesizes and renders with
 * that code and writes what it produced. Plain JavaScript, so it runs with any kit version that
 * has the synth pipeline; a kit without renderers gives no rendered files.
 */
const SIDE_DRIVER = `
const path = require('path');
const fs = require('fs');
const [dist, out, ...files] = process.argv.slice(1);
const load = require(path.join(dist, 'src/config/load.js'));
const synth = require([${SYNTH_MODULES.map((m) => JSON.stringify(`${m}.js`)).join(', ')}].map((m) => path.join(dist, m)).find((f) => fs.existsSync(f)));
let render;
try { render = require(path.join(dist, 'src/render/index.js')); } catch (e) { render = undefined; }
try {
  const loaded = load.loadDeploymentFiles(files);
  const stacks = synth.synthesize(loaded.map((d) => d.spec), out);
  const result = loaded.map((d) => ({
    file: d.file,
    name: d.spec.name,
    stacks: stacks.filter((s) => s.deployment === d.spec.name).map((s) => ({ stack: s.stack, file: s.file })),
    files: render && render.renderAll ? render.renderAll(d.spec) : [],
  }));
  fs.writeFileSync(path.join(out, 'snapshot.json'), JSON.stringify(result));
} catch (error) {
  if (error && Array.isArray(error.problems)) {
    fs.writeFileSync(path.join(out, 'problems.json'), JSON.stringify(error.problems));
    process.exit(1);
  }
  throw error;
}
`;

/** Synthesizes a side with its own kit code (see the module comment); returns notes for the output. */
export function synthesizeWithOwnCode(side: Side, cleanup: Cleanup, notes: string[]): DeploymentSnapshot[] {
  if (side.code.kind !== 'own') throw new Error('synthesizeWithOwnCode needs a side with its own code');
  if (side.files.length === 0) return [];
  const dist = buildSide(side, side.code.kitRoot, side.code.materialised, cleanup, notes);
  const out = mkdtempSync(join(tmpdir(), 'sm-diff-side-'));
  cleanup.add(() => rmSync(out, { recursive: true, force: true }));
  const result = spawnSync(process.execPath, ['-e', SIDE_DRIVER, dist, out, ...side.files], {
    cwd: side.root,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (existsSync(join(out, 'problems.json'))) {
    throw relabel(side, JSON.parse(readFileSync(join(out, 'problems.json'), 'utf8')) as Problem[]);
  }
  if (result.status !== 0 || !existsSync(join(out, 'snapshot.json'))) {
    throw new ToolError(`synthesizing ${side.label} with its own kit code failed:\n${(result.stderr || result.error?.message || '').trim()}`);
  }
  const produced = JSON.parse(readFileSync(join(out, 'snapshot.json'), 'utf8')) as {
    file: string;
    name: string;
    stacks: { stack: string; file: string }[];
    files: { path: string; content: string }[];
  }[];
  return produced.map((d) => ({
    name: d.name,
    file: d.file,
    stacks: new Map(d.stacks.map((s) => [s.stack, JSON.parse(readFileSync(join(out, s.file), 'utf8'))])),
    files: new Map(d.files.map((f) => [f.path, f.content])),
  }));
}

/** The side's compiled dist/, building it when missing; see the module comment. */
function buildSide(side: Side, kitRoot: string, materialised: boolean, cleanup: Cleanup, notes: string[]): string {
  if (compiledSynth(join(kitRoot, 'dist')) && existsSync(join(kitRoot, 'dist', 'src', 'config', 'load.js'))) {
    notes.push(`${side.label}: kit code differs from the running kit; synthesized with its own compiled code (${join(relative(process.cwd(), kitRoot) || '.', 'dist')})`);
    return join(kitRoot, 'dist');
  }
  // Build in a worktree we made; a user's directory is copied rather than written into.
  let dir = kitRoot;
  if (!materialised) {
    const temp = mkdtempSync(join(tmpdir(), 'sm-diff-build-'));
    cleanup.add(() => rmSync(temp, { recursive: true, force: true }));
    dir = join(temp, 'kit');
    cpSync(kitRoot, dir, { recursive: true, filter: (src) => !/(^|[/\\])(node_modules|\.git|dist|cdktf\.out)$/.test(relative(kitRoot, src)) });
  }
  const started = Date.now();
  const running = runningKitRoot();
  const sameLock = sameFile(join(dir, 'package-lock.json'), join(running, 'package-lock.json'));
  if (!existsSync(join(dir, 'node_modules'))) {
    if (sameLock) {
      symlinkSync(join(running, 'node_modules'), join(dir, 'node_modules'), 'dir');
    } else {
      const ci = spawnSync('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: dir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      if (ci.status !== 0) throw new ToolError(`npm ci for ${side.label} failed (its dependencies differ from the running kit's):\n${(ci.stderr || ci.error?.message || '').trim()}`);
    }
  }
  // The side's own build script: each kit version knows how it builds (tsc, then since #17 the
  // render templates copied into dist/), so a side is never half-built by today's recipe.
  const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: dir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (build.status !== 0 || !compiledSynth(join(dir, 'dist'))) {
    throw new ToolError(`building the kit of ${side.label} failed:\n${(build.stdout + build.stderr || build.error?.message || '').trim()}`);
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  notes.push(
    `${side.label}: kit code differs from the running kit; built it (${sameLock ? 'same dependencies' : 'npm ci'}, npm run build, ${seconds} s) and synthesized with its own code`,
  );
  return join(dir, 'dist');
}

function sameFile(a: string, b: string): boolean {
  try {
    return readFileSync(a).equals(readFileSync(b));
  } catch {
    return false;
  }
}

/**
 * Synthesizes both sides. When both use the running kit, deployments whose resolved
 * specification is identical on both sides are skipped: the same code and the same input give
 * byte-identical output (the kit's determinism rule), so they cannot differ.
 */
export function synthesizeSides(base: Side, head: Side, cleanup: Cleanup): { base: SideSnapshot; head: SideSnapshot; notes: string[] } {
  const notes: string[] = [];
  for (const side of [base, head]) if (side.code.kind === 'running' && side.code.note) notes.push(side.code.note);
  const snapshot = (side: Side, deployments: DeploymentSnapshot[]): SideSnapshot => ({
    label: side.label,
    deployments: new Map(deployments.map((d) => [d.name, d])),
  });
  // Validate everything first, both sides, so a bad file is reported before any slow work.
  const baseLoaded = base.code.kind === 'running' ? loadSide(base) : undefined;
  const headLoaded = head.code.kind === 'running' ? loadSide(head) : undefined;
  if (baseLoaded && headLoaded) {
    const headByName = new Map(headLoaded.map((d) => [d.spec.name, d]));
    const unchanged = new Set(
      baseLoaded.filter((d) => headByName.has(d.spec.name) && stableStringify(d.spec) === stableStringify(headByName.get(d.spec.name)!.spec)).map((d) => d.spec.name),
    );
    return {
      base: snapshot(base, synthesizeInProcess(baseLoaded.filter((d) => !unchanged.has(d.spec.name)))),
      head: snapshot(head, synthesizeInProcess(headLoaded.filter((d) => !unchanged.has(d.spec.name)))),
      notes,
    };
  }
  const synthesizeSide = (side: Side, loaded: LoadedDeployment[] | undefined) =>
    snapshot(side, loaded ? synthesizeInProcess(loaded) : synthesizeWithOwnCode(side, cleanup, notes));
  return { base: synthesizeSide(base, baseLoaded), head: synthesizeSide(head, headLoaded), notes };
}
