import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { computeDiff, DiffUsageError, runDiffCommand } from '../../src/diff/command';
import { ExitStatus } from '../../src/shared/exit-codes';
import { tempDir } from '../helpers';
import { FIXTURES, pair } from './helpers';

jest.setTimeout(60_000);

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { output: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

describe('what to compare', () => {
  it('needs exactly two files without --base, and no --head', () => {
    const message = /name two deployment files \(diff OLD\.yaml NEW\.yaml\), or a git ref or directory/;
    expect(() => computeDiff(['a.yaml'], {})).toThrow(DiffUsageError);
    expect(() => computeDiff(['a.yaml'], {})).toThrow(message);
    expect(() => computeDiff(['a.yaml', 'b.yaml', 'c.yaml'], {})).toThrow(message);
    expect(() => computeDiff([], { head: 'HEAD' })).toThrow(message);
  });

  it('says when two files name different deployments', () => {
    const dir = tempDir();
    copyFileSync(join(FIXTURES, 'base.yaml'), join(dir, 'old.yaml'));
    const other = require('node:fs').readFileSync(join(FIXTURES, 'base.yaml'), 'utf8').replace('name: diff-fixture', 'name: other-fixture');
    writeFileSync(join(dir, 'new.yaml'), other);
    const result = computeDiff(['old.yaml', 'new.yaml'], {}, dir);
    expect(result.deployments.map((d) => [d.name, d.status])).toEqual([
      ['diff-fixture', 'removed'],
      ['other-fixture', 'added'],
    ]);
    expect(result.notes).toContain('old.yaml and new.yaml name different deployments (diff-fixture, other-fixture): shown as one removed and one added; deploying one does not change the other');
  });
});

describe('the diff command', () => {
  it('refuses an unknown format before synthesizing anything', async () => {
    const { output } = capture();
    await expect(runDiffCommand([], { base: '/nonexistent', format: 'html' }, output)).rejects.toThrow("--format must be one of terminal, markdown, json (got 'html')");
  });

  it('prints the diff, and with --exit-code throws exit status 5 when the sides differ', async () => {
    const { base, head } = pair('allow-list');
    const quiet = capture();
    await runDiffCommand([], { base, head, format: 'json' }, quiet.output);
    expect(JSON.parse(quiet.out.join('\n'))).toMatchObject({ changes: true });
    const strict = capture();
    const error = await runDiffCommand([], { base, head, exitCode: true }, strict.output).catch((e) => e);
    expect(error).toBeInstanceOf(ExitStatus);
    expect(error.code).toBe(5);
    expect(strict.out.join('\n')).not.toMatch(/\x1b\[/);
  });
});
