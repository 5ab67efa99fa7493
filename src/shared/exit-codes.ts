/** Exit codes of `sovereign-matrix`, documented in docs/commands.md and in the CLI's help. */
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
  /** `diff --exit-code` found differences (like `terraform plan -detailed-exitcode`'s 2, which here means usage). */
  changes: 5,
  /** plan/deploy/destroy: an engine step failed on a stack; the stack and the engine's error were printed. */
  deployFailed: 10,
  /** deploy/destroy: not confirmed (declined, wrong name typed, or no terminal to ask and no --yes). */
  notConfirmed: 11,
  /** plan/deploy/destroy: a credential or setting is missing (HCLOUD_TOKEN, kubeconfig context, passphrase, ...). */
  missingCredentials: 12,
  /** deploy: applied, but the cluster or the homeserver did not answer in time, or the self-check failed. */
  unhealthy: 13,
  /** backup/backups/restore: a step in the cluster failed (kubectl's message is printed). */
  backupFailed: 14,
  /** check: the engine could not initialise a stack (a provider not installable, the registry or mirror unreachable); no stack was found invalid. */
  engineInitFailed: 15,
  /** Interrupted with Ctrl-C; the engine was stopped cleanly and the state is consistent. */
  interrupted: 130,
  /** A bug in the kit; please report it with the message printed. */
  internal: 70,
} as const;

/**
 * Thrown by a command that completed but must end with a particular exit code (`diff --exit-code`
 * when there are changes); the CLI returns `code` and prints nothing more.
 */
export class ExitStatus extends Error {
  constructor(readonly code: number) {
    super(`exit status ${code}`);
    this.name = 'ExitStatus';
  }
}
