import { ANYWHERE, hcloudFirewallRules, inboundRules, securityGroupRules } from '../../src/components/firewall-rules';
import { PORTS } from '../../src/ports';
import { CLUSTER_BACKUP_YAML, specOf, VALID_YAML } from '../helpers';

const open = (rules: ReturnType<typeof inboundRules>) => rules.filter((r) => r.sourceIps.some((ip) => (ANYWHERE as readonly string[]).includes(ip))).map((r) => `${r.protocol}/${r.port ?? '-'}`);

describe('inboundRules', () => {
  it('opens SSH and the Kubernetes API to the administration networks only', () => {
    const rules = inboundRules(specOf(VALID_YAML));
    for (const port of ['22', '6443']) {
      expect(rules.filter((r) => r.port === port).map((r) => r.sourceIps)).toEqual([['198.51.100.0/24']]);
    }
  });

  it('opens to the world HTTP, HTTPS, ICMP, and with TURN its ports and exactly the relay range', () => {
    const spec = specOf(VALID_YAML);
    const { min, max } = spec.calls.relayPorts;
    expect(open(inboundRules(spec)).sort()).toEqual(['tcp/80', 'tcp/443', 'icmp/-', 'udp/3478', 'tcp/3478', 'tcp/5349', `udp/${min}-${max}`].sort());
    const narrow = inboundRules(specOf(`${VALID_YAML}calls:\n  relay_ports: { min: 50000, max: 50049 }\n`));
    expect(open(narrow)).toContain('udp/50000-50049');
    expect(open(inboundRules(specOf(`${VALID_YAML}calls:\n  turn: false\n`))).sort()).toEqual(['tcp/80', 'tcp/443', 'icmp/-'].sort());
  });

  it('opens no metrics port (node_exporter, Traefik, Synapse, postgres_exporter, MAS, Keycloak) to anyone, not even in a range', () => {
    const metrics = [PORTS.nodeExporter, PORTS.traefikMetrics, PORTS.synapseMetrics, PORTS.postgresExporter, PORTS.masInternal, PORTS.keycloakManagement];
    expect(metrics).toContain(9100);
    // Relay ranges are UDP; a TCP rule over a range that held 9100 would open the exporter.
    const wide = `${VALID_YAML}calls:\n  relay_ports: { min: 9000, max: 9999 }\n`;
    for (const spec of [specOf(VALID_YAML), specOf(`${VALID_YAML}calls:\n  turn: false\n`), specOf(wide)]) {
      for (const rule of inboundRules(spec).filter((r) => r.protocol === 'tcp')) {
        const [from, to = from] = (rule.port ?? '').split('-').map(Number);
        expect({ rule: rule.description, opened: metrics.filter((p) => p >= from && p <= to) }).toEqual({ rule: rule.description, opened: [] });
      }
    }
    expect(inboundRules(specOf(wide)).some((r) => r.protocol === 'udp' && r.port === '9000-9999')).toBe(true);
  });

  it("with group calls, opens exactly the SFU's media range (UDP) and its ICE/TCP port, and not its signalling port", () => {
    const spec = specOf(`${VALID_YAML}size: medium\ncalls:\n  group:\n    tcp_port: 7891\n    media_ports: { min: 52000, max: 52099 }\n`);
    const { min, max } = spec.calls.relayPorts;
    expect(open(inboundRules(spec)).sort()).toEqual(['tcp/80', 'tcp/443', 'icmp/-', 'udp/3478', 'tcp/3478', 'tcp/5349', `udp/${min}-${max}`, 'udp/52000-52099', 'tcp/7891'].sort());
    expect(inboundRules(spec).filter((r) => r.port === '7880')).toEqual([]);
  });

  it('opens no DTLS port (no listener runs there)', () => {
    expect(inboundRules(specOf(VALID_YAML)).filter((r) => r.protocol === 'udp' && r.port === '5349')).toEqual([]);
  });

  it('is for a node the kit builds only (Hetzner, OpenStack)', () => {
    const k8s = VALID_YAML.replace(/target:\n(  .*\n)+/, 'target:\n  kubernetes:\n    context: prod\n') + CLUSTER_BACKUP_YAML;
    expect(() => inboundRules(specOf(k8s))).toThrow('the kit builds no node on target kubernetes');
  });
});

/** A rule as (protocol, ports, one source network): the unit both clouds' rules reduce to. */
const flat = (protocol: string, ports: string, source: string) => `${protocol === 'ipv6-icmp' ? 'icmp' : protocol} ${ports || '-'} ${source}`;

describe('the rule table rendered for each cloud', () => {
  const hetzner = specOf(`${VALID_YAML}size: medium\n`);
  const openstack = specOf(
    `${VALID_YAML.replace(/target:\n(  .*\n)+/, 'target:\n  openstack:\n    cloud: generic\n    auth_url: https://keystone.example.eu/v3\n    region: RegionOne\n    flavor: m1.xlarge\n    image: debian-12\n    external_network: public\n    key_pair: ops\n    admin_cidrs: [198.51.100.0/24, 2001:db8::/48]\n')}size: medium\n${CLUSTER_BACKUP_YAML}`,
  );

  it('gives the Hetzner firewall every inbound rule, in the provider vocabulary', () => {
    const rules = hcloudFirewallRules(hetzner);
    expect(rules.map((r) => ({ ...r, direction: r.direction }))).toEqual(
      inboundRules(hetzner).map((r) => ({ direction: 'in', protocol: r.protocol, port: r.port, sourceIps: [...r.sourceIps], description: r.description })),
    );
  });

  it('gives the security group one rule per inbound rule and source network, with the address family of the source', () => {
    const expected = inboundRules(openstack).flatMap((r) => r.sourceIps.map((ip) => flat(r.protocol, r.port ?? '', ip)));
    const rules = securityGroupRules(openstack);
    expect(rules.map((r) => flat(r.protocol, r.portRangeMin === undefined ? '' : r.portRangeMin === r.portRangeMax ? `${r.portRangeMin}` : `${r.portRangeMin}-${r.portRangeMax}`, r.remoteIpPrefix))).toEqual(expected);
    for (const r of rules) expect(r.ethertype).toBe(r.remoteIpPrefix.includes(':') ? 'IPv6' : 'IPv4');
    // Neutron calls ICMP over IPv6 ipv6-icmp; an `icmp` rule with ethertype IPv6 would not match ICMPv6.
    expect(rules.filter((r) => r.remoteIpPrefix === '::/0' && r.protocol.includes('icmp')).map((r) => r.protocol)).toEqual(['ipv6-icmp']);
    expect(rules.every((r) => r.direction === 'ingress')).toBe(true);
  });

  it('opens SSH and the Kubernetes API on OpenStack to the administration networks only', () => {
    for (const port of [22, 6443]) {
      expect(securityGroupRules(openstack).filter((r) => r.portRangeMin === port).map((r) => r.remoteIpPrefix)).toEqual(['198.51.100.0/24', '2001:db8::/48']);
    }
  });
});
