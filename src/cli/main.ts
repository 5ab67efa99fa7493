import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { DeploymentFileError, formatProblem } from '../config/problems';
import { ToolError } from '../shared/engine';
import { EXIT, ExitStatus } from '../shared/exit-codes';
import { processOutput, type Output } from '../shared/output';
import { registerBackupCommands } from '../backup/command';
import { processIO, registerDeployCommands } from '../deploy/command';
import { registerInitCommand } from '../init/register';
import { versionText } from './version';

/** The operator's terminal and clock, for the backup commands. */
const backupIO = {
  get isTTY() {
    return processIO.isTTY;
  },
  ask: (question: string) => processIO.ask(question),
  now: () => Math.floor(Date.now() / 1000),
};

/** Where `synth` and friends look when no file is named. */
export const DEFAULT_DEPLOYMENTS_DIR = 'deployments';
export const DEFAULT_OUTDIR = 'cdktf.out';

/** Raised for command-line mistakes that commander cannot see (no files found, ...). */
class UsageError extends Error {}

/** Runs the CLI and returns its exit code; never throws and never exits the process itself. */
export async function run(argv: readonly string[], output: Output = processOutput): Promise<number> {
  const program = buildProgram(output);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    return reportError(error, output);
  }
}

export function buildProgram(output: Output): Command {
  const program = new Command('sovereign-matrix')
    .description('Validate, render and synthesize sovereign Matrix deployments for OpenTofu/Terraform.')
    .version(versionText(), '-V, --version', 'print the kit version and the pinned component versions')
    .addHelpText(
      'after',
      `
Exit codes:
  ${EXIT.ok}   success
  ${EXIT.invalidDeployment}   a deployment file is invalid (every problem is printed; nothing is written)
  ${EXIT.usage}   the command line is wrong
  ${EXIT.toolFailed}   a required tool (OpenTofu/Terraform) is missing or failed
  ${EXIT.stackRejected}   OpenTofu/Terraform rejected a synthesized stack (check)
  ${EXIT.changes}   diff --exit-code: the two sides differ
  ${EXIT.deployFailed}  plan/deploy/destroy: an engine step failed on a stack (its error is printed)
  ${EXIT.notConfirmed}  deploy/destroy: not confirmed (or no terminal to ask and no --yes)
  ${EXIT.missingCredentials}  plan/deploy/destroy: a credential is missing (named in the message)
  ${EXIT.unhealthy}  deploy: applied, but the cluster or homeserver did not answer, or the self-check failed;
      backups --max-age: the newest backup is older than allowed
  ${EXIT.backupFailed}  backup/backups/restore: a step in the cluster failed (kubectl's message is printed)
  ${EXIT.engineInitFailed}  check: the engine could not initialise a stack (a provider not installable, registry or mirror unreachable)
  ${EXIT.interrupted} interrupted (Ctrl-C); the engine stopped cleanly, rerun to continue
  ${EXIT.internal}  internal error in the kit (please report it)`,
    )
    .exitOverride()
    .configureOutput({
      writeOut: (text) => output.out(text.replace(/\n$/, '')),
      writeErr: (text) => output.err(text.replace(/\n$/, '')),
    })
    .showHelpAfterError('(run with --help for usage)');

  registerInitCommand(program, output);

  program
    .command('validate')
    .description('Check deployment files and report every problem with file, line and field; for each valid file, print its monthly cost and what deploy will need.')
    .argument('[files...]', `deployment files (default: every *.yaml in ${DEFAULT_DEPLOYMENTS_DIR}/)`)
    .action(async (files: string[]) => {
      const { runValidateCommand } = await import('../build/validate');
      runValidateCommand(deploymentFiles(files), output);
    });

  program
    .command('synth')
    .description('Synthesize Terraform JSON per deployment and layer into OUT/stacks/<deployment>-<layer>/cdk.tf.json.')
    .argument('[files...]', `deployment files (default: every *.yaml in ${DEFAULT_DEPLOYMENTS_DIR}/)`)
    .option('-o, --out <dir>', 'output directory', DEFAULT_OUTDIR)
    .action(async (files: string[], options: { out: string }) => {
      const { runSynthCommand } = await import('../build/synth');
      runSynthCommand(deploymentFiles(files), options, output);
    });

  program
    .command('render')
    .description('Write every rendered service configuration of a deployment under DIR/<service>/, exactly as deployed (secrets as placeholders).')
    .argument('<file>', 'deployment file')
    .requiredOption('-o, --out <dir>', 'output directory')
    .action(async (file: string, options: { out: string }) => {
      const { runRenderCommand } = await import('../build/render');
      runRenderCommand(file, options, output);
    });

  program
    .command('manifests')
    .description('Write the Kubernetes objects of a deployment as YAML with a kustomization, for Argo CD or Flux (Secrets are never written: see the SECRETS.md and create-secrets.sh it writes).')
    .argument('<file>', 'deployment file')
    .requiredOption('-o, --out <dir>', 'output directory (new, empty, or an earlier output of this command; replaced as a whole)')
    .option('--turn-public-ipv4 <address>', "the public IPv4 address of the node coturn runs on (required when the deployment runs TURN)")
    .action(async (file: string, options: { out: string; turnPublicIpv4?: string }) => {
      const { runManifestsCommand, ManifestsUsageError } = await import('../manifests/command');
      try {
        runManifestsCommand(file, options, output);
      } catch (error) {
        throw error instanceof ManifestsUsageError ? new UsageError(error.message) : error;
      }
    });

  program
    .command('check')
    .description('Synthesize, then run `init` and `validate` of OpenTofu (or Terraform) on every stack.')
    .argument('[files...]', `deployment files (default: every *.yaml in ${DEFAULT_DEPLOYMENTS_DIR}/)`)
    .option('-o, --out <dir>', 'output directory', DEFAULT_OUTDIR)
    .option('--engine <name>', 'tofu or terraform (default: $SOVEREIGN_MATRIX_ENGINE, else tofu)')
    .action(async (files: string[], options: { out: string; engine?: string }) => {
      const { runCheckCommand } = await import('../build/check');
      runCheckCommand(deploymentFiles(files), options, output);
    });

  program
    .command('diff')
    .description(
      'Synthesize two versions and show what changes: Terraform addresses and attributes, replacements and deletions, rendered configs, expected downtime and monthly cost, irreversible changes first. Two deployment files (diff OLD.yaml NEW.yaml), or two git refs or directories (--base, --head).',
    )
    .argument('[files...]', `with --base: deployment files on both sides (default: every *.yaml in ${DEFAULT_DEPLOYMENTS_DIR}/ of each side); without: the two files to compare, old then new`)
    .option('--base <ref-or-dir>', 'the version to compare against: a git ref (origin/main) or a directory')
    .option('--head <ref-or-dir>', 'with --base, the new version: a git ref or a directory (default: the working tree)')
    .option('--format <format>', 'terminal, markdown (a pull request comment) or json', 'terminal')
    .option('--exit-code', `exit with ${EXIT.changes} when the sides differ (0 when they do not)`)
    .action(async (files: string[], options: { base?: string; head?: string; format: string; exitCode?: boolean }) => {
      // Loaded on use: every other command starts faster without the diff machinery.
      const { runDiffCommand, DiffUsageError } = await import('../diff/command');
      return runDiffCommand(files, options, output).catch((error: unknown) => {
        throw error instanceof DiffUsageError ? new UsageError(error.message) : error;
      });
    });

  registerDeployCommands(program, output);
  registerBackupCommands(program, output, backupIO);

  program
    .command('docs')
    .description('Write a reference architecture per deployment for procurement and security reviewers: OUT/<name>.md, OUT/<name>.html (self-contained) and OUT/<name>.svg, from the synthesized stacks.')
    .argument('[files...]', `deployment files (default: every *.yaml in ${DEFAULT_DEPLOYMENTS_DIR}/)`)
    .requiredOption('-o, --out <dir>', 'output directory')
    .option('--refresh-prices', 'read current server prices from the Hetzner Cloud API (needs HCLOUD_TOKEN) instead of the dated price table')
    .action(async (files: string[], options: { out: string; refreshPrices?: boolean }) => {
      const { runDocsCommand } = await import('../docs/command');
      const { PricingError, PricingUnavailable } = await import('../docs/pricing-api');
      return runDocsCommand(deploymentFiles(files), options, output).catch((error: unknown) => {
        if (error instanceof PricingUnavailable) throw new UsageError(error.message);
        throw error instanceof PricingError ? new ToolError(error.message) : error;
      });
    });

  return program;
}

