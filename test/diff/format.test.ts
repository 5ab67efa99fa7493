import { compareSnapshots } from '../../src/diff/compare';
import { format, formatJson, formatMarkdown, formatTerminal, hasChanges, JSON_SCHEMA, MARKDOWN_MARKER, NO_CHANGES } from '../../src/diff/format';
import type { DeploymentSnapshot, SideSnapshot } from '../../src/diff/model';

function side(label: string, replicas: number | undefined, file?: string): SideSnapshot {
  const stacks = new Map<string, unknown>(
    replicas === undefined ? [] : [['d-apps', { resource: { kubernetes_manifest: { web: { manifest: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'matrix-d' }, spec: { replicas } } } } } }]],
  );
  const d: DeploymentSnapshot = { name: 'd', file: 'deployments/d.yaml', stacks, files: new Map(file === undefined ? [] : [['web/config.json', file]]) };
  return { label, deployments: new Map([['d', d]]) };
}

describe('formats of a diff', () => {
  const none = compareSnapshots(side('main', 1, '{}\n'), side('work', 1, '{}\n'));
  const some = compareSnapshots(side('main', 1, '{"a":1}\n'), side('work', 3, '{"a":2}\n'));

  it('say "no changes" when nothing differs, in each form', () => {
    expect(hasChanges(none)).toBe(false);
    expect(formatTerminal(none, true)).toBe(NO_CHANGES);
    expect(formatMarkdown(none)).toBe(`${MARKDOWN_MARKER}\n${NO_CHANGES}`);
    expect(JSON.parse(formatJson(none))).toMatchObject({ schema: JSON_SCHEMA, changes: false, deployments: [] });
  });

  it('terminal: titled with both sides, the object and the file change, colour only when asked', () => {
    expect(hasChanges(some)).toBe(true);
    const plain = formatTerminal(some, false);
    expect(plain.split('\n')[0]).toBe('sovereign-matrix diff: main → work');
    expect(plain).toContain('d (deployments/d.yaml): changed');
    expect(plain).toContain('web/config.json');
    expect(plain).toContain('-{"a":1}');
    expect(plain).toContain('+{"a":2}');
    expect(plain).not.toMatch(/\x1b\[/);
    expect(formatTerminal(some, true)).toMatch(/\x1b\[/);
  });

  it('Markdown: the marker first, then the title with both sides', () => {
    const md = formatMarkdown(some).split('\n');
    expect(md[0]).toBe(MARKDOWN_MARKER);
    expect(md[1]).toBe('### sovereign-matrix diff: `main` → `work`');
  });

  it('JSON: the schema, the counts per stack, each attribute change with old and new', () => {
    const json = JSON.parse(formatJson(some));
    expect(json).toMatchObject({ schema: JSON_SCHEMA, changes: true });
    const [d] = json.deployments;
    expect(d).toMatchObject({ name: 'd', file: 'deployments/d.yaml', status: 'changed' });
    expect(d.stacks[0]).toMatchObject({ stack: 'd-apps', added: 0, changed: 1, replaced: 0, removed: 0 });
    expect(d.stacks[0].changes[0].kubernetes).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'matrix-d', name: 'web' });
    expect(d.stacks[0].changes[0].attributes).toEqual([{ path: 'spec.replicas', action: 'change', old: 1, new: 3 }]);
    expect(d.files).toEqual([{ path: 'web/config.json', status: 'changed', patch: '@@ -1 +1 @@\n-{"a":1}\n+{"a":2}' }]);
  });

  it('format() picks the form by name', () => {
    expect(format(some, 'terminal', false)).toBe(formatTerminal(some, false));
    expect(format(some, 'markdown', false)).toBe(formatMarkdown(some));
    expect(format(some, 'json', false)).toBe(formatJson(some));
  });
});
