import { dottedPath, YamlSource } from '../../src/config/yaml-source';
import { problemsOf, VALID_YAML } from '../helpers';

describe('YAML syntax and shape', () => {
  it('reports a syntax error with its position', () => {
    expect(problemsOf('name: a\nserver_name: [unclosed\n')).toEqual([
      expect.stringMatching(/^test\.yaml:3:1: YAML: /),
    ]);
  });

  it('refuses duplicate keys', () => {
    expect(problemsOf(`${VALID_YAML}name: again\n`)).toEqual(['test.yaml:9:1: YAML: Map keys must be unique']);
  });

  it('refuses an empty file', () => {
    expect(problemsOf('')).toEqual([
      'test.yaml:1:1: the file is empty (expected a deployment: a mapping with at least name, server_name, target and admin_contact)',
    ]);
  });

  it('refuses a file with only comments', () => {
    expect(problemsOf('# nothing here\n')).toEqual([expect.stringMatching(/^test\.yaml:1:1: the file is empty/)]);
  });

  it('refuses a second document', () => {
    expect(problemsOf(`${VALID_YAML}---\nname: other\n`)).toEqual([
      'test.yaml:9:1: a second YAML document starts here (expected exactly one deployment per file)',
    ]);
  });

  it('refuses a list at the top level', () => {
    expect(problemsOf('- name: a\n')).toEqual(['test.yaml:1:1: expected a mapping, found a list']);
  });

  it('refuses an alias bomb instead of expanding it', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
    expect(problemsOf(`${lines.join('\n')}\n`)).toEqual([expect.stringMatching(/^test\.yaml:1:1: YAML: .*alias/i)]);
  });
});

describe('where a field came from', () => {
  const source = YamlSource.parse(VALID_YAML, 'd.yaml') as YamlSource;

  it('parses one document into plain data, YAML 1.2 (no and on stay strings)', () => {
    expect(source).toBeInstanceOf(YamlSource);
    expect((source.data as { name: string }).name).toBe('ministry');
    const parsed = YamlSource.parse('a: no\nb: on\nc: true\n', 'x.yaml') as YamlSource;
    expect(parsed.data).toEqual({ a: 'no', b: 'on', c: true });
  });

  it('locates a value, a key, a list item, and an absent field at its nearest parent', () => {
    const lineOf = (text: string) => VALID_YAML.split('\n').findIndex((l) => l.includes(text)) + 1;
    const locationLine = lineOf('location: fsn1');
    expect(source.position(['target', 'hetzner', 'location'])).toEqual({ line: locationLine, col: VALID_YAML.split('\n')[locationLine - 1].indexOf('fsn1') + 1 });
    expect(source.position(['target', 'hetzner', 'location'], true)).toEqual({ line: locationLine, col: VALID_YAML.split('\n')[locationLine - 1].indexOf('location') + 1 });
    expect(source.position(['target', 'hetzner', 'ssh_keys', 0]).line).toBe(lineOf('ssh_keys'));
    expect(source.position(['target', 'hetzner', 'no_such_field'])).toEqual(source.position(['target', 'hetzner']));
    expect(source.position(['target', 'hetzner'])).toEqual({ line: locationLine, col: 5 });
  });

  it('makes a problem with its position and dotted path', () => {
    expect(source.problem(['target', 'hetzner', 'ssh_keys', 0], 'bad')).toMatchObject({ file: 'd.yaml', path: 'target.hetzner.ssh_keys[0]', message: 'bad' });
  });

  it('writes a path with dots between keys and brackets around indices', () => {
    expect(dottedPath([])).toBe('');
    expect(dottedPath(['name'])).toBe('name');
    expect(dottedPath(['target', 'hetzner', 'admin_cidrs', 1])).toBe('target.hetzner.admin_cidrs[1]');
    expect(dottedPath(['extra', 'synapse', 'listeners', 0, 'port'])).toBe('extra.synapse.listeners[0].port');
  });
});
