/**
 * Network exposure (src/docs/facts/network-exposure.ts): the cloud firewall's rules with what
 * listens behind each, the ingress routes and the network policies, read from the synthesized
 * JSON. The tests alter the read-back JSON (a new firewall rule, a new network policy flow) and
 * expect the document, and its diagram, to show it.
 */
import { inboundRules } from '../../../src/components/firewall-rules';
import { firewall, policies, routes } from '../../../src/docs/facts/network-exposure';
import { generateFromSynthesized } from '../../../src/docs/generate';
import { kubeObjects, synthesizeForDocs } from '../../../src/docs/read-back';
import { specOf, VALID_YAML } from '../../helpers';
import { alter, firewallRulesInJson, generated, HETZNER_FILES, manifests } from './helpers';

describe.each(HETZNER_FILES)('network exposure of %s', (file) => {
  it('lists exactly the firewall rules of the synthesized hcloud_firewall, in the document tables', () => {
    const { synth, ref } = generated(file);
    const inJson = firewallRulesInJson(synth);
    expect(inJson.length).toBeGreaterThan(0);
    expect(ref.facts.firewall.map((r) => ({ protocol: r.protocol, port: r.port, sources: [...r.sources] }))).toEqual(inJson);
    // ... which are the rules the stack means to create.
    expect(inJson.map((r) => `${r.protocol}/${r.port}`)).toEqual(inboundRules(synth.spec).map((r) => `${r.protocol}/${r.port ?? ''}`));
    const md = ref.files[`${ref.name}.md`];
    const html = ref.files[`${ref.name}.html`];
    for (const rule of inJson) {
      expect(md).toContain(`| ${rule.protocol} | ${rule.port || '—'} | ${rule.sources.join(', ')} |`);
      expect(html).toContain(`<td>${rule.protocol}</td><td>${rule.port || '—'}</td><td>${rule.sources.join(', ')}</td>`);
    }
  });
});

describe('a change to the stacks that the document must pick up', () => {
  const FILE = 'deployments/example.yaml';

  it('a new firewall rule appears in the port table, the controls and the diagram', () => {
    const { synth } = generated(FILE);
    const changed = alter(synth, (stacks) => {
      stacks.infra.resource.hcloud_firewall.firewall.rule.push({
        direction: 'in',
        protocol: 'tcp',
        port: '9999',
        source_ips: ['0.0.0.0/0', '::/0'],
        description: 'test-only rule',
      });
    });
    const ref = generateFromSynthesized(changed);
    expect(ref.facts.firewall.map((r) => `${r.protocol}/${r.port}`)).toContain('tcp/9999');
    expect(ref.facts.firewall.find((r) => r.port === '9999')?.reaches).toBe('nothing the kit runs');
    expect(ref.files['ministry-example.md']).toContain('| tcp | 9999 | 0.0.0.0/0, ::/0 | nothing the kit runs | test-only rule |');
    expect(ref.files['ministry-example.html']).toContain('<td>tcp</td><td>9999</td>');
    expect(ref.svg).toContain('tcp/9999');
    expect(generated(FILE).ref.svg).not.toContain('tcp/9999');
  });

  it('a new network policy flow appears in the policy table and the diagram', () => {
    const { synth } = generated(FILE);
    const changed = alter(synth, (stacks) => {
      manifests(stacks)['networkpolicy_matrix-ministry-example_allow-element-to-postgres'] = {
        manifest: {
          apiVersion: 'networking.k8s.io/v1',
          kind: 'NetworkPolicy',
          metadata: { name: 'allow-element-to-postgres', namespace: 'matrix-ministry-example' },
          spec: {
            podSelector: { matchLabels: { 'app.kubernetes.io/name': 'postgres' } },
            policyTypes: ['Ingress'],
            ingress: [{ from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'element-web' } } }], ports: [{ port: 5432, protocol: 'TCP' }] }],
          },
        },
      };
    });
    const ref = generateFromSynthesized(changed);
    expect(ref.files['ministry-example.md']).toContain('| allow-element-to-postgres | postgres | ingress | element-web pods | tcp/5432 |');
    expect(ref.dot).toContain('"w_element-web" -> "w_postgres"');
    expect(generated(FILE).ref.dot).not.toContain('"w_element-web" -> "w_postgres"');
  });

  it('a new path on the Ingress appears in the route table and the diagram', () => {
    const { synth } = generated(FILE);
    const changed = alter(synth, (stacks) => {
      const rule = manifests(stacks)['ingress_matrix-ministry-example_matrix'].manifest.spec.rules.find((r: { host: string }) => r.host === 'chat.ministry.example.eu');
      rule.http.paths.push({ path: '/test-only', pathType: 'Prefix', backend: { service: { name: 'well-known', port: { number: 8081 } } } });
    });
    const ref = generateFromSynthesized(changed);
    expect(ref.facts.routes).toContainEqual(expect.objectContaining({ host: 'chat.ministry.example.eu', path: '/test-only', service: 'well-known', port: 8081 }));
    expect(ref.files['ministry-example.md']).toContain('| chat.ministry.example.eu | `/test-only` | well-known | 8081 |');
    expect(ref.dot).toContain('tcp/8081 chat.ministry.example.eu/test-only');
    expect(generated(FILE).ref.dot).not.toContain('/test-only');
  });
});

