import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where scripts/tools.sh caches OpenTofu, the providers and the other test tools. */
export const TOOLS_DIR = process.env.SOVEREIGN_MATRIX_TOOLS ?? join(homedir(), '.cache', 'sovereign-matrix', 'tools');

const ROOT = join(__dirname, '..', '..');

/**
 * Builds (or reuses) OpenTofu and the pinned providers, then puts them on this process's PATH
 * with the offline CLI configuration, exactly as `source env.sh` would.
 */
export function ensureTofu(): void {
  const result = spawnSync('bash', [join(ROOT, 'scripts', 'tools.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) throw new Error(`scripts/tools.sh failed with status ${result.status}`);
  process.env.PATH = `${join(TOOLS_DIR, 'bin')}:${process.env.PATH}`;
  process.env.TF_CLI_CONFIG_FILE = join(TOOLS_DIR, 'tofurc');
}

/** True when the mirror holds `namespace/type` at `version` for this platform. */
export function providerInMirror(source: string, version: string): boolean {
  const [namespace, type] = source.split('/');
  return existsSync(join(TOOLS_DIR, 'mirror', 'registry.opentofu.org', namespace, type, version, 'linux_amd64'));
}

/**
 * Builds (or reuses) the named tools with `scripts/tools.sh NAME...` and returns the directory of
 * their binaries. Throws when the script fails.
 */
export function ensureTools(...names: string[]): string {
  const result = spawnSync('bash', [join(ROOT, 'scripts', 'tools.sh'), ...names], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) throw new Error(`scripts/tools.sh ${names.join(' ')} failed with status ${result.status}`);
  return join(TOOLS_DIR, 'bin');
}

/**
 * The Go module (path and version) a binary in bin/ was built from, as scripts/tools.sh recorded it
 * in its stamp: one place for the pin.
 */
export function builtFrom(binary: string): { module: string; version: string } {
  const stamp = readFileSync(join(TOOLS_DIR, 'stamps', binary), 'utf8');
  const match = /^\S+ \S+ (\S+)@(\S+) /.exec(stamp);
  if (!match) throw new Error(`unexpected stamp for ${binary}: ${stamp}`);
  return { module: match[1], version: match[2] };
}

/** The module cache directory of MODULE@VERSION (downloaded through the Go module proxy if needed). */
export function goModuleDir(module: string, version: string): string {
  const result = spawnSync('go', ['mod', 'download', '-json', `${module}@${version}`], { encoding: 'utf8' });
  const info = JSON.parse(result.stdout || '{}') as { Dir?: string; Error?: string };
  if (result.status !== 0 || !info.Dir) throw new Error(`go mod download ${module}@${version} failed: ${info.Error ?? result.stderr}`);
  return info.Dir;
}

/**
 * Installs (or reuses) the coturn builds with scripts/integration/coturn.sh (root, the first
 * time) and returns the directories of their binaries: Debian's package, and Debian sid's build
 * (closer to the pinned release; '' when the script could not provide it).
 */
export function ensureCoturn(): { debian: string; sid: string } {
  const result = spawnSync('bash', [join(ROOT, 'scripts', 'integration', 'coturn.sh')], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`scripts/integration/coturn.sh failed with status ${result.status}:\n${result.stderr}`);
  const lines = result.stdout.trim().split('\n');
  const value = (key: string) => {
    const line = lines.filter((l) => l.startsWith(`${key}=`)).pop();
    if (line === undefined) throw new Error(`scripts/integration/coturn.sh printed no ${key}= line:\n${result.stdout}`);
    return line.slice(key.length + 1);
  };
  return { debian: value('debian'), sid: value('sid') };
}
