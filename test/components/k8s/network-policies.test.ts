import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDeploymentFile } from '../../../src/config/load';
import { specOf, VALID_YAML } from '../../helpers';
import { EXAMPLES, type Json, objects, ROOT, synth } from './helpers';

describe.each(EXAMPLES)('network policies of %s', (file) => {
  const spec = loadDeploymentFile(join(ROOT, file));
  const json = synth(spec);

  it('denies all traffic by default and lets only the database clients reach PostgreSQL', () => {
    const policies = Object.values(objects(json, 'NetworkPolicy'));
    const deny = policies.find((p) => p.metadata.name === 'default-deny');
    expect(deny?.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    const postgres = policies.find((p) => p.metadata.name === 'allow-postgres-from-clients');
    const clients = ['synapse', 'mas', ...(spec.identity.mode === 'keycloak' ? ['keycloak'] : [])];
    expect(postgres?.spec.ingress).toEqual([
      {
        from: clients.map((c) => ({ podSelector: { matchLabels: expect.objectContaining({ 'app.kubernetes.io/name': c }) } })),
        ports: [{ port: 5432, protocol: 'TCP' }],
      },
    ]);
    for (const p of policies) expect(p.spec.ingress?.flatMap((i: Json) => i.ports ?? []).map((port: Json) => port.port) ?? []).not.toContain(9000);
  });
});

describe('network policies of group calls', () => {
  const json = synth(specOf(`${VALID_YAML}size: medium\n`));
  const policies = Object.values(objects(json, 'NetworkPolicy'));
  const of = (name: string) => policies.find((p) => p.metadata.name === name)?.spec;

  it('lets only the ingress controller reach lk-jwt-service, on its port', () => {
    expect(of('allow-ingress-lk-jwt-service')?.ingress).toEqual([
      {
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'traefik' } } }],
        ports: [{ port: 8080, protocol: 'TCP' }],
      },
    ]);
  });

  it('lets lk-jwt-service out to public https addresses only (OpenID userinfo, the room API, delayed events)', () => {
    const egress = of('allow-lk-jwt-service-egress')?.egress;
    expect(egress).toHaveLength(1);
    expect(egress[0].ports).toEqual([{ port: 443, protocol: 'TCP' }]);
    expect(egress[0].to[0].ipBlock.except).toEqual(expect.arrayContaining(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16']));
  });

  it('are absent without group calls', () => {
    const none = Object.keys(objects(synth(specOf(VALID_YAML)), 'NetworkPolicy'));
    expect(none.filter((n) => n.includes('lk-jwt'))).toEqual([]);
  });
});

describe('network policies for certificates', () => {
  const agency = readFileSync(join(ROOT, 'deployments/agency-kubernetes.yaml'), 'utf8');

  it("lets the ingress controller reach cert-manager's HTTP-01 solver pods, on existing clusters only", () => {
    const policy = (json: Json) => objects(json, 'NetworkPolicy')['allow-ingress-acme-solver'];
    const solver = policy(synth(specOf(agency)));
    expect(solver.spec.podSelector.matchLabels).toEqual({ 'acme.cert-manager.io/http01-solver': 'true' });
    expect(solver.spec.ingress[0].ports).toEqual([{ port: 8089, protocol: 'TCP' }]);
    expect(policy(synth(specOf(VALID_YAML)))).toBeUndefined();
  });
});
