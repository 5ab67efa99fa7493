import type { Command } from 'commander';
import { buildProgram } from './main';

/** The width the reference is wrapped at, whatever the terminal that generates it. */
const WIDTH = 100;

/**
 * docs/cli.md: the CLI's own help, of the program and of every command, as the CLI prints it.
 * Generated, so the reference cannot drift from the code (test/cli/reference.test.ts fails when
 * the committed page is stale; regenerate with `npm run docs:cli`).
 */
export function cliReference(): string {
  const lines: string[] = [];
  const program = buildProgram({ out: (l) => lines.push(l), err: (l) => lines.push(l) });
  // The help as `--help` prints it, with the text added after it (the exit codes).
  const help = (command: Command): string => {
    let text = '';
    command.configureOutput({ getOutHelpWidth: () => WIDTH, getErrHelpWidth: () => WIDTH, writeOut: (s) => (text += s), writeErr: (s) => (text += s) });
    command.outputHelp();
    return text.replace(/\s+$/, '');
  };
  const sections = [
    '# Command-line reference',
    '',
    '<!-- Generated from the CLI itself (src/cli/reference.ts) by `npm run docs:cli`; do not edit. -->',
    '',
    'Run as `npx sovereign-matrix <command>` in the kit\'s clone or in a repository that installed it',
    '(see [Deploying](deploying.md)). Every command answers `--help` with the text below.',
    '',
    '```',
    help(program),
    '```',
  ];
  for (const command of program.commands) {
    if (command.name() === 'help') continue;
    sections.push('', `## ${command.name()}`, '', '```', help(command), '```');
  }
  return `${sections.join('\n')}\n`;
}
