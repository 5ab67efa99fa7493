import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT, ExitStatus } from '../../src/shared/exit-codes';
import type { Output } from '../../src/shared/output';
import { runInitCommand } from '../../src/init/command';
import type { InitFlags } from '../../src/init/answers';
import { PromptInterrupted, type InitIO } from '../../src/init/prompt';
import { cli, problemsOf, tempDir, VALID_YAML } from '../helpers';

const HETZNER = [
  '--name', 'ministry',
  '--server-name', 'ministry.example.eu',
  '--admin-contact', 'ops@ministry.example.eu',
  '--target', 'hetzner',
  '--location', 'fsn1',
  '--ssh-key', 'ops-team',
  '--ssh-key', 'deploy',
  '--admin-cidr', '198.51.100.0/24',
];

/** Runs `fn` with a fresh temporary directory as the working directory. */
async function inTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const cwd = process.cwd();
  const dir = tempDir('sm-init-');
  process.chdir(dir);
  try {
    return await fn(dir);
  } finally {
    process.chdir(cwd);
  }
}

/** The validator's message for one field of a file, without the location. */
function validateMessage(yaml: string, field: string): string {
  const [problem] = problemsOf(yaml);
  return problem.slice(problem.indexOf(`${field}: `));
}

describe('init with flags', () => {
  it('writes deployments/<name>.yaml that validate accepts, and prints the next steps', () =>
    inTempDir(async () => {
      const result = await cli('init', '--yes', ...HETZNER);
      expect(result).toMatchObject({ code: EXIT.ok, stderr: '' });
      const text = readFileSync(join('deployments', 'ministry.yaml'), 'utf8');
      expect(text).toMatch(/^# yaml-language-server: \$schema=\S+deployment\.schema\.json\n/);
      expect(text).toContain('ssh_keys: [ops-team, deploy]');
      expect((await cli('validate', 'deployments/ministry.yaml')).code).toBe(EXIT.ok);
      expect(result.stdout.split('\n')).toEqual(
        expect.arrayContaining([
          'Wrote deployments/ministry.yaml (ministry: ministry.example.eu, hetzner fsn1, identity local, federation closed).',
          expect.stringMatching(/^ {2}sovereign-matrix validate deployments\/ministry\.yaml +check it/),
          expect.stringMatching(/^ {2}sovereign-matrix synth deployments\/ministry\.yaml /),
          expect.stringMatching(/^ {2}sovereign-matrix docs deployments\/ministry\.yaml --out /),
          expect.stringMatching(/^ {2}sovereign-matrix deploy deployments\/ministry\.yaml /),
          expect.stringMatching(/^ {4}HCLOUD_TOKEN +\S/),
          expect.stringMatching(/^ {4}SOVEREIGN_MATRIX_STATE_PASSPHRASE +\S/),
          expect.stringMatching(/^ {4}SOVEREIGN_MATRIX_BACKUP_PASSPHRASE +\S/),
        ]),
      );
    }));

  it('writes an existing-cluster deployment with OIDC, an allow list, its own bucket and no TURN', () =>
    inTempDir(async () => {
      const result = await cli(
        'init', 'agency.yaml', '--yes',
        '--name', 'agency', '--server-name', 'agency.example.eu', '--admin-contact', 'it@agency.example.eu',
        '--target', 'kubernetes', '--context', 'agency-prod',
        '--backup-endpoint', 'https://s3.gra.io.cloud.ovh.net', '--backup-bucket', 'agency-backups', '--backup-region', 'gra',
        '--identity', 'oidc', '--oidc-issuer', 'https://login.agency.example.eu/realms/staff', '--oidc-client-id', 'matrix', '--oidc-client-secret-env', 'AGENCY_OIDC_SECRET',
        '--federation', 'allow_list', '--allow', 'ministry.example.eu', '--allow', 'region.example.eu',
        '--no-turn',
      );
      expect(result).toMatchObject({ code: EXIT.ok, stderr: '' });
      const validated = await cli('validate', 'agency.yaml');
      expect(validated.stdout.split('\n')[0]).toBe('agency.yaml: ok (agency: agency.example.eu, kubernetes context agency-prod, size small, federation allow_list, identity oidc)');
      const text = readFileSync('agency.yaml', 'utf8');
      expect(text).toContain('  allow: [ministry.example.eu, region.example.eu]');
      expect(text).toContain('  turn: false');
      expect(result.stdout).toMatch(/^ {4}AGENCY_OIDC_SECRET +OIDC client secret of matrix/m);
    }));

  it('takes --no-backup as the explicit choice of no backups on an existing cluster', () =>
    inTempDir(async () => {
      const result = await cli('init', 'lab.yaml', '--yes', '--name', 'lab', '--server-name', 'lab.example.eu', '--admin-contact', 'a@lab.example.eu', '--target', 'kubernetes', '--context', 'lab', '--no-backup');
      expect(result.code).toBe(EXIT.ok);
      expect(readFileSync('lab.yaml', 'utf8')).toContain('backup:\n  enabled: false\n');
    }));

  it('lists every missing flag in one usage error, exit 2, and writes nothing', () =>
    inTempDir(async (dir) => {
      const result = await cli('init', '--yes', '--target', 'kubernetes', '--identity', 'oidc', '--federation', 'allow_list', '--location', 'fsn1');
      expect(result.code).toBe(EXIT.usage);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(
        [
          'sovereign-matrix: init without questions (--yes, or no terminal) needs these flags:',
          '  --name NAME',
          '  --server-name DOMAIN',
          '  --admin-contact EMAIL',
          '  --context NAME',
          '  --backup-endpoint URL --backup-bucket NAME --backup-region REGION (an existing cluster has no default backup bucket), or --no-backup',
          '  --oidc-issuer URL',
          '  --oidc-client-id ID',
          '  --allow SERVER_NAME (repeatable)',
          'this flag does not fit the other answers:',
          '  --location (only with --target hetzner)',
          'Nothing was written.',
        ].join('\n'),
      );
      expect(readdirSync(dir)).toEqual([]);
    }));

  it('asks nothing when stdin is not a terminal, even without --yes', () =>
    inTempDir(async (dir) => {
      const { io, asked } = scripted([]);
      const output = capture();
      await expect(runInitCommand(undefined, { name: 'ministry' }, output, { ...io, isTTY: false })).rejects.toThrow(/needs these flags:\n {2}--server-name DOMAIN/);
      expect(asked).toEqual([]);
      expect(readdirSync(dir)).toEqual([]);
    }));

  it('reports an invalid answer as validate does, exit 1, and writes nothing', () =>
    inTempDir(async (dir) => {
      const result = await cli('init', '--yes', ...HETZNER.map((arg) => (arg === 'fsn1' ? 'ash' : arg)));
      expect(result.code).toBe(EXIT.invalidDeployment);
      const message = validateMessage(VALID_YAML.replace('fsn1', 'ash'), 'target.hetzner.location');
      expect(result.stderr.split('\n')).toEqual([`deployments/ministry.yaml: ${message}`, '1 problem in 1 file; nothing was written.']);
      expect(readdirSync(dir)).toEqual([]);
    }));

  it('never overwrites a file: exit 2 and the file is untouched', () =>
    inTempDir(async () => {
      writeFileSync('mine.yaml', 'precious\n');
      const named = await cli('init', 'mine.yaml', '--yes', ...HETZNER);
      expect(named.code).toBe(EXIT.usage);
      expect(named.stderr).toBe('sovereign-matrix: mine.yaml already exists (init never overwrites a file)');
      mkdirSync('deployments');
      writeFileSync(join('deployments', 'ministry.yaml'), 'precious\n');
      const byName = await cli('init', '--yes', ...HETZNER);
      expect(byName.code).toBe(EXIT.usage);
      expect(byName.stderr).toBe('sovereign-matrix: deployments/ministry.yaml already exists (init never overwrites a file)');
      expect(readFileSync('mine.yaml', 'utf8')).toBe('precious\n');
      expect(readFileSync(join('deployments', 'ministry.yaml'), 'utf8')).toBe('precious\n');
    }));

  it('refuses unknown choices as usage errors', async () => {
    expect((await cli('init', '--yes', '--target', 'aws')).code).toBe(EXIT.usage);
    expect((await cli('init', '--yes', '--identity', 'ldap')).code).toBe(EXIT.usage);
  });
});

/** An IO that answers from a script and records the questions. */
function scripted(answers: (string | Error)[]): { io: InitIO; asked: string[] } {
  const asked: string[] = [];
  const io: InitIO = {
    isTTY: true,
    ask: async (question) => {
      asked.push(question);
      const answer = answers.shift();
      if (answer instanceof Error) throw answer;
      return answer;
    },
    close: () => undefined,
  };
  return { io, asked };
}

function capture(): Output & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (line) => stdout.push(line), err: (line) => stderr.push(line) };
}

