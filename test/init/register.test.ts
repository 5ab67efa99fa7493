import { Command } from 'commander';
import { registerInitCommand } from '../../src/init/register';
import { EXIT, ExitStatus } from '../../src/shared/exit-codes';
import type { InitIO } from '../../src/init/prompt';
import { tempDir } from '../helpers';

const noTerminal: InitIO = { isTTY: false, ask: async () => undefined, close: () => undefined };

function program(err: string[]): Command {
  const p = new Command('sovereign-matrix').exitOverride().configureOutput({ writeOut: () => undefined, writeErr: (t) => err.push(t) });
  registerInitCommand(p, { out: () => undefined, err: (l) => err.push(l) }, () => noTerminal);
  return p;
}

describe('the init command on the CLI', () => {
  it('has a flag for every answer, repeatable where a list is asked', () => {
    const init = program([]).commands.find((c) => c.name() === 'init')!;
    const longs = init.options.map((o) => o.long);
    for (const flag of ['--name', '--server-name', '--admin-contact', '--target', '--location', '--ssh-key', '--admin-cidr', '--context', '--backup-endpoint', '--backup-bucket', '--backup-region', '--no-backup', '--identity', '--oidc-issuer', '--oidc-client-id', '--oidc-client-secret-env', '--federation', '--allow', '--no-turn', '--yes']) {
      expect(longs).toContain(flag);
    }
    const parsed = init.parseOptions(['--ssh-key', 'a', '--ssh-key', 'b']);
    expect(parsed.operands).toEqual([]);
    expect(init.opts().sshKey).toEqual(['a', 'b']);
  });

  it('turns a usage mistake into its message and exit 2, writing nothing', async () => {
    const err: string[] = [];
    const cwd = process.cwd();
    const dir = tempDir();
    process.chdir(dir);
    let thrown: unknown;
    try {
      await program(err).parseAsync(['init', '--yes', '--name', 'ministry'], { from: 'user' });
    } catch (error) {
      thrown = error;
    } finally {
      process.chdir(cwd);
    }
    expect(thrown).toBeInstanceOf(ExitStatus);
    expect((thrown as ExitStatus).code).toBe(EXIT.usage);
    expect(err[0]).toMatch(/^sovereign-matrix: init without questions .* needs these flags:\n {2}--server-name DOMAIN/);
    expect(require('node:fs').readdirSync(dir)).toEqual([]);
  });

  it('refuses a target, identity or federation it does not know', async () => {
    for (const args of [['--target', 'aws'], ['--identity', 'ldap'], ['--federation', 'everyone']]) {
      await expect(program([]).parseAsync(['init', ...args], { from: 'user' })).rejects.toMatchObject({ code: 'commander.invalidArgument' });
    }
  });
});
