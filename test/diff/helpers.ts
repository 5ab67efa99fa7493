import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { cli, tempDir } from '../helpers';

export const FIXTURES = join(__dirname, '..', 'fixtures', 'diff');

/** Two directory sides, each with deployments/<name>.yaml copied from the named fixtures. */
export function sides(base: Record<string, string>, head: Record<string, string>): { base: string; head: string } {
  const root = tempDir('sm-diff-test-');
  const make = (side: string, files: Record<string, string>) => {
    const dir = join(root, side);
    mkdirSync(join(dir, 'deployments'), { recursive: true });
    for (const [name, fixture] of Object.entries(files)) copyFileSync(join(FIXTURES, `${fixture}.yaml`), join(dir, 'deployments', `${name}.yaml`));
    return dir;
  };
  return { base: make('base', base), head: make('head', head) };
}

/** The fixture pair `base.yaml` -> `<change>.yaml` as one deployment file on each side. */
export function pair(change: string): { base: string; head: string } {
  return sides({ d: 'base' }, { d: change });
}

export interface JsonAttribute {
  path: string;
  action: string;
  old: unknown;
  new: unknown;
}
export interface JsonKubernetes {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}
export interface JsonChange {
  address: string;
  block: string;
  status: string;
  replacement: { refused: boolean; reasons: { path: string; reason: string }[] } | null;
  kubernetes: JsonKubernetes | null;
  movedTo?: string;
  movedFrom?: string;
  attributes: JsonAttribute[];
}
export interface JsonDiff {
  schema: string;
  changes: boolean;
  summary: Record<string, number | string | null>;
  warnings: { kind: string; deployment: string; stack: string | null; address: string | null; kubernetes: JsonKubernetes | null; file: string | null; message: string }[];
  deployments: {
    name: string;
    file: string;
    status: string;
    downtime: { kind: string; causes: { name: string; address: string | null; file: string | null; reason: string }[] };
    monthlyCost: { currency: string; before: number | { unpriced: string } | null; after: number | { unpriced: string } | null; change: number | null; basis: string } | null;
    stacks: { stack: string; status: string; added: number; changed: number; replaced: number; removed: number; moved: number; changes: JsonChange[] }[];
    files: { path: string; status: string; patch: string }[];
  }[];
}

export async function diffJson(base: string, head: string): Promise<JsonDiff> {
  const result = await cli('diff', '--base', base, '--head', head, '--format', 'json');
  if (result.code !== 0) throw new Error(`diff failed (${result.code}): ${result.stderr}`);
  return JSON.parse(result.stdout) as JsonDiff;
}

/** address -> changed attribute paths, for the stacks of one layer. */
export function changedPaths(diff: JsonDiff, layer: 'infra' | 'apps'): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const d of diff.deployments) {
    for (const s of d.stacks.filter((stack) => stack.stack.endsWith(`-${layer}`))) {
      for (const c of s.changes) out[c.address] = c.attributes.map((a) => a.path);
    }
  }
  return out;
}

/** `Kind namespace/name` -> changed Kubernetes field paths, for the Kubernetes objects of one layer. */
export function changedObjects(diff: JsonDiff, layer: 'infra' | 'apps'): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const d of diff.deployments) {
    for (const s of d.stacks.filter((stack) => stack.stack.endsWith(`-${layer}`))) {
      for (const c of s.changes) {
        if (!c.kubernetes) continue;
        const { kind, namespace, name } = c.kubernetes;
        out[`${kind} ${namespace === undefined ? '' : `${namespace}/`}${name}`] = c.attributes.map((a) => a.path);
      }
    }
  }
  return out;
}

/** rendered file -> its changed lines (+/-), without context and hunk headers. */
export function changedLines(diff: JsonDiff): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const d of diff.deployments) {
    for (const f of d.files) out[f.path] = f.patch.split('\n').filter((line) => /^[+-]/.test(line));
  }
  return out;
}

export function git(cwd: string, ...args: string[]): string {
  const result = spawnSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.eu', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.eu' },
  });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  return result.stdout.trim();
}
