/**
 * A rendered service configuration file. `path` is relative to the render output directory,
 * `<service>/<file>` (synapse/homeserver.yaml). The same string is what the stacks deploy and
 * what the integration tests boot the real software with.
 */
export interface RenderedFile {
  readonly path: string;
  readonly content: string;
}

/**
 * Secrets never appear in rendered files. Where a program cannot read a secret from a file or
 * the environment, the file carries this placeholder, replaced at container start from a
 * Kubernetes Secret (and by the integration tests' documented overlay).
 */
export function secretPlaceholder(name: string): string {
  if (!/^[A-Z][A-Z0-9_]*$/.test(name)) throw new Error(`bad secret placeholder name ${name}`);
  return `@@SECRET:${name}@@`;
}

export const SECRET_PLACEHOLDER_PATTERN = /@@SECRET:([A-Z][A-Z0-9_]*)@@/g;
