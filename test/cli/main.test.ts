import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildProgram, DEFAULT_DEPLOYMENTS_DIR, DEFAULT_OUTDIR, run } from '../../src/cli/main';
import { EXIT } from '../../src/shared/exit-codes';
import { tempDir, VALID_YAML } from '../helpers';

/** Runs the CLI in-process, in `cwd` when given, and captures what it prints. */
async function runIn(cwd: string | undefined, ...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const previous = process.cwd();
  if (cwd) process.chdir(cwd);
  try {
    const code = await run(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  } finally {
    process.chdir(previous);
  }
}

describe('the CLI program', () => {
  it('has every command of the kit', () => {
    const names = buildProgram({ out: () => undefined, err: () => undefined }).commands.map((c) => c.name());
    for (const name of ['init', 'validate', 'synth', 'render', 'manifests', 'check', 'diff', 'plan', 'deploy', 'destroy', 'backup', 'backups', 'restore', 'docs']) expect(names).toContain(name);
  });

  it('documents every exit code in its help', async () => {
    const help = (await runIn(undefined, '--help')).stdout;
    for (const code of Object.values(EXIT)) expect(help).toMatch(new RegExp(`^ {2}${code} +\\S`, 'm'));
  });

  it('writes synth output to cdktf.out and reads deployments/ by default', () => {
    expect([DEFAULT_DEPLOYMENTS_DIR, DEFAULT_OUTDIR]).toEqual(['deployments', 'cdktf.out']);
  });
});

describe('run', () => {
  it('counts the problems and the files they are in, and writes nothing', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.yaml'), VALID_YAML.replace('fsn1', 'ash').replace('ops@', 'not an address'));
    writeFileSync(join(dir, 'b.yaml'), VALID_YAML.replace('name: ministry', 'name: Bad_Name'));
    const result = await runIn(undefined, 'validate', join(dir, 'a.yaml'), join(dir, 'b.yaml'));
    expect(result.code).toBe(EXIT.invalidDeployment);
    const lines = result.stderr.split('\n');
    expect(lines[lines.length - 1]).toBe(`${lines.length - 1} problems in 2 files; nothing was written.`);
    expect(lines.length - 1).toBeGreaterThanOrEqual(3);
  });

  it('reports an unexpected failure as an internal error with exit 70, and asks for a report', async () => {
    const dir = tempDir();
    const file = join(dir, 'd.yaml');
    writeFileSync(file, VALID_YAML);
    writeFileSync(join(dir, 'a-file'), '');
    const result = await runIn(undefined, 'render', file, '--out', join(dir, 'a-file'));
    expect(result.code).toBe(EXIT.internal);
    expect(result.stderr).toMatch(/^sovereign-matrix: internal error: /);
    expect(result.stderr).toContain('This is a bug in the kit. Run again with SOVEREIGN_MATRIX_DEBUG=1 for details and report it.');
  });

  it('exits 2 when deployments/ holds no deployment file', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'deployments'));
    writeFileSync(join(dir, 'deployments', 'notes.txt'), '');
    const result = await runIn(dir, 'validate');
    expect(result).toEqual({ code: EXIT.usage, stdout: '', stderr: 'sovereign-matrix: no *.yaml files in deployments/' });
  });

  it('takes every *.yaml and *.yml in deployments/, in name order', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'deployments'));
    writeFileSync(join(dir, 'deployments', 'b.yml'), VALID_YAML.replace('name: ministry', 'name: second'));
    writeFileSync(join(dir, 'deployments', 'a.yaml'), VALID_YAML);
    const result = await runIn(dir, 'validate');
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout.split('\n').filter((l) => / ok \(/.test(l))).toEqual([expect.stringMatching(/^deployments\/a\.yaml: ok \(ministry:/), expect.stringMatching(/^deployments\/b\.yml: ok \(second:/)]);
  });

  it('never throws, and returns 0 for help and version', async () => {
    expect((await runIn(undefined, 'validate', '--help')).code).toBe(EXIT.ok);
    expect((await runIn(undefined, '--version')).code).toBe(EXIT.ok);
    expect((await runIn(undefined, 'render')).code).toBe(EXIT.usage);
  });
});
