import { problemsOf, specOf } from '../helpers';

/** A valid OpenStack deployment; tests change one line at a time. */
const OPENSTACK_YAML = `name: ministry
server_name: ministry.example.eu
target:
  openstack:
    cloud: ovhcloud
    region: GRA11
    image: Debian 12
    external_network: Ext-Net
    key_pair: ops
    admin_cidrs: [198.51.100.0/24]
backup:
  s3: { endpoint: https://s3.gra.io.cloud.ovh.net, bucket: ministry-backups, region: gra }
admin_contact: ops@ministry.example.eu
`;

function withLine(oldLine: string, newLines: string): string {
  if (!OPENSTACK_YAML.includes(`${oldLine}\n`)) throw new Error(`fixture has no line ${oldLine}`);
  return OPENSTACK_YAML.replace(`${oldLine}\n`, `${newLines}\n`);
}

describe('target.openstack', () => {
  it('accepts an EU region of a known cloud', () => {
    expect(problemsOf(OPENSTACK_YAML)).toEqual([]);
  });

  it.each([
    ['ovhcloud', 'BHS5', 'Beauharnois, Canada'],
    ['ovhcloud', 'UK1', 'United Kingdom'],
    ['ovhcloud', 'SGP1', 'Singapore'],
    ['ovhcloud', 'US-EAST-VA-1', 'Virginia, USA'],
  ])('refuses %s region %s outside the EU, naming the place (%s), at its file:line', (cloud, region, place) => {
    const text = withLine('    cloud: ovhcloud', `    cloud: ${cloud}`).replace('    region: GRA11\n', `    region: ${region}\n`);
    const [problem, ...rest] = problemsOf(text);
    expect(rest).toEqual([]);
    expect(problem).toBe(
      `test.yaml:6:13: target.openstack.region: '${region}' is outside the EU (${place}); only EU regions are allowed ` +
        '(expected one of: GRA<n> (Gravelines, France), SBG<n> (Strasbourg, France), DE<n> (Germany), WAW<n> (Poland), EU-WEST-PAR (Paris, France))',
    );
  });

  it('refuses a region the kit does not know for the cloud, without guessing a place', () => {
    const text = withLine('    cloud: ovhcloud', '    cloud: cleura').replace('    region: GRA11\n', '    region: Sto-Com\n');
    expect(problemsOf(text)).toEqual([
      "test.yaml:6:13: target.openstack.region: 'Sto-Com' is not an EU region the kit knows for Cleura Public Cloud (OpenStack) " +
        '(expected one of: Kna1 (Karlskrona, Sweden), Sto2 (Stockholm, Sweden), Fra1 (Frankfurt, Germany); for another region use cloud generic)',
    ]);
  });

  it.each([['otc', 'eu-de'], ['otc', 'eu-nl'], ['cleura', 'Sto2'], ['ovhcloud', 'EU-WEST-PAR'], ['ovhcloud', 'SBG5']])(
    'accepts %s %s',
    (cloud, region) => {
      const flavor = cloud === 'otc' ? '\n    flavor: s3.2xlarge.4' : '';
      const text = withLine('    cloud: ovhcloud', `    cloud: ${cloud}${flavor}`).replace('    region: GRA11\n', `    region: ${region}\n`);
      expect(problemsOf(text)).toEqual([]);
    },
  );

  it('needs auth_url on a generic cloud, and takes any region there', () => {
    const generic = withLine('    cloud: ovhcloud', '    cloud: generic\n    flavor: m1.xlarge').replace('    region: GRA11\n', '    region: RegionOne\n');
    expect(problemsOf(generic)).toEqual([
      'test.yaml:5:12: target.openstack.cloud: generic needs target.openstack.auth_url (expected the https:// Keystone v3 endpoint of the cloud)',
    ]);
    expect(problemsOf(generic.replace('    cloud: generic\n', '    cloud: generic\n    auth_url: https://keystone.cloud.example/v3\n'))).toEqual([]);
  });

  it('needs a flavour where the kit knows none that fits, and says what the node needs', () => {
    expect(problemsOf(withLine('    cloud: ovhcloud', '    cloud: otc').replace('GRA11', 'eu-de'))).toEqual([
      'test.yaml:4:3: target.openstack: needs flavor: no flavour the kit knows on otc fits size small with federation closed (expected a flavour with at least 5 vCPU and 11 GiB)',
    ]);
    expect(problemsOf(`${OPENSTACK_YAML}size: medium\n`)).toEqual([
      expect.stringMatching(/^test\.yaml:4:3: target\.openstack: needs flavor: no flavour the kit knows on ovhcloud fits size medium .*at least 10\.6 vCPU/),
    ]);
  });

  it('refuses a known flavour too small for the profile, like a Hetzner server type', () => {
    expect(problemsOf(withLine('    key_pair: ops', '    key_pair: ops\n    flavor: b3-16'))).toEqual([
      'test.yaml:10:13: target.openstack.flavor: b3-16 has 4 vCPU and 16 GiB, too small for size small with federation closed (expected at least 5 vCPU and 11 GiB)',
    ]);
  });

  it('refuses SSH and the API open to the world, as on Hetzner', () => {
    expect(problemsOf(withLine('    admin_cidrs: [198.51.100.0/24]', '    admin_cidrs: [0.0.0.0/0]'))).toEqual([
      "test.yaml:10:19: target.openstack.admin_cidrs[0]: '0.0.0.0/0' opens SSH and the Kubernetes API to the whole internet (expected your administration networks only)",
    ]);
  });

  it('has no default backup bucket', () => {
    expect(problemsOf(OPENSTACK_YAML.replace(/backup:\n.*\n/, ''))).toEqual([
      'test.yaml:4:3: target.openstack: an OpenStack cloud has no default backup bucket: set backup.s3 (endpoint, bucket and region of an S3-compatible store in the EU), or backup.enabled: false for a throwaway deployment',
    ]);
  });

  it('refuses credentials in the file: the schema has no field for them', () => {
    const [problem] = problemsOf(withLine('    key_pair: ops', '    key_pair: ops\n    password: hunter2'));
    expect(problem).toMatch(/^test\.yaml:10:5: target\.openstack\.password: unknown field/);
  });

  it('takes Designate DNS on OpenStack only', () => {
    expect(problemsOf(`${OPENSTACK_YAML}dns:\n  mode: designate\n`)).toEqual([]);
    expect(problemsOf(`${OPENSTACK_YAML}dns:\n  mode: hetzner\n`)).toEqual(['test.yaml:15:9: dns.mode: hetzner DNS needs target hetzner (use mode manual)']);
  });
});

describe('the resolved OpenStack target', () => {
  it('takes the smallest known flavour that fits the profile, and the profile volume', () => {
    const spec = specOf(OPENSTACK_YAML);
    expect(spec.target).toEqual({
      kind: 'openstack',
      cloud: 'ovhcloud',
      region: 'GRA11',
      flavor: 'b3-32',
      image: 'Debian 12',
      externalNetwork: 'Ext-Net',
      keyPair: 'ops',
      adminCidrs: ['198.51.100.0/24'],
      volumeSizeGiB: 50,
    });
    expect(spec.monitoring.stack).toBe('bundled');
  });

  it('keeps a designate zone', () => {
    expect(specOf(`${OPENSTACK_YAML}dns:\n  mode: designate\n  zone: example.eu\n`).dns).toEqual({ mode: 'designate', zone: 'example.eu' });
  });
});