describe('init with questions', () => {
  const run = (answers: (string | Error)[], flags: InitFlags = {}, file?: string) => {
    const { io, asked } = scripted(answers);
    const output = capture();
    return { asked, output, done: runInitCommand(file, flags, output, io) };
  };

  it('asks again after an invalid server name, with the message validate gives', () =>
    inTempDir(async () => {
      const { asked, output, done } = run([
        'ministry',
        'Ministry.Example.EU',
        'ministry.example.eu',
        'ops@ministry.example.eu',
        'hetzner',
        'fsn1',
        'ops-team, deploy',
        '198.51.100.0/24, 2001:db8:1234::/48',
        '', // identity: the default, local
        '', // federation: the default, closed
        '', // TURN: the default, yes
      ]);
      await done;
      expect(asked.filter((q) => q.startsWith('Matrix server name'))).toHaveLength(2);
      const message = validateMessage(VALID_YAML.replace('server_name: ministry.example.eu', 'server_name: Ministry.Example.EU'), 'server_name');
      expect(output.stderr).toContain(`  ${message}`);
      const text = readFileSync(join('deployments', 'ministry.yaml'), 'utf8');
      expect(problemsOf(text)).toEqual([]);
      expect(text).toContain('server_name: ministry.example.eu\n');
      expect(text).toContain('ssh_keys: [ops-team, deploy]');
      expect(text).toContain('admin_cidrs: [198.51.100.0/24, 2001:db8:1234::/48]');
      expect(text).toContain('identity:\n  mode: local\n');
      expect(output.stdout[0]).toBe('Wrote deployments/ministry.yaml (ministry: ministry.example.eu, hetzner fsn1, identity local, federation closed).');
    }));

  it('asks for the bucket on an existing cluster, and for what OIDC and an allow list need', () =>
    inTempDir(async () => {
      const { asked, output, done } = run([
        'agency',
        'agency.example.eu',
        'it@agency.example.eu',
        'kubernetes',
        'agency-prod',
        'http://s3.example.eu', // not https: asked again
        'https://s3.gra.io.cloud.ovh.net',
        'agency-backups',
        'gra',
        'oidc',
        'https://login.agency.example.eu/realms/staff',
        'matrix',
        '', // the default variable name
        'allow_list',
        'agency.example.eu', // its own name: asked again
        'ministry.example.eu',
        'n',
      ]);
      await done;
      expect(asked.filter((q) => q.startsWith('Backup bucket: the S3 endpoint'))).toHaveLength(2);
      expect(asked.filter((q) => q.startsWith('Server names allowed'))).toHaveLength(2);
      expect(output.stderr.some((line) => line.startsWith('  backup.s3.endpoint: '))).toBe(true);
      expect(output.stderr).toContain("  federation.allow[0]: is this deployment's own server_name (expected other servers only)");
      const text = readFileSync(join('deployments', 'agency.yaml'), 'utf8');
      expect(problemsOf(text)).toEqual([]);
      expect(text).toContain('    client_secret_env: OIDC_CLIENT_SECRET\n');
      expect(text).toContain('  turn: false\n');
      expect(text).toContain('    bucket: agency-backups\n');
    }));

  it('asks only what the flags left open, and re-asks a choice it does not know', () =>
    inTempDir(async () => {
      const { asked, done } = run(['lab', 'lab.example.eu', 'a@lab.example.eu', 'aws', 'kubernetes', 'lab', 'off'], {
        identity: 'keycloak',
        federation: 'open',
        turn: false,
      });
      await done;
      expect(asked).toHaveLength(7);
      expect(asked.some((q) => q.startsWith('How users log in'))).toBe(false);
      const text = readFileSync(join('deployments', 'lab.yaml'), 'utf8');
      expect(text).toContain('backup:\n  enabled: false\n');
      expect(text).toContain('identity:\n  mode: keycloak\n');
    }));

  it('re-asks the name when deployments/<name>.yaml exists', () =>
    inTempDir(async () => {
      mkdirSync('deployments');
      writeFileSync(join('deployments', 'ministry.yaml'), 'precious\n');
      const { output, done } = run(['ministry', 'ministry2', 'ministry.example.eu', 'ops@ministry.example.eu', 'hetzner', 'nbg1', 'ops', '198.51.100.0/24', '', '', '']);
      await done;
      expect(output.stderr).toContain('  deployments/ministry.yaml already exists (init never overwrites a file); choose another name, or give init a FILE');
      expect(readFileSync(join('deployments', 'ministry.yaml'), 'utf8')).toBe('precious\n');
      expect(existsSync(join('deployments', 'ministry2.yaml'))).toBe(true);
    }));

  it('stops without writing at the end of input (usage) or on Ctrl-C (interrupted)', () =>
    inTempDir(async (dir) => {
      await expect(run(['ministry']).done).rejects.toThrow(/no answer to 'Matrix server name.*' \(end of input\); nothing was written/);
      const interrupted = run(['ministry', new PromptInterrupted()]);
      await expect(interrupted.done).rejects.toEqual(new ExitStatus(EXIT.interrupted));
      expect(interrupted.output.stderr).toContain('sovereign-matrix: interrupted; nothing was written');
      expect(readdirSync(dir)).toEqual([]);
    }));
});
