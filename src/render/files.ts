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
 * A value only known where the program runs: a secret (from a Kubernetes Secret) or a runtime
 * fact such as the node's public address. Where a program cannot read such a value from a file
 * or its environment itself, the rendered file carries this placeholder, which the container's
 * entrypoint replaces from an environment variable of the same name (and the integration tests'
 * documented overlay replaces likewise). Secrets therefore never appear in rendered files.
 */
export function envPlaceholder(name: string): string {
  if (!/^[A-Z][A-Z0-9_]*$/.test(name)) throw new Error(`bad placeholder name ${name}`);
  return `@@${name}@@`;
}

/** Matches every placeholder; group 1 is the environment variable name. */
export const ENV_PLACEHOLDER_PATTERN = /@@([A-Z][A-Z0-9_]*)@@/g;
