import { parse } from 'yaml';
import { deploymentYaml, scalar, type InitAnswers } from '../../src/init/generate';
import { problemsOf } from '../helpers';

const SCHEMA = { ref: '../src/config/deployment.schema.json' };

const BASE: InitAnswers = {
  name: 'ministry',
  serverName: 'ministry.example.eu',
  adminContact: 'ops@ministry.example.eu',
  target: { kind: 'hetzner', location: 'fsn1', sshKeys: ['ops-team'], adminCidrs: ['198.51.100.0/24', '2001:db8:1234::/48'] },
  backup: { kind: 'default' },
  identity: { mode: 'local' },
  federation: { mode: 'closed' },
  turn: true,
};

const TARGETS: InitAnswers['target'][] = [
  BASE.target,
  { kind: 'hetzner', location: 'hel1', sshKeys: ['ops', 'second key'], adminCidrs: ['203.0.113.0/24'] },
  { kind: 'kubernetes', context: 'agency-prod' },
];
const BACKUPS: InitAnswers['backup'][] = [
  { kind: 'default' },
  { kind: 'off' },
  { kind: 's3', endpoint: 'https://s3.gra.io.cloud.ovh.net', bucket: 'ministry-backups', region: 'gra' },
];
const IDENTITIES: InitAnswers['identity'][] = [
  { mode: 'local' },
  { mode: 'keycloak' },
  { mode: 'oidc', issuer: 'https://login.example.eu/realms/staff', clientId: 'matrix', clientSecretEnv: 'MINISTRY_OIDC_SECRET' },
];
const FEDERATIONS: InitAnswers['federation'][] = [{ mode: 'closed' }, { mode: 'open' }, { mode: 'allow_list', allow: ['partner.example.eu', 'region.example.eu'] }];

/** Every combination init can produce; an existing cluster has no default bucket, so init never leaves it out there. */
const COMBINATIONS: InitAnswers[] = TARGETS.flatMap((target) =>
  BACKUPS.filter((backup) => !(target.kind === 'kubernetes' && backup.kind === 'default')).flatMap((backup) =>
    IDENTITIES.flatMap((identity) =>
      FEDERATIONS.flatMap((federation) => [true, false].map((turn): InitAnswers => ({ ...BASE, target, backup, identity, federation, turn }))),
    ),
  ),
);

const label = (a: InitAnswers) => `${a.target.kind} backup=${a.backup.kind} ${a.identity.mode} ${a.federation.mode} turn=${a.turn}`;

describe('deploymentYaml', () => {
  it('covers every target, backup, identity, federation and TURN choice', () => {
    expect(COMBINATIONS).toHaveLength(2 * 3 * 3 * 3 * 2 + 2 * 3 * 3 * 2);
  });

  it.each(COMBINATIONS.map((a) => [label(a), a] as const))('writes a valid file: %s', (_label, answers) => {
    const text = deploymentYaml(answers, SCHEMA);
    expect(problemsOf(text)).toEqual([]);
  });

  it.each(COMBINATIONS.map((a) => [label(a), a] as const))('writes exactly the answers: %s', (_label, answers) => {
    const data = parse(deploymentYaml(answers, SCHEMA));
    expect(data.name).toBe(answers.name);
    expect(data.server_name).toBe(answers.serverName);
    expect(data.admin_contact).toBe(answers.adminContact);
    if (answers.target.kind === 'hetzner') {
      expect(data.target).toEqual({ hetzner: { location: answers.target.location, ssh_keys: answers.target.sshKeys, admin_cidrs: answers.target.adminCidrs } });
    } else {
      expect(data.target).toEqual({ kubernetes: { context: answers.target.context } });
    }
    expect(data.identity.mode).toBe(answers.identity.mode);
    expect(data.federation.mode).toBe(answers.federation.mode);
    expect(data.calls).toEqual({ turn: answers.turn });
    expect(data.backup).toEqual(
      answers.backup.kind === 'default' ? undefined : answers.backup.kind === 'off' ? { enabled: false } : { s3: { endpoint: 'https://s3.gra.io.cloud.ovh.net', bucket: 'ministry-backups', region: 'gra' } },
    );
  });

  it('starts with the schema modeline, then the note that explains it', () => {
    const lines = deploymentYaml(BASE, { ref: '/opt/kit/src/config/deployment.schema.json', note: 'Why this path.' }).split('\n');
    expect(lines.slice(0, 2)).toEqual(['# yaml-language-server: $schema=/opt/kit/src/config/deployment.schema.json', '# Why this path.']);
    expect(deploymentYaml(BASE, SCHEMA).split('\n')[0]).toBe('# yaml-language-server: $schema=../src/config/deployment.schema.json');
  });

  it('explains the defaults it leaves out', () => {
    const text = deploymentYaml(BASE, SCHEMA);
    for (const mention of [
      'chat.ministry.example.eu (Element Web)',
      'size (default small',
      'relay_ports (UDP 49160-49259)',
      'Hetzner Object Storage in fsn1 (bucket ministry-backups',
      'Nightly at 02:30 UTC',
      'SOVEREIGN_MATRIX_BACKUP_PASSPHRASE',
      'closed (the default)',
      'local (the default)',
      "tls (Let's Encrypt)",
    ]) {
      expect(text.replace(/\n# /g, ' ')).toContain(mention);
    }
  });

  it('keeps comment lines short', () => {
    for (const answers of COMBINATIONS) {
      const long = deploymentYaml(answers, SCHEMA)
        .split('\n')
        .filter((line) => /^\s*#/.test(line) && line.length > 100 && !line.includes('$schema='));
      expect(long).toEqual([]);
    }
  });

  it('is deterministic', () => {
    expect(deploymentYaml(BASE, SCHEMA)).toBe(deploymentYaml({ ...BASE }, SCHEMA));
  });
});

describe('scalar', () => {
  it.each(['ops-team', 'fsn1', 'https://login.example.eu/realms/x', '2001:db8::/48', 'ops@example.eu'])('leaves %s plain', (value) => {
    expect(scalar(value)).toBe(value);
  });

  it.each(['true', 'no', '1.0', '123', 'null', 'a: b', 'a, b', '#x', '[x]', 'ops key', "it's", '', '~', '-x'])('writes %j so that it reads back as itself', (value) => {
    const written = scalar(value);
    expect(parse(`key: ${written}`).key).toBe(value);
    expect(parse(`key: [${written}]`).key).toEqual([value]);
  });
});
