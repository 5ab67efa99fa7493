/**
 * Every command line the README and docs/ show is one the CLI accepts: the documents and the
 * program cannot disagree on a command's name or options.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildProgram } from '../src/cli/main';

const ROOT = join(__dirname, '..');

/** Every `sovereign-matrix ...` command line in the code blocks of the README and docs/. */
function documentedCommandLines(): { file: string; line: string }[] {
  const files = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md') && f !== 'cli.md').map((f) => join('docs', f))];
  const found: { file: string; line: string }[] = [];
  for (const file of files) {
    let inCode = false;
    for (const line of readFileSync(join(ROOT, file), 'utf8').split('\n')) {
      if (/^\s*```/.test(line)) inCode = !inCode;
      // A command line, not the CLI's own output ("sovereign-matrix diff: ..." headings).
      else if (inCode && /^\s*(\$ )?(npx )?sovereign-matrix\s+-{0,2}[a-z][a-z-]*(\s|$)/.test(line)) found.push({ file, line: line.replace(/\s#.*$/, '').trim() });
    }
  }
  return found;
}

test('every command line in the README and docs/ names a real command and only options it has', () => {
  const program = buildProgram({ out: () => undefined, err: () => undefined });
  const lines = documentedCommandLines();
  expect(lines.length).toBeGreaterThan(10);
  const problems: string[] = [];
  for (const { file, line } of lines) {
    const tokens = line.slice(line.indexOf('sovereign-matrix') + 'sovereign-matrix'.length).trim().split(/\s+/);
    const name = tokens[0];
    const command = program.commands.find((c) => c.name() === name);
    if (!command) {
      if (!['--help', '--version', '-V', '-h'].includes(name)) problems.push(`${file}: ${line}: no command '${name}'`);
      continue;
    }
    const known = new Set(command.options.flatMap((o) => [o.long, o.short].filter(Boolean) as string[]).concat(['--help', '-h']));
    for (const token of tokens.slice(1)) {
      if (token === '--') break;
      const option = token.split('=')[0];
      if (/^--?[a-z]/.test(option) && !known.has(option)) problems.push(`${file}: ${line}: ${name} has no option ${option}`);
    }
  }
  expect(problems).toEqual([]);
});
