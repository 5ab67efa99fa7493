import { answersFromFlags, askAnswers, type AnswerCheck, type InitFlags, InitUsageError } from '../../src/init/answers';
import type { InitIO } from '../../src/init/prompt';

const HETZNER: InitFlags = { name: 'ministry', serverName: 'ministry.example.eu', adminContact: 'ops@ministry.example.eu', target: 'hetzner', location: 'fsn1', sshKey: ['ops'], adminCidr: ['198.51.100.0/24'] };

/** The usage error's message, or a failure when none is thrown. */
function usage(flags: InitFlags): string {
  try {
    answersFromFlags(flags);
  } catch (error) {
    if (error instanceof InitUsageError) return error.message;
    throw error;
  }
  throw new Error('no usage error');
}

describe('answersFromFlags', () => {
  it('takes a Hetzner deployment from flags, with the defaults for the rest', () => {
    expect(answersFromFlags(HETZNER)).toEqual({
      name: 'ministry',
      serverName: 'ministry.example.eu',
      adminContact: 'ops@ministry.example.eu',
      target: { kind: 'hetzner', location: 'fsn1', sshKeys: ['ops'], adminCidrs: ['198.51.100.0/24'] },
      backup: { kind: 'default' },
      identity: { mode: 'local' },
      federation: { mode: 'closed' },
      turn: true,
    });
  });

  it('lists every missing flag in one error, and says nothing was written', () => {
    const message = usage({ target: 'hetzner', sshKey: [] });
    expect(message).toMatch(/^init without questions \(--yes, or no terminal\) needs these flags:\n/);
    for (const flag of ['--name NAME', '--server-name DOMAIN', '--admin-contact EMAIL', '--location fsn1|nbg1|hel1', '--ssh-key NAME (repeatable)', '--admin-cidr CIDR (repeatable)']) expect(message).toContain(`\n  ${flag}`);
    expect(message).toMatch(/\nNothing was written\.$/);
  });

  it('needs a bucket, or --no-backup, on an existing cluster', () => {
    const k8s: InitFlags = { ...HETZNER, target: 'kubernetes', location: undefined, sshKey: undefined, adminCidr: undefined, context: 'prod' };
    expect(usage(k8s)).toContain('an existing cluster has no default backup bucket), or --no-backup');
    expect(answersFromFlags({ ...k8s, backup: false }).backup).toEqual({ kind: 'off' });
    expect(answersFromFlags({ ...k8s, backupEndpoint: 'https://s3.example.eu', backupBucket: 'b', backupRegion: 'r' }).backup).toEqual({ kind: 's3', endpoint: 'https://s3.example.eu', bucket: 'b', region: 'r' });
    expect(usage({ ...k8s, backupBucket: 'b' })).toMatch(/\n {2}--backup-endpoint URL\n {2}--backup-region REGION\n/);
  });

  it('refuses flags that do not fit the other answers', () => {
    const message = usage({ ...HETZNER, context: 'prod', oidcIssuer: 'https://id.example.eu', allow: ['x.example.eu'], backup: false, backupBucket: 'b' });
    expect(message).toMatch(/^these flags do not fit the other answers:\n/);
    expect(message).toContain('  --context (only with --target kubernetes)');
    expect(message).toContain('  --oidc-issuer (only with --identity oidc)');
    expect(message).toContain('  --allow (only with --federation allow_list)');
    expect(message).toContain('  --backup-endpoint/--backup-bucket/--backup-region (not with --no-backup)');
  });

  it('needs the issuer and client for OIDC and the servers for an allow list, and defaults the secret variable', () => {
    expect(usage({ ...HETZNER, identity: 'oidc', federation: 'allow_list' })).toEqual(
      'init without questions (--yes, or no terminal) needs these flags:\n  --oidc-issuer URL\n  --oidc-client-id ID\n  --allow SERVER_NAME (repeatable)\nNothing was written.',
    );
    const answers = answersFromFlags({ ...HETZNER, identity: 'oidc', oidcIssuer: 'https://id.example.eu', oidcClientId: 'matrix', federation: 'allow_list', allow: ['a.example.eu'], turn: false });
    expect(answers.identity).toEqual({ mode: 'oidc', issuer: 'https://id.example.eu', clientId: 'matrix', clientSecretEnv: 'OIDC_CLIENT_SECRET' });
    expect(answers.federation).toEqual({ mode: 'allow_list', allow: ['a.example.eu'] });
    expect(answers.turn).toBe(false);
  });
});

/** Answers from a script, recording each question. */
function scripted(answers: (string | undefined)[]): InitIO & { questions: string[] } {
  const questions: string[] = [];
  return {
    isTTY: true,
    questions,
    ask: async (question) => {
      questions.push(question);
      return answers.shift();
    },
    close: () => undefined,
  };
}

describe('askAnswers', () => {
  /** A validator that refuses the name `Bad` and the server name `nope`, naming the field. */
  const check: AnswerCheck = (answers, fields) => [
    ...(fields.includes('name') && answers.name === 'Bad' ? ['name: must be lower case'] : []),
    ...(fields.includes('server_name') && answers.serverName === 'nope' ? ['server_name: not a domain'] : []),
  ];

  it("asks what the flags left open, again after the validator's message, and takes Enter as the default", async () => {
    const io = scripted(['Bad', 'ministry', 'nope', 'ministry.example.eu', 'hetzner', '', 'y']);
    const said: string[] = [];
    const answers = await askAnswers({ adminContact: 'ops@ministry.example.eu', location: 'fsn1', sshKey: ['ops'], adminCidr: ['198.51.100.0/24'], federation: 'open' }, io, (l) => said.push(l), check);
    expect(said).toContain('  name: must be lower case');
    expect(said).toContain('  server_name: not a domain');
    expect(io.questions.filter((q) => q.startsWith('Deployment name'))).toHaveLength(2);
    expect(io.questions.some((q) => q.startsWith("Administrators' e-mail"))).toBe(false);
    expect(io.questions.find((q) => q.startsWith('How users log in'))).toMatch(/ \[local\]: $/);
    expect(answers).toMatchObject({ name: 'ministry', serverName: 'ministry.example.eu', identity: { mode: 'local' }, federation: { mode: 'open' }, turn: true });
  });

  it('re-asks a choice it does not know, and a name the extra check refuses', async () => {
    const io = scripted(['taken', 'ministry', 'aws', 'hetzner', 'local', 'closed', 'n']);
    const said: string[] = [];
    const answers = await askAnswers(
      { serverName: 'ministry.example.eu', adminContact: 'ops@ministry.example.eu', location: 'fsn1', sshKey: ['ops'], adminCidr: ['198.51.100.0/24'] },
      io,
      (l) => said.push(l),
      check,
      { name: (name) => (name === 'taken' ? 'deployments/taken.yaml exists' : undefined) },
    );
    expect(said).toContain('  deployments/taken.yaml exists');
    expect(said).toContain("  'aws' is not one of hetzner, kubernetes");
    expect(answers.turn).toBe(false);
  });

  it('stops with a usage error at the end of input', async () => {
    await expect(askAnswers({}, scripted([]), () => undefined, check)).rejects.toThrow(InitUsageError);
    await expect(askAnswers({}, scripted([]), () => undefined, check)).rejects.toThrow(/^no answer to 'Deployment name.*' \(end of input\); nothing was written$/);
  });
});
