import { Option, type Command } from 'commander';
import { EXIT, ExitStatus } from '../shared/exit-codes';
import type { Output } from '../shared/output';
import type { InitFlags } from './answers';
import { terminalIO, type InitIO } from './prompt';

const collect = (value: string, previous?: string[]) => [...(previous ?? []), value];

/**
 * `init`, registered on the CLI's program. Only commander is loaded here; the validator and the
 * generator are imported when the command runs.
 */
export function registerInitCommand(program: Command, output: Output, io: () => InitIO = terminalIO): void {
  program
    .command('init')
    .description('Ask the few questions that matter (or take them as flags) and write a commented, valid deployment file; never overwrites.')
    .argument('[file]', 'where to write (default: deployments/<name>.yaml); must not exist')
    .option('--name <name>', 'deployment name (used in resource names)')
    .option('--server-name <domain>', 'Matrix server name, the domain in user IDs')
    .option('--admin-contact <email>', "the administrators' e-mail address")
    .addOption(new Option('--target <kind>', 'where it runs').choices(['hetzner', 'kubernetes']))
    .option('--location <location>', 'hetzner: fsn1, nbg1 or hel1')
    .option('--ssh-key <name>', 'hetzner: an SSH key in the Hetzner project (repeatable)', collect)
    .option('--admin-cidr <cidr>', 'hetzner: a network allowed to reach SSH and the Kubernetes API (repeatable)', collect)
    .option('--context <name>', 'kubernetes: the kubeconfig context')
    .option('--backup-endpoint <url>', 'backup bucket: S3 endpoint in the EU (required on kubernetes unless --no-backup)')
    .option('--backup-bucket <name>', 'backup bucket: name')
    .option('--backup-region <region>', 'backup bucket: region')
    .option('--no-backup', 'no backups (a throwaway deployment)')
    .addOption(new Option('--identity <mode>', 'how users log in (default: local)').choices(['local', 'keycloak', 'oidc']))
    .option('--oidc-issuer <url>', 'oidc: the issuer URL')
    .option('--oidc-client-id <id>', 'oidc: the client ID')
    .option('--oidc-client-secret-env <variable>', 'oidc: environment variable holding the client secret at deploy time (default: OIDC_CLIENT_SECRET)')
    .addOption(new Option('--federation <mode>', 'which servers may federate (default: closed)').choices(['closed', 'allow_list', 'open']))
    .option('--allow <server-name>', 'allow_list: a server allowed to federate (repeatable)', collect)
    .option('--no-turn', 'no TURN server for calls')
    .option('-y, --yes', 'ask nothing: every answer comes from flags (also when stdin is not a terminal)')
    .addHelpText(
      'after',
      `
Questions are asked on a terminal for every answer the flags leave open; each answer is checked as
validate checks the file, and asked again until it is valid.

Exit codes:
  ${EXIT.ok}    the file was written, and the next steps printed
  ${EXIT.invalidDeployment}    an answer given as a flag is invalid (reported as validate would); nothing written
  ${EXIT.usage}    flags missing or not fitting (all listed), FILE exists, or no answer; nothing written
  ${EXIT.interrupted}  interrupted (Ctrl-C); nothing written`,
    )
    .action(async (file: string | undefined, flags: InitFlags) => {
      const { runInitCommand } = await import('./command');
      const { InitUsageError } = await import('./answers');
      try {
        await runInitCommand(file, flags, output, io());
      } catch (error) {
        if (!(error instanceof InitUsageError)) throw error;
        output.err(`sovereign-matrix: ${error.message}`);
        throw new ExitStatus(EXIT.usage);
      }
    });
}