describe('kubernetes target', () => {
  it('claims no firewall', () => {
    const { ref } = generated('deployments/agency-kubernetes.yaml');
    expect(ref.facts.firewall).toEqual([]);
    expect(ref.files['agency-k8s.md']).toContain('No cloud firewall is managed on an existing cluster');
  });
});

describe('the open ports of a deployment', () => {
  const synth = synthesizeForDocs(specOf(VALID_YAML));
  const withoutTurn = synthesizeForDocs(specOf(`${VALID_YAML}calls:\n  turn: false\n`));
  const open = (s: typeof synth) => firewall(s).map((r) => `${r.protocol}/${r.port || '-'} from ${r.sources.join(',')}: ${r.reaches}`);

  it('lists exactly the open ports, each with what listens behind it, SSH and the API only from the admin networks', () => {
    expect(open(synth)).toEqual([
      'tcp/80 from 0.0.0.0/0,::/0: Traefik (k3s ingress)',
      'tcp/443 from 0.0.0.0/0,::/0: Traefik (k3s ingress)',
      'icmp/- from 0.0.0.0/0,::/0: the node (kernel)',
      'tcp/22 from 198.51.100.0/24: sshd on the node',
      'tcp/6443 from 198.51.100.0/24: k3s API server',
      'udp/3478 from 0.0.0.0/0,::/0: coturn',
      'tcp/3478 from 0.0.0.0/0,::/0: coturn',
      'tcp/5349 from 0.0.0.0/0,::/0: Traefik (k3s ingress, entry point turns)',
      'udp/49160-49259 from 0.0.0.0/0,::/0: coturn (relay ports)',
    ]);
    expect(firewall(synth).every((r) => r.where === '`hcloud_firewall.firewall` (ministry-infra)')).toBe(true);
  });

  it('opens no TURN port when calls are off', () => {
    expect(open(withoutTurn)).toEqual([
      'tcp/80 from 0.0.0.0/0,::/0: Traefik (k3s ingress)',
      'tcp/443 from 0.0.0.0/0,::/0: Traefik (k3s ingress)',
      'icmp/- from 0.0.0.0/0,::/0: the node (kernel)',
      'tcp/22 from 198.51.100.0/24: sshd on the node',
      'tcp/6443 from 198.51.100.0/24: k3s API server',
    ]);
  });

  it('routes each Ingress path to its service and port', () => {
    const rts = routes(synth);
    const paths = kubeObjects(synth, 'Ingress').flatMap((o) => o.manifest.spec.rules.flatMap((r: { http: { paths: unknown[] } }) => r.http.paths));
    expect(rts).toHaveLength(paths.length);
    expect(rts.filter((r) => r.service === 'synapse').map((r) => `${r.host}${r.path}`)).toEqual(expect.arrayContaining(['matrix.ministry.example.eu/_matrix']));
    expect(rts.some((r) => r.path.startsWith('/_synapse/admin'))).toBe(false);
  });

  it('states the default deny and every allow policy, with its peers and ports', () => {
    const list = policies(synth);
    expect(list.filter((p) => p.direction === 'default deny').map((p) => p.appliesTo)).toContain('every pod');
    const postgresIn = list.filter((p) => p.appliesTo === 'postgres' && p.direction === 'ingress');
    expect(postgresIn.length).toBeGreaterThan(0);
    expect(postgresIn.flatMap((p) => p.ports)).toContain('tcp/5432');
    expect(postgresIn.flatMap((p) => p.peers)).toContain('synapse pods');
  });
});
