import { parse } from 'yaml';
import { DEPLOYMENT_DEFAULTS as D } from '../config/deployment-file.generated';
import type { HetznerLocation } from '../config/spec';
import { BACKUP_CREDENTIAL_ENV } from '../render/backup';
import { TURN_PUBLIC_IPV4_ENV } from '../operations/requirements';

/** The answers `init` collects: the few choices a deployment cannot default. */
export interface InitAnswers {
  readonly name: string;
  readonly serverName: string;
  readonly adminContact: string;
  readonly target: HetznerAnswers | KubernetesAnswers;
  /** `default` leaves backup out of the file (on Hetzner: Object Storage in the server's location). */
  readonly backup: { readonly kind: 'default' } | { readonly kind: 'off' } | ({ readonly kind: 's3' } & BucketAnswers);
  readonly identity: { readonly mode: 'local' | 'keycloak' } | ({ readonly mode: 'oidc' } & OidcAnswers);
  readonly federation: { readonly mode: 'closed' | 'open' } | { readonly mode: 'allow_list'; readonly allow: readonly string[] };
  readonly turn: boolean;
}

export interface HetznerAnswers {
  readonly kind: 'hetzner';
  /** A string, not HetznerLocation: a wrong answer must reach the validator and its message. */
  readonly location: string;
  readonly sshKeys: readonly string[];
  readonly adminCidrs: readonly string[];
}

export interface KubernetesAnswers {
  readonly kind: 'kubernetes';
  readonly context: string;
}

export interface BucketAnswers {
  readonly endpoint: string;
  readonly bucket: string;
  readonly region: string;
}

export interface OidcAnswers {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecretEnv: string;
}

/** The yaml-language-server modeline's target and, when it needs one, a line saying why. */
export interface SchemaReference {
  readonly ref: string;
  readonly note?: string;
}

const LOCATIONS: Record<HetznerLocation, string> = { fsn1: 'Falkenstein (DE)', nbg1: 'Nuremberg (DE)', hel1: 'Helsinki (FI)' };

/**
 * The deployment file for a set of answers: the schema modeline, then each section with a short
 * comment saying what it does and which defaults were left out. Pure; `init` validates the text
 * with the real loader before it writes anything.
 */
export function deploymentYaml(answers: InitAnswers, schema: SchemaReference): string {
  const a = answers;
  const hostnames = [
    `matrix.${a.serverName} (API)`,
    `chat.${a.serverName} (Element Web)`,
    `auth.${a.serverName} (login)`,
    ...(a.identity.mode === 'keycloak' ? [`sso.${a.serverName} (Keycloak)`] : []),
    ...(a.turn ? [`turn.${a.serverName} (calls)`] : []),
  ];
  const lines: string[] = [
    `# yaml-language-server: $schema=${schema.ref}`,
    ...(schema.note ? comment(schema.note) : []),
    '#',
    ...comment('Written by `sovereign-matrix init`. Editors with the YAML language server complete and explain every field from the schema above; `sovereign-matrix validate` checks the file.'),
    '',
    ...comment('Short name used in stack, resource and namespace names; changing it replaces everything.'),
    `name: ${scalar(a.name)}`,
    ...comment(`The part after ':' in user IDs (@alice:${a.serverName}); it can never change after the first start. Left out: hostnames, by default ${hostnames.join(', ')}.`),
    `server_name: ${scalar(a.serverName)}`,
    ...comment('Shown to users, and the contact given to the certificate authority (tls.acme_email).'),
    `admin_contact: ${scalar(a.adminContact)}`,
    '',
    ...targetLines(a),
    '',
    ...federationLines(a),
    '',
    ...identityLines(a),
    '',
    ...callsLines(a),
    '',
    ...backupLines(a),
    '',
    ...comment(
      "Also left out: dns (manual: `validate` and `deploy` print the records to create; mode hetzner manages them in a Hetzner DNS zone), tls (Let's Encrypt), state (local files, encrypted), versions (the kit's pinned releases: `sovereign-matrix --version`) and extra.",
    ),
  ];
  return `${lines.join('\n')}\n`;
}

function targetLines(a: InitAnswers): string[] {
  if (a.target.kind === 'hetzner') {
    const place = LOCATIONS[a.target.location as HetznerLocation];
    return [
      ...comment(
        `A new Hetzner Cloud server running k3s${place ? ` in ${place}` : ''}. Left out: size (default ${D['size']}, up to 500 users; medium and large are the others), which chooses server_type and volume_size_gib.`,
      ),
      'target:',
      '  hetzner:',
      `    location: ${scalar(a.target.location)}`,
      '    # Names of SSH keys already uploaded to the Hetzner project.',
      `    ssh_keys: ${flowList(a.target.sshKeys)}`,
      '    # The only networks that reach SSH and the Kubernetes API.',
      `    admin_cidrs: ${flowList(a.target.adminCidrs)}`,
    ];
  }
  return [
    ...comment(
      `An existing Kubernetes cluster; the kit deploys the applications only. Left out: kubeconfig (KUBECONFIG or ~/.kube/config), storage_class (the cluster's default), ingress_class (${D['target.kubernetes.ingress_class']}) and size (default ${D['size']}, up to 500 users).`,
    ),
    'target:',
    '  kubernetes:',
    `    context: ${scalar(a.target.context)}`,
  ];
}

