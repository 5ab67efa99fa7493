import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Output } from '../shared/output';
import { loadDeploymentFiles } from '../config/load';
import { publicIpv4Problem } from '../render/coturn';
import { buildManifests, MANIFESTS_MARKER } from './build';

export interface ManifestsCommandOptions {
  readonly out: string;
  readonly turnPublicIpv4?: string;
}

/** A command-line mistake: the CLI prints it and exits with the usage code. */
export class ManifestsUsageError extends Error {}

/**
 * `sovereign-matrix manifests FILE --out DIR`: the deployment's Kubernetes objects as YAML with a
 * kustomization, for Argo CD or Flux. Everything is built in memory first; DIR is then replaced as a
 * whole, and only when it is new, empty, or an earlier output of this command (it holds the
 * marker file), so nothing else is ever overwritten or lost.
 */
export function runManifestsCommand(file: string, options: ManifestsCommandOptions, output: Output): void {
  const [{ spec }] = loadDeploymentFiles([file]);
  const address = options.turnPublicIpv4;
  // The same rule as deploy's preflight: coturn's address must be reachable from the internet.
  const problem = address === undefined ? undefined : publicIpv4Problem(address);
  if (problem) throw new ManifestsUsageError(`--turn-public-ipv4: ${problem}`);
  if (spec.calls.turn && address === undefined) {
    throw new ManifestsUsageError(
      `${file}: the deployment runs TURN, which relays on its node's public address: give it with --turn-public-ipv4 <address> (or set calls.turn: false); nothing was written`,
    );
  }
  const files = buildManifests(spec, { turnPublicIpv4: spec.calls.turn ? address : undefined });
  const out = resolve(options.out);
  refuseForeignDirectory(out, options.out);

  // Write next to the target, then swap: a failure half-way leaves the previous output whole.
  mkdirSync(dirname(out), { recursive: true });
  const staging = mkdtempSync(join(dirname(out), `.${basename(out)}.`));
  try {
    for (const f of files) {
      const path = join(staging, f.path);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, f.content);
      if (f.executable) chmodSync(path, 0o755);
    }
    if (existsSync(out)) rmSync(out, { recursive: true });
    renameSync(staging, out);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  const objects = files.filter((f) => f.path.endsWith('.yaml') && f.path !== 'kustomization.yaml').length;
  for (const f of files) if (f.path !== MANIFESTS_MARKER) output.out(`  ${join(options.out, f.path)}`);
  output.out(`Wrote ${objects} Kubernetes objects of ${spec.name} with a kustomization into ${options.out}; create its Secrets with create-secrets.sh (see SECRETS.md)`);
}

function refuseForeignDirectory(out: string, shown: string): void {
  if (!existsSync(out)) return;
  if (!statSync(out).isDirectory()) throw new ManifestsUsageError(`--out ${shown} is a file, not a directory; nothing was written`);
  const entries = readdirSync(out);
  if (entries.length > 0 && !entries.includes(MANIFESTS_MARKER)) {
    throw new ManifestsUsageError(`--out ${shown} is not empty and was not written by 'manifests'; choose an empty or new directory (nothing was written)`);
  }
}
