import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import schema from '../../src/config/deployment.schema.json';
import { DEPLOYMENT_DEFAULTS, type DeploymentDefaults } from '../../src/config/deployment-file.generated';
import type { DeploymentSpec, KubernetesTarget } from '../../src/config/spec';
import { CLUSTER_BACKUP_YAML, specOf, VALID_YAML } from '../helpers';

const ROOT = join(__dirname, '..', '..');
const GENERATED = join(ROOT, 'src', 'config', 'deployment-file.generated.ts');

describe('src/config/deployment-file.generated.ts', () => {
  it('is up to date with deployment.schema.json', () => {
    const committed = readFileSync(GENERATED, 'utf8');
    // In a child process: see scripts/deployment-types.js for why not in Jest's sandbox.
    const fresh = execFileSync(process.execPath, [join(ROOT, 'scripts', 'deployment-types.js')], { encoding: 'utf8' });
    const committedLines = committed.split('\n');
    const freshLines = fresh.split('\n');
    const line = freshLines.findIndex((text, i) => text !== committedLines[i]);
    const status =
      committed === fresh
        ? 'up to date'
        : `stale from line ${(line === -1 ? freshLines.length : line) + 1}: run npm run schema:compile`;
    expect(status).toBe('up to date');
  });
});

type Path = keyof DeploymentDefaults;

/** A minimal valid file in which the field at the path is left out but would be read. */
const KUBERNETES_YAML = `${VALID_YAML.replace(/target:\n(  .*\n)+/, 'target:\n  kubernetes:\n    context: prod\n')}${CLUSTER_BACKUP_YAML}`;
const ALERT_EMAIL_YAML = `${VALID_YAML}monitoring:\n  alert_email:\n    smarthost: mail.example.eu:587\n    from: a@example.eu\n    username: alerts\n`;
// Group calls are off for the default size (small); a medium deployment runs them with every default.
const GROUP_CALLS_YAML = `${VALID_YAML}size: medium\n`;
// Backups off: the kit's backups cover the bundled PostgreSQL only (scale-rules.ts).
const CNPG_YAML = `${VALID_YAML.replace(/target:\n(  .*\n)+/, 'target:\n  kubernetes:\n    context: prod\n')}backup:\n  enabled: false\nscale:\n  postgres:\n    engine: cloudnative-pg\n`;
const OIDC_YAML = `${VALID_YAML}identity:\n  mode: oidc\n  oidc:\n    issuer: https://id.example.eu/realms/x\n    client_id: m\n    client_secret_env: S\n`;

/**
 * For each schema default: the minimal file to resolve, and where resolveDeployment puts the
 * field's value in the spec, written back the way the file writes it.
 */
