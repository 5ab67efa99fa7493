/** Exit codes of `sovereign-matrix`, documented in the README's CLI reference. */
export const EXIT = {
  /** Everything worked. */
  ok: 0,
  /** A deployment file is invalid; every problem was printed and nothing was written. */
  invalidDeployment: 1,
  /** The command line itself is wrong (unknown command or option, missing argument). */
  usage: 2,
  /** A tool the command needs (OpenTofu, Terraform) is missing or failed. */
  toolFailed: 3,
  /** OpenTofu/Terraform rejected a synthesized stack (`check`); the engine's messages were printed. */
  stackRejected: 4,
  /** A bug in the kit; please report it with the message printed. */
  internal: 70,
} as const;
