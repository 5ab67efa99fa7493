import { kitVersion } from '../kit';
import { BACKUP_TOOL_VERSIONS, CALL_VERSIONS, images, PINNED_VERSIONS, PROVIDER_VERSIONS } from '../versions';

/**
 * What `sovereign-matrix --version` prints: the kit's version on the first line (for scripts:
 * `sovereign-matrix --version | head -1`), then every pinned version, one per line, in a fixed
 * order. Component names are the deployment file's `versions:` keys, so an override is easy to
 * write. Imports nothing heavy: bin/sovereign-matrix.js answers `--version` with this module alone.
 */
export function versionText(): string {
  const section = (title: string, entries: Record<string, string>) => {
    const names = Object.keys(entries).map(snakeCase);
    const width = Math.max(...names.map((name) => name.length));
    return [`${title}:`, ...Object.values(entries).map((value, i) => `  ${names[i].padEnd(width)}  ${value}`)];
  };
  return [
    `sovereign-matrix ${kitVersion()}`,
    ...section('components (deployment file: versions)', PINNED_VERSIONS),
    ...section('backup tools', BACKUP_TOOL_VERSIONS),
    ...section('group calls', CALL_VERSIONS),
    ...section('terraform providers', PROVIDER_VERSIONS),
    ...section('images', images(PINNED_VERSIONS)),
  ].join('\n');
}

function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
