import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDeploymentFile, loadDeploymentFiles, MAX_FILE_BYTES, parseDeployment } from '../../src/config/load';
import { DeploymentFileError } from '../../src/config/problems';
import { tempDir, VALID_YAML } from '../helpers';

/** The formatted problems a load throws, or a failure when it does not throw one. */
function problemsOf(load: () => unknown): string[] {
  try {
    load();
  } catch (error) {
    if (error instanceof DeploymentFileError) return error.message.split('\n');
    throw error;
  }
  throw new Error('expected a DeploymentFileError');
}

function write(dir: string, name: string, content: string | Buffer): string {
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}

describe('parsing a deployment text', () => {
  it('resolves a valid file into a spec', () => {
    const spec = parseDeployment(VALID_YAML, 'd.yaml');
    expect(spec.name).toBe('ministry');
    expect(spec.serverName).toBe('ministry.example.eu');
  });

  it('reports schema and rule problems together, in file order, named by the file given', () => {
    const text = VALID_YAML.replace('location: fsn1', 'location: ash') + 'size: huge\nfederation:\n  mode: allow_list\n';
    const problems = problemsOf(() => parseDeployment(text, 'named.yaml'));
    expect(problems.length).toBeGreaterThanOrEqual(3);
    expect(problems.every((p) => p.startsWith('named.yaml:'))).toBe(true);
    const lines = problems.map((p) => Number(p.split(':')[1]));
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
    expect(problems.join('\n')).toMatch(/target\.hetzner\.location: 'ash' is outside the EU/);
    expect(problems.join('\n')).toMatch(/size: 'huge' is not allowed/);
  });

  it('stops at a YAML error before checking the schema', () => {
    expect(problemsOf(() => parseDeployment('name: [\n', 'y.yaml'))).toEqual([expect.stringMatching(/^y\.yaml:\d+:\d+: YAML: /)]);
  });
});

describe('reading a deployment file', () => {
  const dir = tempDir();

  it.each([
    ['a file over the size limit', () => write(dir, 'huge.yaml', `name: x\ncomment: "${'a'.repeat(MAX_FILE_BYTES)}"\n`), `is ${MAX_FILE_BYTES + 20} bytes (expected a deployment file of at most ${MAX_FILE_BYTES} bytes)`],
    ['a binary file', () => write(dir, 'binary.yaml', Buffer.from([0x6e, 0x61, 0x00, 0x01])), 'is not a text file (it contains NUL bytes)'],
    ['text that is not UTF-8', () => write(dir, 'latin1.yaml', Buffer.from('name: caf\xe9\n', 'latin1')), 'is not valid UTF-8 text'],
    ['a missing file', () => join(dir, 'absent.yaml'), 'no such file'],
    [
      'a directory',
      () => {
        mkdirSync(join(dir, 'sub.yaml'));
        return join(dir, 'sub.yaml');
      },
      'is a directory (expected a deployment YAML file)',
    ],
  ])('refuses %s, naming the file without a position', (_, make, message) => {
    const file = make();
    expect(problemsOf(() => loadDeploymentFile(file))).toEqual([`${file}: ${message}`]);
  });

  it('accepts a file of exactly the size limit', () => {
    const padding = MAX_FILE_BYTES - VALID_YAML.length - '# \n'.length;
    const file = write(dir, 'full.yaml', `${VALID_YAML}# ${'x'.repeat(padding)}\n`);
    expect(loadDeploymentFile(file).name).toBe('ministry');
  });
});

describe('loading several files', () => {
  it('keeps the files in order with their specs', () => {
    const dir = tempDir();
    const a = write(dir, 'a.yaml', VALID_YAML);
    const b = write(dir, 'b.yaml', VALID_YAML.replace('name: ministry', 'name: other'));
    expect(loadDeploymentFiles([a, b]).map((l) => [l.file, l.spec.name])).toEqual([
      [a, 'ministry'],
      [b, 'other'],
    ]);
  });

  it('reports the problems of every file together, and a name used twice at the second name', () => {
    const dir = tempDir();
    const a = write(dir, 'a.yaml', VALID_YAML);
    const twice = write(dir, 'twice.yaml', VALID_YAML);
    const broken = write(dir, 'broken.yaml', 'name: x\n');
    const problems = problemsOf(() => loadDeploymentFiles([a, twice, broken]));
    expect(problems).toContain(`${twice}:1:7: name: 'ministry' is already the name of the deployment in ${a} (expected a unique name per deployment)`);
    expect(problems.some((p) => p.startsWith(`${broken}:`))).toBe(true);
    expect(problems.some((p) => p.startsWith(`${a}:`))).toBe(false);
  });
});
