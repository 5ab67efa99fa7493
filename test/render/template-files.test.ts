import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { renderAll } from '../../src/render';
import { fillTemplate } from '../../src/render/template-files';
import { specWith } from './fixtures';

describe('fillTemplate', () => {
  test('replaces every {{NAME}}, leaving shell syntax alone', () => {
    expect(fillTemplate('t', 'a={{A}} b=${{B}} c=${c:-x} {{A}}\n', { A: '1', B: 'HOME' })).toBe('a=1 b=$HOME c=${c:-x} 1\n');
  });

  test('a value is inserted as it is ($ patterns of String.replace do not apply)', () => {
    expect(fillTemplate('t', '{{A}}', { A: "$& $' $1" })).toBe("$& $' $1");
  });

  test('refuses a placeholder without a value', () => {
    expect(() => fillTemplate('t.sh', 'x={{A}} y={{B}}', { A: '1' })).toThrow('template t.sh: no value for placeholder {{B}}');
  });

  test('refuses a value without a placeholder', () => {
    expect(() => fillTemplate('t.sh', 'x={{A}}', { A: '1', C: '3' })).toThrow('template t.sh: no placeholder for {{C}}');
  });

  test('refuses a malformed placeholder', () => {
    expect(() => fillTemplate('t.sh', 'x={{A}} y={{ B }}', { A: '1' })).toThrow('template t.sh: malformed placeholder {{ B }}');
    expect(() => fillTemplate('t.sh', 'x={{lower}}', {})).toThrow('malformed placeholder {{lower}}');
  });
});

/** Every file under src/render/templates, relative to it. */
function templateFiles(dir = join(__dirname, '../../src/render/templates')): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

describe('rendered scripts from src/render/templates', () => {
  // Keycloak identity and backups on: every template is rendered.
  const rendered = renderAll(specWith('identity:\n  mode: keycloak\n'));
  const scripts = rendered.filter((f) => f.path.endsWith('.sh'));

  test('the deployment renders every script template, with every placeholder filled', () => {
    expect(scripts.map((f) => f.path).sort()).toEqual([
      'backup/backup-agent.sh',
      'backup/wal-fetch.sh',
      'backup/wal-spool.sh',
      'keycloak/create-user.sh',
      'keycloak/reconcile.sh',
    ]);
    // The remaining templates are the shared Keycloak blocks and the SQL.
    expect(templateFiles().filter((path) => !scripts.some((f) => f.path === path))).toEqual([
      'backup/after-restore.sql',
      'keycloak/shared/kcadm-session.sh',
      'keycloak/shared/script-dir.sh',
    ]);
    // Only files made from templates: other rendered files may hold {{ }} of their own (MAS's Jinja).
    const fromTemplates = rendered.filter((f) => f.path.endsWith('.sh') || f.path === 'backup/after-restore.sql');
    expect(fromTemplates).toHaveLength(6);
    for (const file of fromTemplates) expect({ path: file.path, placeholder: /\{\{|\}\}/.test(file.content) }).toEqual({ path: file.path, placeholder: false });
  });

  test.each(['backup/backup-agent.sh', 'backup/wal-fetch.sh', 'backup/wal-spool.sh', 'keycloak/create-user.sh', 'keycloak/reconcile.sh'])('%s parses with the shell of its #! line', (path) => {
    const content = scripts.find((f) => f.path === path)!.content;
    const shell = /^#!\/bin\/(bash|sh)\n/.exec(content)?.[1];
    expect(shell).toBeDefined();
    // ShellCheck lints the same scripts in test/integration/shell-scripts.test.ts.
    // sh is dash here: a POSIX shell without bash's extensions, close to the restic image's busybox sh.
    const check = spawnSync(shell!, ['-n'], { input: content, encoding: 'utf8' });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });
});
