/**
 * Synth benchmark: wall time and peak memory of synthesizing 1, 10 and 100 varied deployments,
 * with the kit's compiled CLI and, side by side on the same input, the stock cdktf workflow
 * (ts-node, root imports). Run with `npm run bench`; prints a Markdown table.
 *
 * It also pairs one deployment's synthesis with `node -e "require('cdktf')"` (the floor any cdktf
 * program pays), alternating the two so that machine load hits both alike: the ratio is the
 * figure the apps layer's target is set in (at most 3x).
 *
 * Options (environment): BENCH_SIZES=1,10,100  BENCH_RUNS=3  BENCH_PAIRED_RUNS=9  BENCH_SKIP_STOCK=1  BENCH_SIZE=large
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const PROBE = join(ROOT, 'bench', 'rss-probe.js');
const sizes = (process.env.BENCH_SIZES ?? '1,10,100').split(',').map(Number);
const runs = Number(process.env.BENCH_RUNS ?? 3);

const LOCATIONS = ['fsn1', 'nbg1', 'hel1'];
/** BENCH_SIZE=large makes every deployment large (Synapse workers, issue #20); default: sizes rotate. */
const SIZES = process.env.BENCH_SIZE ? [process.env.BENCH_SIZE] : ['small', 'medium', 'large'];

/** Deployment i of a varied set: targets, sizes, federation and identity modes all rotate. */
function deployment(i: number): string {
  const name = `bench-${String(i).padStart(3, '0')}`;
  const domain = `${name}.example.eu`;
  const onHetzner = i % 4 !== 3;
  const target = onHetzner
    ? `target:\n  hetzner:\n    location: ${LOCATIONS[i % 3]}\n    ssh_keys: [ops]\n    admin_cidrs: [198.51.100.0/24]\n`
    : // An existing cluster has no default backup bucket.
      `target:\n  kubernetes:\n    context: cluster-${i}\nbackup:\n  s3:\n    endpoint: https://s3.example-eu.eu\n    bucket: ${name}-backups\n    region: eu-west\n`;
  const federation = [
    'federation:\n  mode: closed\n',
    `federation:\n  mode: allow_list\n  allow: [partner-${i}.example.eu]\n`,
    'federation:\n  mode: open\n',
  ][i % 3];
  const identity = [
    'identity:\n  mode: local\n',
    'identity:\n  mode: keycloak\n',
    'identity:\n  mode: oidc\n  oidc:\n    issuer: https://login.example.eu\n    client_id: matrix\n    client_secret_env: OIDC_SECRET\n',
  ][i % 3];
  const dns = onHetzner && i % 2 === 0 ? 'dns:\n  mode: hetzner\n' : 'dns:\n  mode: manual\n';
  return `name: ${name}\nserver_name: ${domain}\n${target}size: ${SIZES[i % SIZES.length]}\n${federation}${identity}${dns}admin_contact: ops@${domain}\n`;
}

interface Measurement {
  wallSeconds: number;
  peakMiB: number;
}

function measure(argv: string[], outdir: string): Measurement {
  const rssFile = join(outdir, '..', 'rss');
  rmSync(outdir, { recursive: true, force: true });
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ['-r', PROBE, ...argv], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, BENCH_RSS_FILE: rssFile },
  });
  const wallSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status !== 0) throw new Error(`benchmark command failed: ${argv.join(' ')}\n${result.stderr}`);
  return { wallSeconds, peakMiB: Number(readFileSync(rssFile, 'utf8')) / 1024 };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function bench(label: string, argv: string[], outdir: string): Measurement {
  const samples = Array.from({ length: runs }, () => measure(argv, outdir));
  const result = { wallSeconds: median(samples.map((s) => s.wallSeconds)), peakMiB: Math.max(...samples.map((s) => s.peakMiB)) };
  process.stderr.write(`bench: ${label}: ${result.wallSeconds.toFixed(2)} s, ${result.peakMiB.toFixed(0)} MiB\n`);
  return result;
}

/** Alternating runs of cdktf's bare load and of one deployment's synthesis; medians and their ratio. */
function paired(work: string): string {
  const pairs = Number(process.env.BENCH_PAIRED_RUNS ?? 9);
  const file = join(work, 'paired.yaml');
  writeFileSync(file, deployment(0));
  const out = join(work, 'paired-out');
  const load: number[] = [];
  const synth: number[] = [];
  for (let i = 0; i < pairs; i++) {
    load.push(measure(['-e', "require('cdktf')"], out).wallSeconds);
    synth.push(measure([join(ROOT, 'bin', 'sovereign-matrix.js'), 'synth', file, '--out', out], out).wallSeconds);
  }
  const ratio = median(synth) / median(load);
  process.stderr.write(`bench: paired (${pairs}x): require('cdktf') ${median(load).toFixed(2)} s, one deployment ${median(synth).toFixed(2)} s, ${ratio.toFixed(2)}x\n`);
  return `| ${median(load).toFixed(2)} s | ${median(synth).toFixed(2)} s | ${ratio.toFixed(2)}x |`;
}

function main(): void {
  const work = mkdtempSync(join(tmpdir(), 'sm-bench-'));
  const pairedRow = paired(work);
  const rows: string[] = [];
  for (const n of sizes) {
    const files = Array.from({ length: n }, (_, i) => {
      const file = join(work, `d${i}.yaml`);
      writeFileSync(file, deployment(i));
      return file;
    });
    const out = join(work, 'out');
    const kit = bench(`kit, ${n} deployments`, [join(ROOT, 'bin', 'sovereign-matrix.js'), 'synth', ...files, '--out', out], out);
    let stockCells = '| - | - | - |';
    if (!process.env.BENCH_SKIP_STOCK) {
      const stock = bench(
        `stock cdktf (ts-node), ${n} deployments`,
        ['-r', 'ts-node/register', join(ROOT, 'bench', 'stock-main.ts'), ...files, '--out', out],
        out,
      );
      stockCells = `| ${stock.wallSeconds.toFixed(2)} s | ${stock.peakMiB.toFixed(0)} MiB | ${(stock.wallSeconds / kit.wallSeconds).toFixed(1)}x |`;
    }
    rows.push(`| ${n} | ${kit.wallSeconds.toFixed(2)} s | ${kit.peakMiB.toFixed(0)} MiB ${stockCells}`);
  }
  rmSync(work, { recursive: true, force: true });
  console.log(`Synth benchmark (median of ${runs} runs, wall time of the whole process; peak RSS)\n`);
  console.log('| deployments | kit wall | kit peak memory | stock cdktf wall | stock peak memory | kit faster by |');
  console.log('|---|---|---|---|---|---|');
  rows.forEach((row) => console.log(row));
  console.log(`\nOne deployment against loading cdktf alone (alternating, median of ${process.env.BENCH_PAIRED_RUNS ?? 9} pairs; target: at most 3x)\n`);
  console.log("| node -e \"require('cdktf')\" | one deployment | ratio |");
  console.log('|---|---|---|');
  console.log(pairedRow);
}

main();
