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
