import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { SchemaReference } from './generate';

/**
 * Where the modeline of a new deployment file points, so that editors find the schema:
 *
 * - a file inside the kit's checkout, or in the same repository as the kit (the kit vendored or
 *   installed under node_modules/), gets the relative path, as the examples in deployments/ do:
 *   it works in every clone;
 * - any other file (the team's own repository, with the kit cloned elsewhere) gets the absolute
 *   path of the running kit's schema, with a comment saying so: it works on this machine, and
 *   the comment tells a colleague what to change.
 *
 * The schema's $id URL is not used: nothing in the kit publishes the schema at that address, and
 * an editor that cannot fetch it shows an error instead of completions.
 */
export function schemaReference(file: string, kitRoot: string): SchemaReference {
  const fileDir = dirname(resolve(file));
  const schema = schemaPath(kitRoot);
  if (isInside(fileDir, kitRoot) || sameRepository(fileDir, kitRoot)) {
    return { ref: relative(fileDir, schema).split(sep).join('/') };
  }
  return {
    ref: schema,
    note: "The kit is installed outside this file's repository, so this is its schema's path on this\nmachine; on another machine, point it at that kit's src/config/deployment.schema.json.",
  };
}

/** The installed schema: src/config/ in a checkout, dist/src/config/ if only the build is there. */
function schemaPath(kitRoot: string): string {
  const source = join(kitRoot, 'src', 'config', 'deployment.schema.json');
  return existsSync(source) ? source : join(kitRoot, 'dist', 'src', 'config', 'deployment.schema.json');
}

function isInside(dir: string, root: string): boolean {
  const rel = relative(root, dir);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

function sameRepository(a: string, b: string): boolean {
  const repo = repositoryOf(a);
  return repo !== undefined && repo === repositoryOf(b);
}

/** The nearest directory at or above `dir` with a .git (a directory, or a file in a worktree). */
function repositoryOf(dir: string): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, '.git'))) return d;
    if (dirname(d) === d) return undefined;
  }
}
