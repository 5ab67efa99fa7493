import type { InitAnswers } from './generate';
import type { InitIO } from './prompt';

/** The command line of `init`, as commander parses it. */
export interface InitFlags {
  readonly name?: string;
  readonly serverName?: string;
  readonly adminContact?: string;
  readonly target?: string;
  readonly location?: string;
  readonly sshKey?: readonly string[];
  readonly adminCidr?: readonly string[];
  readonly context?: string;
  readonly backupEndpoint?: string;
  readonly backupBucket?: string;
  readonly backupRegion?: string;
  /** false with --no-backup. */
  readonly backup?: boolean;
  readonly identity?: string;
  readonly oidcIssuer?: string;
  readonly oidcClientId?: string;
  readonly oidcClientSecretEnv?: string;
  readonly federation?: string;
  readonly allow?: readonly string[];
  /** false with --no-turn. */
  readonly turn?: boolean;
  readonly yes?: boolean;
}

export const TARGETS = ['hetzner', 'kubernetes'] as const;
export const IDENTITY_MODES = ['local', 'keycloak', 'oidc'] as const;
export const FEDERATION_MODES = ['closed', 'allow_list', 'open'] as const;

/** Answers that have a default, in both modes. */
export const INIT_DEFAULTS = {
  identity: 'local',
  federation: 'closed',
  turn: true,
  oidcClientSecretEnv: 'OIDC_CLIENT_SECRET',
} as const;

/** A command-line mistake; the CLI prints it and exits with the usage code. */
export class InitUsageError extends Error {}

/**
 * The answers from flags alone (`--yes`, or no terminal). Everything missing, and every flag that
 * does not fit the other answers, is reported in one error.
 */
export function answersFromFlags(flags: InitFlags): InitAnswers {
  const missing: string[] = [];
  const unused: string[] = [];
  const need = <T>(value: T | undefined, flag: string): T => {
    if (value === undefined || (Array.isArray(value) && value.length === 0)) missing.push(flag);
    return value as T;
  };
  const name = need(flags.name, '--name NAME');
  const serverName = need(flags.serverName, '--server-name DOMAIN');
  const adminContact = need(flags.adminContact, '--admin-contact EMAIL');
  const targetKind = need(flags.target, '--target hetzner|kubernetes');

  let target: InitAnswers['target'] | undefined;
  if (targetKind === 'hetzner') {
    target = {
      kind: 'hetzner',
      location: need(flags.location, '--location fsn1|nbg1|hel1'),
      sshKeys: need(flags.sshKey, '--ssh-key NAME (repeatable)'),
      adminCidrs: need(flags.adminCidr, '--admin-cidr CIDR (repeatable)'),
    };
    if (flags.context !== undefined) unused.push('--context (only with --target kubernetes)');
  } else if (targetKind === 'kubernetes') {
    target = { kind: 'kubernetes', context: need(flags.context, '--context NAME') };
    for (const [flag, value] of [['--location', flags.location], ['--ssh-key', flags.sshKey], ['--admin-cidr', flags.adminCidr]] as const) {
      if (value !== undefined) unused.push(`${flag} (only with --target hetzner)`);
    }
  }

  const bucketFlags = { '--backup-endpoint URL': flags.backupEndpoint, '--backup-bucket NAME': flags.backupBucket, '--backup-region REGION': flags.backupRegion };
  const bucketGiven = Object.values(bucketFlags).some((v) => v !== undefined);
  let backup: InitAnswers['backup'] = { kind: 'default' };
  if (flags.backup === false) {
    if (bucketGiven) unused.push('--backup-endpoint/--backup-bucket/--backup-region (not with --no-backup)');
    backup = { kind: 'off' };
  } else if (bucketGiven) {
    backup = {
      kind: 's3',
      endpoint: need(flags.backupEndpoint, '--backup-endpoint URL'),
      bucket: need(flags.backupBucket, '--backup-bucket NAME'),
      region: need(flags.backupRegion, '--backup-region REGION'),
    };
  } else if (targetKind === 'kubernetes') {
    missing.push('--backup-endpoint URL --backup-bucket NAME --backup-region REGION (an existing cluster has no default backup bucket), or --no-backup');
  }

  const identity = identityFrom(flags, flags.identity ?? INIT_DEFAULTS.identity, need, unused);
  const federation = federationFrom(flags, flags.federation ?? INIT_DEFAULTS.federation, need, unused);

  if (missing.length > 0 || unused.length > 0) {
    const parts = [
      ...(missing.length > 0 ? [`init without questions (--yes, or no terminal) needs ${missing.length === 1 ? 'this flag' : 'these flags'}:\n${missing.map((m) => `  ${m}`).join('\n')}`] : []),
      ...(unused.length > 0 ? [`${unused.length === 1 ? 'this flag does' : 'these flags do'} not fit the other answers:\n${unused.map((m) => `  ${m}`).join('\n')}`] : []),
    ];
    throw new InitUsageError(`${parts.join('\n')}\nNothing was written.`);
  }
  return { name, serverName, adminContact, target: target!, backup, identity, federation, turn: flags.turn ?? INIT_DEFAULTS.turn };
}

