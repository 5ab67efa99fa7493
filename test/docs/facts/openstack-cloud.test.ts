/** The OpenStack cloud facts (src/docs/facts/openstack-cloud.ts): provider, place, jurisdiction, claimed certifications. */
import { CLOUD_CLAIMS, openstackCloud, openstackRegion } from '../../../src/docs/facts/openstack-cloud';
import { specOf, VALID_YAML, CLUSTER_BACKUP_YAML } from '../../helpers';
import { alter, generated } from './helpers';

const FILE = 'deployments/ministry-openstack.yaml';

describe('the OpenStack cloud of deployments/ministry-openstack.yaml', () => {
  it('names the offer, the region read from the provider block, its place and the jurisdiction', () => {
    const { synth } = generated(FILE);
    expect(openstackRegion(synth)).toBe('GRA11');
    expect(openstackCloud(synth)).toMatchObject({
      title: 'OVHcloud Public Cloud (OpenStack)',
      region: 'GRA11',
      place: 'Gravelines, France',
      jurisdiction: 'France (EU); GDPR applies',
    });
  });

  it('claims only certifications with a source, and says SecNumCloud is not this offer’s', () => {
    const cloud = openstackCloud(generated(FILE).synth)!;
    expect(cloud.certifications.map((c) => c.name)).toEqual(['HDS (Hébergeur de Données de Santé, France)']);
    for (const c of cloud.certifications) expect(c.source).toMatch(/^https:\/\//);
    expect(cloud.note).toMatch(/claims no SecNumCloud/);
    expect(cloud.certifications.some((c) => /SecNumCloud/.test(c.name))).toBe(false);
  });

  it('follows the region in the JSON, not the file', () => {
    const { synth } = generated(FILE);
    const moved = alter(synth, (stacks) => {
      stacks.infra.provider.openstack[0].region = 'SBG5';
    });
    expect(openstackCloud(moved)).toMatchObject({ region: 'SBG5', place: 'Strasbourg, France' });
  });
});

describe('cloud claims', () => {
  it('every claim of every known cloud has a source, and Cleura, without one, claims nothing', () => {
    for (const claims of Object.values(CLOUD_CLAIMS)) {
      for (const c of claims.certifications) expect(c.source).toMatch(/^https:\/\//);
      expect(claims.checked).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
    expect(CLOUD_CLAIMS.otc.certifications.map((c) => c.name)).toContain('BSI C5 (ISAE 3000 attestation)');
    expect(CLOUD_CLAIMS.cleura.certifications).toEqual([]);
  });

  it('knows nothing of a generic cloud’s operator, and says so', () => {
    const spec = specOf(
      `${VALID_YAML.replace(/target:\n(  .*\n)+/, 'target:\n  openstack:\n    cloud: generic\n    auth_url: https://keystone.ministry.example.eu/v3\n    region: RegionOne\n    flavor: m1.xlarge\n    image: debian-12\n    external_network: public\n    key_pair: ops\n    admin_cidrs: [198.51.100.0/24]\n')}${CLUSTER_BACKUP_YAML}`,
    );
    const synth = { spec, stacks: [{ name: 'x-infra', layer: 'infra' as const, json: { provider: { openstack: [{ region: 'RegionOne' }] } } }] };
    expect(openstackCloud(synth)).toMatchObject({ certifications: [], operator: 'the operator of https://keystone.ministry.example.eu/v3' });
    expect(openstackCloud(synth)?.place).toMatch(/not known to the kit/);
  });

  it('is absent off OpenStack', () => {
    expect(openstackCloud(generated('deployments/example.yaml').synth)).toBeUndefined();
  });
});

describe('the reference architecture of an OpenStack deployment', () => {
  const md = () => {
    const { ref } = generated(FILE);
    return ref.files[`${ref.name}.md`];
  };

  it('states cloud, region, jurisdiction, certifications and their sources', () => {
    const text = md();
    expect(text).toContain('OVHcloud Public Cloud (OpenStack), region `GRA11` (Gravelines, France)');
    expect(text).toContain('jurisdiction: France (EU); GDPR applies');
    expect(text).toContain('| HDS (Hébergeur de Données de Santé, France) |');
    expect(text).toContain('this deployment claims no SecNumCloud');
  });

  it('prices only what has a source, and lists the rest as not priced', () => {
    const text = md();
    expect(text).toContain('| Server b3-32 | 1 | 149.36 |');
    expect(text).toMatch(/\| Volume \| 50 GiB \| not priced: /);
    expect(text).toMatch(/\| Floating IPv4 \| 1 \| not priced: /);
  });

  it('shows the security group rules with what listens behind them', () => {
    const text = md();
    expect(text).toContain('openstack_networking_secgroup_rule_v2');
    expect(text).toMatch(/\| tcp \| 6443 \| 198\.51\.100\.0\/24, 2001:db8:1234::\/48 \| k3s API server \|/);
    expect(text).toMatch(/\| tcp \| 443 \| 0\.0\.0\.0\/0, ::\/0 \| Traefik \(k3s ingress\) \|/);
  });
});
