import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Where the running kit is installed: the directory of its package.json, found from this file
 * (src/ under ts-jest, dist/src/ when compiled). Kept free of heavy imports: `--version` uses it.
 */
export function kitRoot(): string {
  let dir = __dirname;
  for (;;) {
    const manifest = readManifest(dir);
    if (manifest?.name === 'sovereign-matrix') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the kit's package.json above ${__dirname}`);
    dir = parent;
  }
}

/** The kit's own version, from its package.json. */
export function kitVersion(): string {
  return readManifest(kitRoot())!.version ?? 'unknown';
}

function readManifest(dir: string): { name?: string; version?: string } | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
  } catch {
    return undefined;
  }
}