const WHERE: Record<Path, { readonly yaml: string; readonly read: (spec: DeploymentSpec) => unknown }> = {
  'target.kubernetes.ingress_class': { yaml: KUBERNETES_YAML, read: (s) => (s.target as KubernetesTarget).ingressClass },
  size: { yaml: VALID_YAML, read: (s) => s.size.name },
  federation: { yaml: VALID_YAML, read: (s) => s.federation },
  identity: { yaml: VALID_YAML, read: (s) => s.identity },
  // The kit always asks for openid first; the field lists the scopes besides it.
  'identity.oidc.scopes': {
    yaml: OIDC_YAML,
    read: (s) => (s.identity.mode === 'oidc' ? s.identity.oidc.scopes.filter((scope) => scope !== 'openid') : undefined),
  },
  'calls.turn': { yaml: VALID_YAML, read: (s) => s.calls.turn },
  'calls.relay_ports': { yaml: VALID_YAML, read: (s) => s.calls.relayPorts },
  'calls.group.tcp_port': { yaml: GROUP_CALLS_YAML, read: (s) => (s.calls.group.enabled ? s.calls.group.tcpPort : undefined) },
  'calls.group.media_ports': { yaml: GROUP_CALLS_YAML, read: (s) => (s.calls.group.enabled ? s.calls.group.mediaPorts : undefined) },
  'calls.group.who_may_start': { yaml: GROUP_CALLS_YAML, read: (s) => (s.calls.group.enabled ? s.calls.group.whoMayStart : undefined) },
  dns: { yaml: VALID_YAML, read: (s) => s.dns },
  'tls.acme_server': { yaml: VALID_YAML, read: (s) => s.tls.acmeServer },
  'backup.enabled': { yaml: VALID_YAML, read: (s) => s.backup.enabled },
  'backup.time_utc': { yaml: VALID_YAML, read: (s) => (s.backup.enabled ? s.backup.timeUtc : undefined) },
  'backup.full_backup_day': { yaml: VALID_YAML, read: (s) => (s.backup.enabled ? s.backup.fullBackupDay : undefined) },
  'backup.retention.daily': { yaml: VALID_YAML, read: (s) => (s.backup.enabled ? s.backup.retention.daily : undefined) },
  'backup.retention.weekly': { yaml: VALID_YAML, read: (s) => (s.backup.enabled ? s.backup.retention.weekly : undefined) },
  'backup.retention.monthly': { yaml: VALID_YAML, read: (s) => (s.backup.enabled ? s.backup.retention.monthly : undefined) },
  'backup.passphrase_env': { yaml: VALID_YAML, read: (s) => (s.backup.enabled ? s.backup.passphraseEnv : undefined) },
  // On Hetzner the stack is always bundled; the default applies on an existing cluster.
  'monitoring.stack': { yaml: KUBERNETES_YAML, read: (s) => s.monitoring.stack },
  'monitoring.alert_email.password_env': { yaml: ALERT_EMAIL_YAML, read: (s) => s.monitoring.alertEmail?.auth?.passwordEnv },
  'monitoring.prometheus_operator.namespace': { yaml: KUBERNETES_YAML, read: (s) => s.monitoring.prometheusOperator.namespace },
  'monitoring.prometheus_operator.labels': { yaml: KUBERNETES_YAML, read: (s) => s.monitoring.prometheusOperator.labels },
  // auto: the small profile's preset, none.
  'scale.synapse_workers': { yaml: VALID_YAML, read: (s) => (s.scale.workers.preset === 'none' ? 'auto' : s.scale.workers.preset) },
  'scale.postgres.engine': { yaml: KUBERNETES_YAML, read: (s) => s.scale.postgres.engine },
  'scale.postgres.instances': { yaml: CNPG_YAML, read: (s) => (s.scale.postgres.engine === 'cloudnative-pg' ? s.scale.postgres.instances : undefined) },
};

/** The YAML text with the field at the dotted path set to a value (sections created as needed). */
function withField(yaml: string, path: string, value: unknown): string {
  const data = parse(yaml) as Record<string, unknown>;
  const keys = path.split('.');
  let node = data;
  for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
  node[keys[keys.length - 1]] = value;
  return stringify(data);
}

describe("the schema's defaults are what resolveDeployment applies", () => {
  const paths = Object.keys(DEPLOYMENT_DEFAULTS) as Path[];

  it.each(paths)('%s: a file that leaves it out resolves to the schema default', (path) => {
    const { yaml, read } = WHERE[path];
    expect(parse(yaml)).not.toHaveProperty(path.split('.'));
    expect(read(specOf(yaml))).toEqual(DEPLOYMENT_DEFAULTS[path]);
  });

  it.each(paths)('%s: leaving it out and writing the default give the same spec (and the default is valid)', (path) => {
    const { yaml } = WHERE[path];
    expect(specOf(withField(yaml, path, DEPLOYMENT_DEFAULTS[path]))).toEqual(specOf(yaml));
  });
});

describe('one home per default', () => {
  // A "Default: ..." sentence next to a `default` keyword would be a second copy that can drift;
  // the field reference prints the keyword's value. Derived defaults stay as prose.
  it('no field with a `default` keyword repeats it in its description', () => {
    const repeated: string[] = [];
    const walk = (node: Record<string, any>, prefix: string) => {
      for (const [key, child] of Object.entries<Record<string, any>>(node.properties ?? {})) {
        const path = prefix ? `${prefix}.${key}` : key;
        if (child.default !== undefined && /\bDefault:/.test(child.description ?? '')) repeated.push(path);
        walk(child, path);
      }
    };
    walk(schema, '');
    expect(repeated).toEqual([]);
  });
});