const FEDERATION_MODES = {
  closed: 'no other Matrix server may talk to this one',
  allow_list: 'only the servers in allow',
  open: 'any Matrix server may talk to this one',
} as const;

const IDENTITY_MODES = {
  local: 'accounts kept in Matrix Authentication Service (MAS), which every mode runs',
  keycloak: 'a bundled Keycloak realm behind MAS',
  oidc: 'an external OpenID Connect provider behind MAS',
} as const;

/** `closed (the default): what it is. Other modes: allow_list: ...; open: ....` */
function modes(table: Record<string, string>, chosen: string, fallback: string): string {
  const others = Object.entries(table)
    .filter(([mode]) => mode !== chosen)
    .map(([mode, what]) => `${mode}: ${what}`);
  return `${chosen}${chosen === fallback ? ' (the default)' : ''}: ${table[chosen]}. Other modes: ${others.join('; ')}.`;
}

function federationLines(a: InitAnswers): string[] {
  const f = a.federation;
  return [
    ...comment(modes(FEDERATION_MODES, f.mode, D['federation'].mode)),
    'federation:',
    `  mode: ${f.mode}`,
    ...(f.mode === 'allow_list' ? [`  allow: ${flowList(f.allow)}`] : []),
  ];
}

function identityLines(a: InitAnswers): string[] {
  const i = a.identity;
  const lines = [...comment(modes(IDENTITY_MODES, i.mode, D['identity'].mode)), 'identity:', `  mode: ${i.mode}`];
  if (i.mode !== 'oidc') return lines;
  return [
    ...lines,
    ...comment(
      `The client secret is never in this file: deploy reads it from ${i.clientSecretEnv}. Left out: display_name (the issuer's host name), scopes (${D['identity.oidc.scopes'].join(', ')}).`,
      96,
    ).map((line) => `  ${line}`),
    '  oidc:',
    `    issuer: ${scalar(i.issuer)}`,
    `    client_id: ${scalar(i.clientId)}`,
    `    client_secret_env: ${scalar(i.clientSecretEnv)}`,
  ];
}

function callsLines(a: InitAnswers): string[] {
  if (!a.turn) {
    return [...comment('No TURN server: calls work only between clients that reach each other directly.'), 'calls:', '  turn: false'];
  }
  const { min, max } = D['calls.relay_ports'];
  const cluster = a.target.kind === 'kubernetes' ? ` On an existing cluster, deploy needs the public IPv4 address coturn is reached at (${TURN_PUBLIC_IPV4_ENV}).` : '';
  return [...comment(`Voice and video calls through a TURN server (coturn). Left out: relay_ports (UDP ${min}-${max}).${cluster}`), 'calls:', '  turn: true'];
}

function backupLines(a: InitAnswers): string[] {
  const b = a.backup;
  const schedule = `Nightly at ${D['backup.time_utc']} UTC (time_utc), full on ${D['backup.full_backup_day']}s, ${D['backup.retention.daily']} days of point-in-time recovery (retention).`;
  const secrets = `Deploy reads the bucket's key from ${BACKUP_CREDENTIAL_ENV.accessKeyId} and ${BACKUP_CREDENTIAL_ENV.secretAccessKey}, the encryption passphrase from ${D['backup.passphrase_env']} (passphrase_env).`;
  if (b.kind === 'off') {
    return [...comment('No backups: only for a throwaway deployment (the reference architecture says so first).'), 'backup:', '  enabled: false'];
  }
  if (b.kind === 'default') {
    const where =
      a.target.kind === 'hetzner'
        ? `Hetzner Object Storage in ${a.target.location} (bucket ${a.name}-backups; create it before deploying)`
        : 'the bucket in backup.s3';
    return comment(
      `backup: left out, so backups are on, encrypted, to ${where}. ${schedule} ${secrets} Set backup.s3 (endpoint, bucket, region) for another bucket, or backup.enabled: false.`,
    );
  }
  return [
    ...comment(`Encrypted backups of PostgreSQL, media and the signing key to a bucket of their own (create it before deploying). ${schedule} ${secrets}`),
    'backup:',
    '  s3:',
    `    endpoint: ${scalar(b.endpoint)}`,
    `    bucket: ${scalar(b.bucket)}`,
    `    region: ${scalar(b.region)}`,
  ];
}

/** `# ` lines of at most about 100 characters; a '\n' in the text starts a new line. */
function comment(text: string, width = 98): string[] {
  return text.split('\n').flatMap((paragraph) => {
    const lines: string[] = [];
    let line = '';
    for (const word of paragraph.split(' ')) {
      if (line !== '' && line.length + 1 + word.length > width) {
        lines.push(`# ${line}`);
        line = word;
      } else {
        line = line === '' ? word : `${line} ${word}`;
      }
    }
    return [...lines, `# ${line}`];
  });
}

/**
 * A YAML scalar that reads back as exactly `value`: plain when that is unambiguous (also inside a
 * flow list), else double-quoted (a JSON string is a valid YAML double-quoted scalar).
 */
export function scalar(value: string): string {
  const plain = /^[A-Za-z0-9][A-Za-z0-9._/:@+-]*$/.test(value);
  if (plain) {
    try {
      if (parse(`[${value}]`)?.[0] === value) return value;
    } catch {
      // Not a plain scalar after all; quote it.
    }
  }
  return JSON.stringify(value);
}

function flowList(values: readonly string[]): string {
  return `[${values.map(scalar).join(', ')}]`;
}
