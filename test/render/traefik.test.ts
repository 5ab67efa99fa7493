import { CERT_RESOLVER, renderTraefik, TURNS_ENTRYPOINT } from '../../src/render/traefik';
import { CLUSTER_BACKUP_YAML, specOf, VALID_YAML } from '../helpers';

describe('renderTraefik', () => {
  it('routes TURN over TLS by SNI of the TURN host to coturn on the node address, with the ACME certificate', () => {
    const [file, ...more] = renderTraefik(specOf(VALID_YAML));
    expect(more).toEqual([]);
    expect(file.path).toBe('traefik/turns.yaml');
    expect(file.content).toContain(`entryPoints: [${TURNS_ENTRYPOINT}]`);
    expect(file.content).toContain('rule: "HostSNI(`turn.ministry.example.eu`)"');
    expect(file.content).toContain(`certResolver: ${CERT_RESOLVER}`);
    expect(file.content).toContain('- address: "@@TURN_PUBLIC_IPV4@@:3478"');
  });

  it('renders nothing without TURN, or on an existing cluster (coturn terminates TLS there)', () => {
    expect(renderTraefik(specOf(`${VALID_YAML}calls:\n  turn: false\n`))).toEqual([]);
    const k8s = VALID_YAML.replace(/target:\n(  .*\n)+/, 'target:\n  kubernetes:\n    context: prod\n') + CLUSTER_BACKUP_YAML;
    expect(renderTraefik(specOf(k8s))).toEqual([]);
  });

  it('on OpenStack forwards TURN over TLS to coturn on the node’s private address (the floating IP is NATed)', () => {
    const openstack = specOf(
      VALID_YAML.replace(/  hetzner:\n(    .*\n)+/, '  openstack:\n    cloud: ovhcloud\n    region: GRA11\n    image: Debian 12\n    external_network: Ext-Net\n    key_pair: ops\n    admin_cidrs: [198.51.100.0/24]\n') + CLUSTER_BACKUP_YAML,
    );
    const [file] = renderTraefik(openstack);
    expect(file.content).toContain('- address: "10.0.1.2:3478"');
  });
});
