import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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
