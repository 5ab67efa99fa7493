/**
 * Diff benchmark: whole-process wall time of `sovereign-matrix diff` over 100 varied deployments
 * (median of BENCH_RUNS, default 3), with the compiled CLI. Target: one changed deployment of 100
 * in at most 5 s. Run with `npm run build && node dist/bench/diff-bench.js`; prints a Markdown table.
 *
 * Scenarios: directory sides with one deployment changed; a git ref base (temporary worktree)
 * with one changed; and, for scale, every deployment changed (nothing can be skipped).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'bin', 'sovereign-matrix.js');
const runs = Number(process.env.BENCH_RUNS ?? 3);
const COUNT = Number(process.env.BENCH_DEPLOYMENTS ?? 100);
const TARGET_SECONDS = 5;

const LOCATIONS = ['fsn1', 'nbg1', 'hel1'];
/** BENCH_SIZE=large makes every deployment large (Synapse workers, issue #20); default: sizes rotate. */
const SIZES = process.env.BENCH_SIZE ? [process.env.BENCH_SIZE] : ['small', 'medium', 'large'];

/** Deployment i of a varied set (targets, sizes, federation and identity modes rotate); `variant` changes one field. */
function deployment(i: number, variant = false): string {
  const name = `bench-${String(i).padStart(3, '0')}`;
  const domain = `${name}.example.eu`;
  const onHetzner = i % 4 !== 3;
  const location = LOCATIONS[(i + (variant ? 1 : 0)) % 3];
  const target = onHetzner
    ? `target:\n  hetzner:\n    location: ${location}\n    ssh_keys: [ops]\n    admin_cidrs: [198.51.100.0/24]\n`
    : // An existing cluster has no default backup bucket.
      `target:\n  kubernetes:\n    context: cluster-${i}\nbackup:\n  s3:\n    endpoint: https://s3.example-eu.eu\n    bucket: ${name}-backups\n    region: eu-west\n`;
  const allow = variant ? `[partner-${i}.example.eu, extra-${i}.example.eu]` : `[partner-${i}.example.eu]`;
  const federation = ['federation:\n  mode: closed\n', `federation:\n  mode: allow_list\n  allow: ${allow}\n`, 'federation:\n  mode: open\n'][i % 3];
  const identity = [
    'identity:\n  mode: local\n',
    'identity:\n  mode: keycloak\n',
    'identity:\n  mode: oidc\n  oidc:\n    issuer: https://login.example.eu\n    client_id: matrix\n    client_secret_env: OIDC_SECRET\n',
  ][i % 3];
  return `name: ${name}\nserver_name: ${domain}\n${target}size: ${SIZES[i % SIZES.length]}\n${federation}${identity}admin_contact: ops@${domain}\n`;
}

function writeSide(dir: string, changed: (i: number) => boolean): void {
  mkdirSync(join(dir, 'deployments'), { recursive: true });
  for (let i = 0; i < COUNT; i++) writeFileSync(join(dir, 'deployments', `d${String(i).padStart(3, '0')}.yaml`), deployment(i, changed(i)));
}

function run(cwd: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [CLI, 'diff', ...args, '--format', 'json'], { cwd, encoding: 'utf8', env, maxBuffer: 256 * 1024 * 1024 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status !== 0) throw new Error(`diff failed (${result.status}): ${result.stderr}`);
  const summary = (JSON.parse(result.stdout) as { summary: { deployments: number } }).summary;
  if (summary.deployments === 0) throw new Error('benchmark diff found no changes');
  return seconds;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function git(cwd: string, ...args: string[]): void {
  const env = { ...process.env, GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'bench@example.eu', GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'bench@example.eu' };
  const result = spawnSync('git', args, { cwd, encoding: 'utf8', env });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
}

function main(): void {
  const work = mkdtempSync(join(tmpdir(), 'sm-diff-bench-'));
  try {
    const one = (i: number) => i === 1; // bench-001: a Hetzner deployment with an allow list
    writeSide(join(work, 'base'), () => false);
    writeSide(join(work, 'head-one'), one);
    writeSide(join(work, 'head-all'), () => true);

    const repo = join(work, 'repo');
    writeSide(repo, () => false);
    git(repo, 'init', '-q');
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'base');
    writeSide(repo, one);

    const scenarios: [string, string, string[]][] = [
      [`directories, 1 of ${COUNT} changed`, work, ['--base', 'base', '--head', 'head-one']],
      [`git ref base (worktree), 1 of ${COUNT} changed`, repo, ['--base', 'HEAD']],
      [`directories, all ${COUNT} changed`, work, ['--base', 'base', '--head', 'head-all']],
    ];
    const rows: string[] = [];
    for (const [label, cwd, args] of scenarios) {
      const seconds = median(Array.from({ length: runs }, () => run(cwd, args)));
      process.stderr.write(`bench: ${label}: ${seconds.toFixed(2)} s\n`);
      rows.push(`| ${label} | ${seconds.toFixed(2)} s | ${label.includes('1 of') ? (seconds <= TARGET_SECONDS ? 'yes' : 'NO') : '-'} |`);
    }
    console.log(`Diff benchmark (median of ${runs} runs, wall time of the whole process)\n`);
    console.log(`| scenario | wall | within ${TARGET_SECONDS} s |`);
    console.log('|---|---|---|');
    rows.forEach((row) => console.log(row));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main();
