import { ANYWHERE, inboundRules } from '../../src/components/firewall-rules';
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

  it('is for a Hetzner server only', () => {
    const k8s = VALID_YAML.replace(/target:\n(  .*\n)+/, 'target:\n  kubernetes:\n    context: prod\n') + CLUSTER_BACKUP_YAML;
    expect(() => inboundRules(specOf(k8s))).toThrow('inboundRules needs a Hetzner target');
  });
});
