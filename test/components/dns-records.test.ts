import { addressRecords, publicNames, recordLine, relativeName } from '../../src/components/dns-records';
import { CLUSTER_BACKUP_YAML, specOf, VALID_YAML } from '../helpers';

describe('DNS records', () => {
  it('names server_name and every service that runs, Keycloak and TURN only when they run', () => {
    expect(publicNames(specOf(VALID_YAML))).toEqual(['ministry.example.eu', 'matrix.ministry.example.eu', 'chat.ministry.example.eu', 'auth.ministry.example.eu', 'turn.ministry.example.eu']);
    expect(publicNames(specOf(`${VALID_YAML}calls:\n  turn: false\n`))).not.toContain('turn.ministry.example.eu');
    expect(publicNames(specOf(`${VALID_YAML}size: medium\n`))).toContain('rtc.ministry.example.eu');
    const keycloak = specOf(`${VALID_YAML}identity:\n  mode: keycloak\n`);
    expect(publicNames(keycloak)).toContain(keycloak.hostnames.sso);
  });

  it('gives each name an A record for the IPv4 address and an AAAA for the IPv6', () => {
    const records = addressRecords(specOf(VALID_YAML));
    expect(records).toHaveLength(10);
    expect(records.slice(0, 2)).toEqual([
      { fqdn: 'ministry.example.eu', type: 'A', address: 'ipv4' },
      { fqdn: 'ministry.example.eu', type: 'AAAA', address: 'ipv6' },
    ]);
  });

  it('gives only A records on OpenStack, whose floating IP is IPv4 only', () => {
    const openstack = specOf(
      VALID_YAML.replace(/target:\n(  .*\n)+/, 'target:\n  openstack:\n    cloud: ovhcloud\n    region: GRA11\n    image: Debian 12\n    external_network: Ext-Net\n    key_pair: ops\n    admin_cidrs: [198.51.100.0/24]\n') + CLUSTER_BACKUP_YAML,
    );
    const records = addressRecords(openstack);
    expect(records).toHaveLength(5);
    expect(new Set(records.map((r) => r.type))).toEqual(new Set(['A']));
  });

  it('writes a zone file line with a five-minute TTL', () => {
    expect(recordLine('matrix.ministry.example.eu', 'AAAA', '2001:db8::1')).toBe('matrix.ministry.example.eu. 300 IN AAAA 2001:db8::1');
  });

  it('names a record relative to its zone, @ at the apex, and refuses a name outside it', () => {
    expect(relativeName('ministry.example.eu', 'ministry.example.eu')).toBe('@');
    expect(relativeName('matrix.ministry.example.eu', 'ministry.example.eu')).toBe('matrix');
    expect(relativeName('a.b.example.eu', 'example.eu')).toBe('a.b');
    expect(() => relativeName('notministry.example.eu', 'ministry.example.eu')).toThrow('notministry.example.eu is not in zone ministry.example.eu');
  });
});
