import { missingCredentials } from '../../src/operations/requirements';
import { deployPreview } from '../../src/operations/preview';
import { hetznerMonthlyCost, totalMonthly } from '../../src/pricing/hetzner';
import { CLUSTER_BACKUP_YAML, specOf, VALID_YAML } from '../helpers';

const K8S = VALID_YAML.replace(/target:\n(  .*\n)+/, 'target:\n  kubernetes:\n    context: prod\n    ingress_class: nginx\n') + CLUSTER_BACKUP_YAML;
const OIDC = 'identity:\n  mode: oidc\n  oidc:\n    issuer: https://id.example.eu\n    client_id: matrix\n    client_secret_env: MINISTRY_OIDC_SECRET\n';
const S3_STATE = 'state:\n  s3:\n    endpoint: https://fsn1.your-objectstorage.com\n    bucket: ministry-state\n    region: fsn1\n';

/** The variable names in the `deploy needs:` block. */
function neededNames(lines: readonly string[]): string[] {
  const start = lines.indexOf('deploy needs:');
  return lines
    .slice(start + 1)
    .filter((l) => /^ {2}[A-Za-z0-9_]+ {2,}/.test(l))
    .map((l) => l.trim().split(/\s+/)[0]);
}

describe('what validate says deploy will need', () => {
  it('prices a Hetzner deployment from the price table', () => {
    const spec = specOf(VALID_YAML);
    const total = totalMonthly(hetznerMonthlyCost('cx43', 50)).toFixed(2);
    expect(deployPreview(spec)[0]).toBe(
      `cost: EUR ${total} a month (Server cx43 15.99, Primary IPv4 0.50, Volume 50 GiB 2.86; Hetzner list prices effective 2026-06-15, excluding VAT; the backup bucket is billed by its provider)`,
    );
    const custom = specOf(VALID_YAML.replace('    location: fsn1\n', '    location: fsn1\n    server_type: ccx33\n    volume_size_gib: 100\n'));
    expect(deployPreview(custom)[0]).toContain(`EUR ${totalMonthly(hetznerMonthlyCost('ccx33', 100)).toFixed(2)} a month (Server ccx33 138.49`);
  });

  it('prices an OpenStack deployment only as far as sourced prices go, naming the rest', () => {
    const os = (cloud: string, region: string) =>
      specOf(VALID_YAML.replace(/target:\n(  .*\n)+/, `target:\n  openstack:\n    cloud: ${cloud}\n    region: ${region}\n    image: Debian 12\n    external_network: Ext-Net\n    key_pair: ops\n    admin_cidrs: [198.51.100.0/24]\n`) + CLUSTER_BACKUP_YAML);
    expect(deployPreview(os('ovhcloud', 'GRA11'))[0]).toBe(
      'cost: at least EUR 149.36 a month (Server b3-32 149.36; ovhcloud list prices of 2026-10-28, excluding VAT; not priced (no sourced price): Volume 50 GiB, Floating IPv4)',
    );
    expect(deployPreview(os('cleura', 'Sto2'))[0]).toBe('cost: not priced (no sourced price): Server b.8c24gb, Volume 50 GiB, Floating IPv4');
    expect(deployPreview(os('cleura', 'Sto2')).join('\n')).toContain('in region Sto2 of the project: the key pair ops, the image Debian 12, the external network Ext-Net, the flavour b.8c24gb');
  });

  it('states the capacity an existing cluster must have instead of a price', () => {
    expect(deployPreview(specOf(K8S))[0]).toMatch(/^cost: the cluster's; this deployment needs at least \d+ vCPU and [\d.]+ GiB schedulable$/);
  });

  it.each([
    ['Hetzner', VALID_YAML],
    ['Hetzner with OIDC and S3 state', VALID_YAML + OIDC + S3_STATE],
    ['an existing cluster with TURN and OIDC', K8S + OIDC],
    ['Hetzner without backups', `${VALID_YAML}backup:\n  enabled: false\n`],
  ])('names exactly the variables the preflight checks (%s)', (_, text) => {
    const spec = specOf(text);
    const checked = missingCredentials(spec, { engine: 'tofu', stateEncryption: true, env: {} }).map((m) => m.split(' ')[0]);
    expect(neededNames(deployPreview(spec))).toEqual(checked);
  });

  it('does not depend on the environment and never prints a value', () => {
    const spec = specOf(K8S + OIDC);
    const before = deployPreview(spec);
    const saved = { ...process.env };
    try {
      Object.assign(process.env, { MINISTRY_OIDC_SECRET: 'oidc-secret-value', TF_VAR_turn_public_ipv4: '95.217.1.10', KUBECONFIG: '/elsewhere' });
      const after = deployPreview(spec);
      expect(after).toEqual(before);
      expect(after.join('\n')).not.toMatch(/oidc-secret-value|95\.217\.1\.10|elsewhere/);
    } finally {
      process.env = saved;
    }
  });

  it('lists what must exist beforehand: SSH keys and buckets on Hetzner, cert-manager and the IngressClass on a cluster', () => {
    const hetzner = deployPreview(specOf(VALID_YAML + S3_STATE));
    expect(hetzner).toContain('  SSH key ops uploaded to the Hetzner project');
    expect(hetzner).toContain('  the bucket ministry-backups at https://fsn1.your-objectstorage.com, created beforehand (backups)');
    expect(hetzner).toContain('  the bucket ministry-state at https://fsn1.your-objectstorage.com, created beforehand with versioning on (state)');
    expect(deployPreview(specOf(K8S))).toContain('  cert-manager 1.10 or later in the cluster (its CRDs must exist when OpenTofu plans), and the IngressClass nginx');
  });

  it('prints the records to create with dns.mode manual, and the zone with Hetzner DNS', () => {
    const manual = deployPreview(specOf(VALID_YAML));
    const start = manual.findIndex((l) => l.startsWith('DNS records to create'));
    expect(manual.slice(start + 1, start + 3)).toEqual(['  ministry.example.eu. 300 IN A <server IPv4>', '  ministry.example.eu. 300 IN AAAA <server IPv6>']);
    expect(manual.filter((l) => / IN (A|AAAA) /.test(l))).toHaveLength(10);
    expect(manual).toContain('  turn.ministry.example.eu. 300 IN A <server IPv4>');

    const zone = deployPreview(specOf(`${VALID_YAML}dns:\n  mode: hetzner\n`));
    expect(zone).toContain(
      "DNS: deploy creates the A and AAAA records in the Hetzner DNS zone ministry.example.eu (its name servers must be Hetzner's): ministry.example.eu, matrix.ministry.example.eu, chat.ministry.example.eu, auth.ministry.example.eu, turn.ministry.example.eu",
    );
  });

  it('on an existing cluster points the public names at the ingress and TURN at its public address', () => {
    const lines = deployPreview(specOf(K8S));
    expect(lines).toContain('  matrix.ministry.example.eu. 300 IN A <ingress>');
    expect(lines).toContain('  turn.ministry.example.eu. 300 IN A <TF_VAR_turn_public_ipv4>');
    expect(lines.join('\n')).not.toMatch(/turn\.ministry\.example\.eu\. 300 IN A <ingress>/);
  });

  it('says what TURN over TLS needs on an existing cluster', () => {
    const manual = deployPreview(specOf(K8S)).join('\n');
    expect(manual).toContain('TURN over TLS (turns:turn.ministry.example.eu:5349) needs a certificate for turn.ministry.example.eu that the kit cannot obtain');
    expect(manual).toContain("Until it exists coturn opens no TLS listener: TURN runs over UDP and TCP only, and deploy's self-check fails on port 5349 (exit 13).");
    expect(manual).toContain(
      '  Once deploy has created the namespace: kubectl -n matrix-ministry-turn create secret tls turn-tls --cert=<file> --key=<file> && kubectl -n matrix-ministry-turn rollout restart deploy/coturn',
    );

    const issuer = deployPreview(specOf(`${K8S}tls:\n  cluster_issuer: internal-ca\n`)).join('\n');
    expect(issuer).toContain(
      'TURN over TLS (turns:turn.ministry.example.eu:5349): cert-manager issues the Secret turn-tls in matrix-ministry-turn through ClusterIssuer internal-ca, which must validate turn.ministry.example.eu without the ingress (DNS-01 or an internal CA)',
    );
    expect(issuer).not.toContain('kubectl');

    expect(deployPreview(specOf(`${K8S}calls:\n  turn: false\n`)).join('\n')).not.toMatch(/TURN|turn_public/);
    expect(deployPreview(specOf(VALID_YAML)).join('\n')).not.toContain('TURN over TLS');
  });
});