/** The files named on the command line, or every deployment file in the default directory. */
function deploymentFiles(files: readonly string[]): string[] {
  if (files.length > 0) return [...files];
  if (!existsSync(DEFAULT_DEPLOYMENTS_DIR)) {
    throw new UsageError(`no deployment files given and no ${DEFAULT_DEPLOYMENTS_DIR}/ directory here`);
  }
  const found = readdirSync(DEFAULT_DEPLOYMENTS_DIR)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => join(DEFAULT_DEPLOYMENTS_DIR, name));
  if (found.length === 0) throw new UsageError(`no *.yaml files in ${DEFAULT_DEPLOYMENTS_DIR}/`);
  return found;
}

function reportError(error: unknown, output: Output): number {
  if (error instanceof CommanderError) {
    // Help and version are "errors" to commander; they already printed what they had to.
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help' || error.code === 'commander.version') {
      return EXIT.ok;
    }
    return EXIT.usage;
  }
  if (error instanceof DeploymentFileError) {
    error.problems.forEach((p) => output.err(formatProblem(p)));
    const files = new Set(error.problems.map((p) => p.file)).size;
    const count = error.problems.length;
    output.err(`${count} problem${count === 1 ? '' : 's'} in ${files} file${files === 1 ? '' : 's'}; nothing was written.`);
    return EXIT.invalidDeployment;
  }
  if (error instanceof ExitStatus) return error.code;
  if (error instanceof ToolError) {
    output.err(`sovereign-matrix: ${error.message}`);
    return EXIT.toolFailed;
  }
  if (error instanceof UsageError) {
    output.err(`sovereign-matrix: ${error.message}`);
    return EXIT.usage;
  }
  const message = error instanceof Error ? error.message : String(error);
  output.err(`sovereign-matrix: internal error: ${message}`);
  if (process.env.SOVEREIGN_MATRIX_DEBUG && error instanceof Error && error.stack) {
    output.err(error.stack);
  } else {
    output.err('This is a bug in the kit. Run again with SOVEREIGN_MATRIX_DEBUG=1 for details and report it.');
  }
  return EXIT.internal;
}

/** Entry point of bin/sovereign-matrix.js. */
export function main(): void {
  // `sovereign-matrix ... | head` closes the pipe early; that is the reader's choice, not an error.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
  run(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
