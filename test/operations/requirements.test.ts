import { join } from 'node:path';
import { missingCredentials } from '../../src/operations/requirements';
import { publicIpv4Problem } from '../../src/render/coturn';
import { CLUSTER_BACKUP_YAML, specOf, tempDir, VALID_YAML, STATE_S3_YAML as S3 } from '../helpers';

const K8S = VALID_YAML.replace(/target:\n(  .*\n)+/, 'target:\n  kubernetes:\n    context: prod\n    kubeconfig: /nonexistent/kubeconfig\n') + CLUSTER_BACKUP_YAML;

describe('credentials are checked before anything runs', () => {
  const base = { engine: 'tofu' as const, stateEncryption: true };
  /** The backup bucket's key and the passphrase, which every deployment with backups needs. */
  const BACKUP = {
    SOVEREIGN_MATRIX_BACKUP_ACCESS_KEY_ID: 'x',
    SOVEREIGN_MATRIX_BACKUP_SECRET_ACCESS_KEY: 'x',
    SOVEREIGN_MATRIX_BACKUP_PASSPHRASE: 'sixteen-chars-long',
  };

  it('names every missing variable for a Hetzner deployment, never a value', () => {
    const missing = missingCredentials(specOf(VALID_YAML), { ...base, env: {} });
    expect(missing.map((m) => m.split(' ')[0])).toEqual([
      'HCLOUD_TOKEN',
      'SOVEREIGN_MATRIX_BACKUP_ACCESS_KEY_ID',
      'SOVEREIGN_MATRIX_BACKUP_SECRET_ACCESS_KEY',
      'SOVEREIGN_MATRIX_BACKUP_PASSPHRASE',
      'SOVEREIGN_MATRIX_STATE_PASSPHRASE',
    ]);
    expect(missing.join('\n')).not.toContain('sixteen');
    expect(missingCredentials(specOf(VALID_YAML), { ...base, env: { ...BACKUP, HCLOUD_TOKEN: 'x', SOVEREIGN_MATRIX_STATE_PASSPHRASE: 'short' } })).toEqual([
      expect.stringMatching(/too short/),
    ]);
    expect(missingCredentials(specOf(VALID_YAML), { ...base, stateEncryption: false, env: { ...BACKUP, HCLOUD_TOKEN: 'x' } })).toEqual([]);
    expect(missingCredentials(specOf(VALID_YAML), { ...base, stateEncryption: false, env: { ...BACKUP, HCLOUD_TOKEN: 'x', SOVEREIGN_MATRIX_BACKUP_PASSPHRASE: 'short' } })).toEqual([
      expect.stringMatching(/^SOVEREIGN_MATRIX_BACKUP_PASSPHRASE is too short/),
    ]);
    const off = `${VALID_YAML}backup:\n  enabled: false\n`;
    expect(missingCredentials(specOf(off), { ...base, stateEncryption: false, env: { HCLOUD_TOKEN: 'x' } })).toEqual([]);
  });

  it('takes OpenStack credentials from OS_CLOUD or the openrc variables, naming what is missing, never a value', () => {
    const openstack = specOf(
      VALID_YAML.replace(/target:\n(  .*\n)+/, 'target:\n  openstack:\n    cloud: ovhcloud\n    region: GRA11\n    image: Debian 12\n    external_network: Ext-Net\n    key_pair: ops\n    admin_cidrs: [198.51.100.0/24]\n') +
        'backup:\n  enabled: false\n',
    );
    const check = (env: NodeJS.ProcessEnv) => missingCredentials(openstack, { ...base, stateEncryption: false, env });
    expect(check({})).toEqual([
      'OpenStack credentials are incomplete (OS_AUTH_URL, OS_USERNAME, OS_PASSWORD not set): export OS_CLOUD with a clouds.yaml entry, or source the project\'s openrc file (an application credential is best)',
    ]);
    expect(check({ OS_CLOUD: 'ovh-gra' })).toEqual([]);
    expect(check({ OS_AUTH_URL: 'https://auth.example/v3', OS_USERNAME: 'u', OS_PASSWORD: 'secret-value' })).toEqual([]);
    expect(check({ OS_AUTH_URL: 'https://auth.example/v3', OS_APPLICATION_CREDENTIAL_ID: 'id' })).toEqual([expect.stringMatching(/OS_APPLICATION_CREDENTIAL_SECRET not set/)]);
    expect(check({ OS_AUTH_URL: 'https://auth.example/v3', OS_USERNAME: 'u', OS_PASSWORD: 'secret-value' }).join('')).not.toContain('secret-value');
    expect(check({ OS_PASSWORD: 'secret-value' }).join('')).not.toContain('secret-value');
    // No HCLOUD_TOKEN is asked for off Hetzner.
    expect(check({ OS_CLOUD: 'x' }).join('')).not.toContain('HCLOUD');
  });

  it("asks for the alert mail relay's password when the bundled Alertmanager logs in, naming it, never its value", () => {
    const mail = `${VALID_YAML}backup:\n  enabled: false\nmonitoring:\n  alert_email:\n    smarthost: smtp.ministry.example.eu:587\n    from: alerts@ministry.example.eu\n    to: ops@ministry.example.eu\n`;
    const env = { HCLOUD_TOKEN: 'x' };
    expect(missingCredentials(specOf(mail), { ...base, stateEncryption: false, env })).toEqual([]);
    const login = `${mail}    username: alerts\n`;
    expect(missingCredentials(specOf(login), { ...base, stateEncryption: false, env })).toEqual([
      expect.stringMatching(/^SOVEREIGN_MATRIX_SMTP_PASSWORD is not set: the bundled Alertmanager logs in to smtp\.ministry\.example\.eu:587 as alerts/),
    ]);
    expect(missingCredentials(specOf(login), { ...base, stateEncryption: false, env: { ...env, SOVEREIGN_MATRIX_SMTP_PASSWORD: 'relay-secret' } })).toEqual([]);
  });

  it('refuses encryption with Terraform unless turned off explicitly', () => {
    expect(missingCredentials(specOf(VALID_YAML), { engine: 'terraform', stateEncryption: true, env: { ...BACKUP, HCLOUD_TOKEN: 'x' } })[0]).toMatch(/needs OpenTofu/);
  });

  it('checks the kubeconfig context, the TURN address, the OIDC secret and the S3 keys', () => {
    const oidc = `${K8S}identity:\n  mode: oidc\n  oidc:\n    issuer: https://id.example.eu\n    client_id: matrix\n    client_secret_env: MINISTRY_OIDC_SECRET\n${S3}`;
    const missing = missingCredentials(specOf(oidc), { ...base, stateEncryption: false, env: {} });
    expect(missing.map((m) => m.split(' ')[0])).toEqual([
      'kubeconfig',
      'TF_VAR_turn_public_ipv4',
      'MINISTRY_OIDC_SECRET',
      'SOVEREIGN_MATRIX_BACKUP_ACCESS_KEY_ID',
      'SOVEREIGN_MATRIX_BACKUP_SECRET_ACCESS_KEY',
      'SOVEREIGN_MATRIX_BACKUP_PASSPHRASE',
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
    ]);
    const dir = tempDir();
    const kubeconfig = join(dir, 'config');
    require('node:fs').writeFileSync(kubeconfig, 'contexts:\n  - name: staging\n');
    const wrong = missingCredentials(specOf(oidc.replace('/nonexistent/kubeconfig', kubeconfig)), { ...base, stateEncryption: false, env: {} });
    expect(wrong[0]).toMatch(/context 'prod' .* is not in .* \(it has: staging\)/);
  });
});

