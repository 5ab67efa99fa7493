/** The diagram's arrows (src/docs/facts/diagram-flows.ts): firewall, ingress, network policy and outbound flows. */
import { flows } from '../../../src/docs/facts/diagram-flows';
import { firewall, routes } from '../../../src/docs/facts/network-exposure';
import { workloadsOf } from '../../../src/docs/facts/workloads';
import { kubeObjects, synthesizeForDocs, type Synthesized } from '../../../src/docs/read-back';
import { specOf, VALID_YAML } from '../../helpers';
import { generated, HETZNER_FILES } from './helpers';

describe.each(HETZNER_FILES)('diagram of %s', (file) => {
  it('draws the firewall, ingress and network policy flows in the diagram', () => {
    const { synth, ref } = generated(file);
    const ingressPaths = kubeObjects(synth, 'Ingress').flatMap((o) => o.manifest.spec.rules.flatMap((r: { http: { paths: unknown[] } }) => r.http.paths));
    expect(ingressPaths.length).toBeGreaterThan(0);
    expect(ref.facts.routes).toHaveLength(ingressPaths.length);
    expect(ref.facts.policies.length).toBeGreaterThanOrEqual(kubeObjects(synth, 'NetworkPolicy').length);
    for (const rule of ref.facts.firewall.filter((r) => r.port)) expect(ref.dot).toContain(`${rule.protocol}/${rule.port}`);
    for (const route of ref.facts.routes) expect(ref.dot).toContain(`tcp/${route.port} ${route.host}${route.path}`);
    expect(ref.dot).toContain('"w_synapse" -> "w_postgres"');
    expect(ref.svg).toContain('<title>w_synapse&#45;&gt;w_postgres</title>');
  });
});

describe('flows', () => {
  const synth = synthesizeForDocs(specOf(VALID_YAML));
  const of = (s: Synthesized) => flows(s, firewall(s), routes(s), workloadsOf(s));
  const arrows = of(synth);
  const find = (from: string, to: string) => arrows.filter((f) => f.from === from && f.to === to);

  it('sends the public ports from the internet and SSH and the API from the administration networks', () => {
    expect(find('internet_clients', 'firewall')).toEqual([{ from: 'internet_clients', to: 'firewall', kind: 'public', label: 'tcp/80\ntcp/443\nicmp\nudp/3478\ntcp/3478\ntcp/5349\nudp/49160-49259' }]);
    expect(find('admins', 'firewall')).toEqual([{ from: 'admins', to: 'firewall', kind: 'admin', label: 'tcp/22\ntcp/6443' }]);
    expect(find('firewall', 'k3s')).toEqual([expect.objectContaining({ kind: 'admin', label: 'tcp/6443' })]);
    expect(find('firewall', 'w_coturn').map((f) => f.label)).toEqual(['udp/3478\ntcp/3478\nudp/49160-49259']);
  });

  it('draws each allowed flow between pods once, with its ports', () => {
    expect(find('w_synapse', 'w_postgres')).toEqual([{ from: 'w_synapse', to: 'w_postgres', kind: 'internal', label: 'tcp/5432' }]);
    expect(find('w_element-web', 'w_postgres')).toEqual([]);
  });

  it('draws the backup agents to the bucket and Traefik to the ACME server; no bucket when backups are off', () => {
    expect(arrows.filter((f) => f.to === 'backup_bucket').map((f) => [f.from, f.kind, f.label])).toEqual([
      ['w_postgres', 'outbound', 'https fsn1.your-objectstorage.com'],
      ['w_synapse', 'outbound', 'https fsn1.your-objectstorage.com'],
    ]);
    expect(find('ingress', 'acme')).toEqual([expect.objectContaining({ kind: 'outbound', label: 'https acme-v02.api.letsencrypt.org' })]);
    const off = synthesizeForDocs(specOf(`${VALID_YAML}backup:\n  enabled: false\n`));
    expect(of(off).some((f) => f.to === 'backup_bucket')).toBe(false);
  });
});