type Need = <T>(value: T | undefined, flag: string) => T;

function identityFrom(flags: InitFlags, mode: string, need: Need, unused: string[]): InitAnswers['identity'] {
  if (mode === 'oidc') {
    return {
      mode,
      issuer: need(flags.oidcIssuer, '--oidc-issuer URL'),
      clientId: need(flags.oidcClientId, '--oidc-client-id ID'),
      clientSecretEnv: flags.oidcClientSecretEnv ?? INIT_DEFAULTS.oidcClientSecretEnv,
    };
  }
  for (const [flag, value] of [['--oidc-issuer', flags.oidcIssuer], ['--oidc-client-id', flags.oidcClientId], ['--oidc-client-secret-env', flags.oidcClientSecretEnv]] as const) {
    if (value !== undefined) unused.push(`${flag} (only with --identity oidc)`);
  }
  return { mode: mode as 'local' | 'keycloak' };
}

function federationFrom(flags: InitFlags, mode: string, need: Need, unused: string[]): InitAnswers['federation'] {
  if (mode === 'allow_list') return { mode, allow: need(flags.allow, '--allow SERVER_NAME (repeatable)') };
  if (flags.allow !== undefined) unused.push('--allow (only with --federation allow_list)');
  return { mode: mode as 'closed' | 'open' };
}

/** Problems of the answers, as `field.path: message` lines, restricted to the fields named. */
export type AnswerCheck = (answers: InitAnswers, fields: readonly string[]) => string[];

/** Lines for the person at the terminal (stderr), apart from the questions themselves. */
export type Say = (line: string) => void;

/** Placeholders for the questions not yet asked: valid, so that a check sees only the real answer's problems. */
const PLACEHOLDER: InitAnswers = {
  name: 'placeholder',
  serverName: 'placeholder.example.eu',
  adminContact: 'admin@placeholder.example.eu',
  target: { kind: 'hetzner', location: 'fsn1', sshKeys: ['placeholder'], adminCidrs: ['198.51.100.0/24'] },
  backup: { kind: 'default' },
  identity: { mode: 'local' },
  federation: { mode: 'closed' },
  turn: true,
};
const PLACEHOLDER_BUCKET = { kind: 's3', endpoint: 'https://s3.placeholder.example.eu', bucket: 'placeholder', region: 'placeholder' } as const;

/**
 * Asks for every answer the flags did not give, in the order a person thinks about them. Each
 * answer is checked at once by the real validator (through `check`) and asked again, with the
 * validator's message, until it is valid. `extraCheck` adds checks of its own (the default file
 * already existing for a name).
 */
