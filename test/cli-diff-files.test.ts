/**
 * `diff OLD.yaml NEW.yaml`: two deployment files compared directly, wherever they are, both
 * synthesized by the running kit; the same result as the directory form.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, tempDir } from './helpers';
import { diffJson, FIXTURES, pair, type JsonDiff } from './diff/helpers';

jest.setTimeout(60_000);

describe('diff OLD.yaml NEW.yaml: two deployment files, wherever they are', () => {
  function files(): string {
    const root = tempDir('sm-diff-files-');
    mkdirSync(join(root, 'elsewhere'));
    copyFileSync(join(FIXTURES, 'base.yaml'), join(root, 'old.yaml'));
    copyFileSync(join(FIXTURES, 'size.yaml'), join(root, 'elsewhere', 'new.yaml'));
    return root;
  }
  async function inDir<T>(dir: string, body: () => Promise<T>): Promise<T> {
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      return await body();
    } finally {
      process.chdir(cwd);
    }
  }

  test('the same as the directory form, labelled by the file names', async () => {
    const root = files();
    const direct = await inDir(root, () => cli('diff', 'old.yaml', 'elsewhere/new.yaml', '--format', 'json'));
    expect(direct.code).toBe(0);
    const diff = JSON.parse(direct.stdout) as JsonDiff & { base: string; head: string };
    expect([diff.base, diff.head]).toEqual(['old.yaml', 'elsewhere/new.yaml']);
    expect(diff.deployments.map((d) => [d.name, d.status, d.file])).toEqual([['diff-fixture', 'changed', 'elsewhere/new.yaml']]);
    const { base, head } = pair('size');
    const viaDirectories = await diffJson(base, head);
    const strip = (d: JsonDiff) => d.deployments.map(({ file, ...rest }) => rest); // eslint-disable-line @typescript-eslint/no-unused-vars
    expect(strip(diff)).toEqual(strip(viaDirectories));
    // Also from outside: the paths are only file paths.
    expect((await cli('diff', join(root, 'old.yaml'), join(root, 'elsewhere', 'new.yaml'), '--exit-code')).code).toBe(5);
  });

  test('identical files: "no changes"; different deployment names: one removed, one added, said so', async () => {
    const root = files();
    expect(await inDir(root, () => cli('diff', 'old.yaml', 'old.yaml'))).toEqual({ code: 0, stdout: 'no changes', stderr: '' });
    writeFileSync(join(root, 'other.yaml'), readFileSync(join(root, 'old.yaml'), 'utf8').replace('name: diff-fixture', 'name: other-fixture'));
    const result = await inDir(root, () => cli('diff', 'old.yaml', 'other.yaml', '--format', 'json'));
    const diff = JSON.parse(result.stdout) as JsonDiff & { notes: string[] };
    expect(diff.deployments.map((d) => [d.name, d.status])).toEqual([
      ['diff-fixture', 'removed'],
      ['other-fixture', 'added'],
    ]);
    expect(diff.notes).toEqual(['old.yaml and other.yaml name different deployments (diff-fixture, other-fixture): shown as one removed and one added; deploying one does not change the other']);
  });

  test('usage errors (2): one file, three files, a missing file, a directory, --head without --base; an invalid file is 1', async () => {
    const root = files();
    await inDir(root, async () => {
      for (const args of [['old.yaml'], ['old.yaml', 'old.yaml', 'old.yaml'], ['old.yaml', 'missing.yaml'], ['old.yaml', 'elsewhere'], ['old.yaml', 'old.yaml', '--head', '.']]) {
        const result = await cli('diff', ...args);
        expect({ args, code: result.code }).toEqual({ args, code: 2 });
      }
      expect((await cli('diff', 'old.yaml', 'missing.yaml')).stderr).toContain('missing.yaml: no such deployment file');
      writeFileSync(join(root, 'bad.yaml'), 'name: x\n');
      const bad = await cli('diff', 'old.yaml', 'bad.yaml');
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('bad.yaml');
    });
  });
});