describe('TF_VAR_turn_public_ipv4 is a public IPv4 address', () => {
  const TURN_ENV = { SOVEREIGN_MATRIX_BACKUP_ACCESS_KEY_ID: 'x', SOVEREIGN_MATRIX_BACKUP_SECRET_ACCESS_KEY: 'x', SOVEREIGN_MATRIX_BACKUP_PASSPHRASE: 'sixteen-chars-long' };
  const turnProblems = (address: string) =>
    missingCredentials(specOf(K8S), { engine: 'tofu', stateEncryption: false, env: { ...TURN_ENV, TF_VAR_turn_public_ipv4: address } }).filter((m) => !m.startsWith('kubeconfig'));

  it.each([
    ['10.1.2.3', '10.0.0.0/8', /private \(RFC 1918\)/],
    ['172.20.0.9', '172.16.0.0/12', /private/],
    ['192.168.1.10', '192.168.0.0/16', /private/],
    ['127.0.0.1', '127.0.0.0/8', /loopback/],
    ['169.254.169.254', '169.254.0.0/16', /link-local/],
    ['100.64.12.1', '100.64.0.0/10', /carrier-grade NAT/],
    ['192.0.2.10', '192.0.2.0/24', /documentation/],
    ['198.51.100.7', '198.51.100.0/24', /documentation/],
    ['203.0.113.200', '203.0.113.0/24', /documentation/],
    ['198.18.0.1', '198.18.0.0/15', /benchmarking/],
    ['0.0.0.0', '0.0.0.0/8', /this network/],
    ['224.0.0.1', '224.0.0.0/4', /multicast/],
    ['255.255.255.255', '240.0.0.0/4', /reserved/],
  ])('refuses %s (%s) before anything runs', (address, range, why) => {
    const problems = turnProblems(address);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`TF_VAR_turn_public_ipv4 '${address}' is not a public address: it is in ${range}, `);
    expect(problems[0]).toMatch(why);
    expect(problems[0]).toMatch(/clients on the internet cannot reach TURN there/);
  });

  it.each(['not-an-address', '2a01:4f8::1', '95.217.1.300', '95.217.1.10/32', ' 95.217.1.10'])('refuses %s as not an IPv4 address', (address) => {
    expect(turnProblems(address)).toEqual([expect.stringMatching(/^TF_VAR_turn_public_ipv4 '.*' is not an IPv4 address/)]);
  });

  it.each(['95.217.1.10', '1.1.1.1', '100.63.255.255', '100.128.0.0', '172.32.0.1', '192.169.0.1', '198.20.0.1', '223.255.255.254'])('accepts the public address %s', (address) => {
    expect(publicIpv4Problem(address)).toBeUndefined();
    expect(turnProblems(address)).toEqual([]);
  });
});