export async function askAnswers(
  flags: InitFlags,
  io: InitIO,
  say: Say,
  check: AnswerCheck,
  extraCheck: { name?: (name: string) => string | undefined } = {},
): Promise<InitAnswers> {
  let draft: InitAnswers = PLACEHOLDER;

  /** Asks until the answer is valid; a flag's value is the first answer. */
  const question = async (
    text: string,
    given: string | undefined,
    options: { default?: string; valid: (answer: string) => string[] },
  ): Promise<string> => {
    let candidate = given;
    for (;;) {
      if (candidate === undefined) {
        const answer = await io.ask(`${text}${options.default !== undefined ? ` [${options.default}]` : ''}: `);
        if (answer === undefined) throw new InitUsageError(`no answer to '${text}' (end of input); nothing was written`);
        candidate = answer === '' ? options.default : answer;
        if (candidate === undefined) {
          say('  an answer is needed');
          continue;
        }
      }
      const problems = options.valid(candidate);
      if (problems.length === 0) return candidate;
      problems.forEach((p) => say(`  ${p}`));
      candidate = undefined;
    }
  };
  const field = (fields: string[], apply: (answer: string) => InitAnswers) => (answer: string) => check(apply(answer), fields);
  const choice = <T extends string>(choices: readonly T[]) => (answer: string) =>
    choices.includes(answer as T) ? [] : [`'${answer}' is not one of ${choices.join(', ')}`];
  const list = (answer: string) =>
    answer
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');

  say('A few questions make a deployment file; Enter takes the [default]. Everything else has a default');
  say('that the file names in its comments. Ctrl-C stops without writing anything.');

  const name = await question('Deployment name (lower case, used in resource names, e.g. ministry)', flags.name, {
    valid: (answer) => {
      const problems = check({ ...draft, name: answer }, ['name']);
      const taken = problems.length === 0 ? extraCheck.name?.(answer) : undefined;
      return taken ? [taken] : problems;
    },
  });
  draft = { ...draft, name };
  const serverName = await question('Matrix server name, the domain in user IDs (e.g. ministry.example.eu)', flags.serverName, {
    valid: field(['server_name'], (answer) => ({ ...draft, serverName: answer })),
  });
  draft = { ...draft, serverName };
  const adminContact = await question("Administrators' e-mail address (shown to users, used for certificates)", flags.adminContact, {
    valid: field(['admin_contact'], (answer) => ({ ...draft, adminContact: answer })),
  });
  draft = { ...draft, adminContact };

  const target = await question(`Where it runs: ${TARGETS.join(' (a new server) or ')} (an existing cluster)`, flags.target, { valid: choice(TARGETS) });
  if (target === 'hetzner') {
    const location = await question('Hetzner location: fsn1 (Falkenstein), nbg1 (Nuremberg) or hel1 (Helsinki)', flags.location, {
      valid: field(['target.hetzner.location'], (answer) => ({ ...draft, target: { ...hetzner(draft), location: answer } })),
    });
    draft = { ...draft, target: { ...hetzner(draft), location } };
    const sshKeys = await question('Names of SSH keys in the Hetzner project, comma-separated', flags.sshKey?.join(', '), {
      valid: field(['target.hetzner.ssh_keys'], (answer) => ({ ...draft, target: { ...hetzner(draft), sshKeys: list(answer) } })),
    });
    draft = { ...draft, target: { ...hetzner(draft), sshKeys: list(sshKeys) } };
    const adminCidrs = await question('Networks allowed to reach SSH and the Kubernetes API, comma-separated (e.g. 198.51.100.0/24)', flags.adminCidr?.join(', '), {
      valid: field(['target.hetzner.admin_cidrs'], (answer) => ({ ...draft, target: { ...hetzner(draft), adminCidrs: list(answer) } })),
    });
    draft = { ...draft, target: { ...hetzner(draft), adminCidrs: list(adminCidrs) } };
    // On Hetzner the backup bucket has a default; it is asked for only when the flags started to name another.
    const bucketGiven = [flags.backupEndpoint, flags.backupBucket, flags.backupRegion].some((v) => v !== undefined);
    if (flags.backup === false || bucketGiven) draft = { ...draft, backup: await askBucket() };
  } else {
    const context = await question('kubeconfig context of the cluster', flags.context, {
      valid: field(['target.kubernetes.context'], (answer) => ({ ...draft, target: { kind: 'kubernetes', context: answer }, backup: PLACEHOLDER_BUCKET })),
    });
    draft = { ...draft, target: { kind: 'kubernetes', context }, backup: PLACEHOLDER_BUCKET };
    draft = { ...draft, backup: await askBucket() };
  }

  async function askBucket(): Promise<InitAnswers['backup']> {
    if (flags.backup === false) return { kind: 'off' };
    const endpoint = await question(
      "Backup bucket: the S3 endpoint (https://..., in the EU), or 'off' for a throwaway deployment without backups",
      flags.backupEndpoint,
      { valid: (answer) => (answer === 'off' ? [] : field(['backup.s3.endpoint'], (a) => ({ ...draft, backup: { ...PLACEHOLDER_BUCKET, endpoint: a } }))(answer)) },
    );
    if (endpoint === 'off') return { kind: 'off' };
    const bucket = await question('Backup bucket name (create it before deploying)', flags.backupBucket, {
      valid: field(['backup.s3.bucket'], (answer) => ({ ...draft, backup: { ...PLACEHOLDER_BUCKET, bucket: answer } })),
    });
    const region = await question('Backup bucket region (e.g. fsn1, eu-central-1, fr-par, gra)', flags.backupRegion, {
      valid: field(['backup.s3.region'], (answer) => ({ ...draft, backup: { ...PLACEHOLDER_BUCKET, region: answer } })),
    });
    return { kind: 's3', endpoint, bucket, region };
  }

  const identityMode = await question(
    'How users log in: local (accounts in the kit), keycloak (a bundled Keycloak) or oidc (your own provider)',
    flags.identity,
    { default: INIT_DEFAULTS.identity, valid: choice(IDENTITY_MODES) },
  );
  if (identityMode === 'oidc') {
    const oidc: { issuer: string; clientId: string; clientSecretEnv: string } = {
      issuer: 'https://placeholder.example.eu',
      clientId: 'placeholder',
      clientSecretEnv: INIT_DEFAULTS.oidcClientSecretEnv,
    };
    const withOidc = (change: Partial<typeof oidc>): InitAnswers => ({ ...draft, identity: { mode: 'oidc', ...oidc, ...change } });
    oidc.issuer = await question('OIDC issuer URL, exactly as in the discovery document', flags.oidcIssuer, {
      valid: field(['identity.oidc.issuer'], (answer) => withOidc({ issuer: answer })),
    });
    oidc.clientId = await question('OIDC client ID', flags.oidcClientId, { valid: field(['identity.oidc.client_id'], (answer) => withOidc({ clientId: answer })) });
    oidc.clientSecretEnv = await question('Environment variable that will hold the client secret at deploy time', flags.oidcClientSecretEnv, {
      default: INIT_DEFAULTS.oidcClientSecretEnv,
      valid: field(['identity.oidc.client_secret_env'], (answer) => withOidc({ clientSecretEnv: answer })),
    });
    draft = withOidc({});
  } else {
    draft = { ...draft, identity: { mode: identityMode as 'local' | 'keycloak' } };
  }

  const federationMode = await question('Federation with other Matrix servers: closed, allow_list or open', flags.federation, {
    default: INIT_DEFAULTS.federation,
    valid: choice(FEDERATION_MODES),
  });
  if (federationMode === 'allow_list') {
    const allow = await question('Server names allowed to federate, comma-separated', flags.allow?.join(', '), {
      valid: field(['federation.allow'], (answer) => ({ ...draft, federation: { mode: 'allow_list', allow: list(answer) } })),
    });
    draft = { ...draft, federation: { mode: 'allow_list', allow: list(allow) } };
  } else {
    draft = { ...draft, federation: { mode: federationMode as 'closed' | 'open' } };
  }

  const turn =
    flags.turn === false
      ? 'n'
      : await question('Run a TURN server for voice and video calls? (y/n)', undefined, {
          default: 'y',
          valid: (answer) => (/^(y|yes|n|no)$/i.test(answer) ? [] : [`'${answer}' is not y or n`]),
        });
  return { ...draft, turn: /^y/i.test(turn) };
}

function hetzner(draft: InitAnswers) {
  return draft.target.kind === 'hetzner' ? draft.target : (PLACEHOLDER.target as Extract<InitAnswers['target'], { kind: 'hetzner' }>);
}
