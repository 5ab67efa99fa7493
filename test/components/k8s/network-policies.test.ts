import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDeploymentFile } from '../../../src/config/load';
import { componentLabels, selectorLabels } from '../../../src/components/labels';
import type { DeploymentSpec } from '../../../src/config/spec';
import { workerInstances } from '../../../src/config/synapse-workers';
import { CLUSTER_BACKUP_YAML, specOf, VALID_YAML } from '../../helpers';
import { EXAMPLES, type Json, objects, ROOT, synth, selects } from './helpers';

describe.each(EXAMPLES)('network policies of %s', (file) => {
  const spec = loadDeploymentFile(join(ROOT, file));
  const json = synth(spec);

  it('denies all traffic by default and lets only the database clients reach PostgreSQL', () => {
    const policies = Object.values(objects(json, 'NetworkPolicy'));
    const deny = policies.find((p) => p.metadata.name === 'default-deny');
    expect(deny?.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    const postgres = policies.find((p) => p.metadata.name === 'allow-postgres-from-clients');
    const clients = ['synapse', 'mas', ...(spec.identity.mode === 'keycloak' ? ['keycloak'] : [])];
    const workers = workerInstances(spec.scale.workers).map((i) => `synapse-${i.name}`);
    // With workers, every Synapse process is a client: one selector names them all.
    const selector = (c: string) =>
      c === 'synapse' && workers.length > 0
        ? { matchLabels: { 'app.kubernetes.io/instance': spec.name }, matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'In', values: ['synapse', ...workers] }] }
        : { matchLabels: expect.objectContaining({ 'app.kubernetes.io/name': c }) };
    expect(postgres?.spec.ingress).toEqual([{ from: clients.map((c) => ({ podSelector: selector(c) })), ports: [{ port: 5432, protocol: 'TCP' }] }]);
  });

  it('opens each metrics port to the scraper and to no other peer; no public policy names a metrics port', () => {
    const policies = Object.values(objects(json, 'NetworkPolicy'));
    const scraper = expectedScraper(spec);
    for (const [component, port] of Object.entries(METRICS)) {
      // Every ingress rule of every policy that selects this component's pods and admits this port
      // (a rule without ports admits every port; without from, every peer).
      const rules = policies
        .filter((p) => selects(p.spec.podSelector, componentLabels(spec.name, component)))
        .flatMap((p) => (p.spec.ingress ?? []) as Json[])
        .filter((rule) => rule.ports === undefined || rule.ports.some((p: Json) => p.port === port));
      expect({ component, peers: rules.map((r) => r.from ?? 'anyone') }).toEqual({ component, peers: [scraper] });
    }
    const metricPorts = Object.values(METRICS);
    for (const p of policies.filter((p) => p.metadata.name.startsWith('allow-ingress-'))) {
      const ports = (p.spec.ingress as Json[]).flatMap((i) => i.ports ?? ['every port']).map((port: Json) => port.port ?? port);
      expect({ policy: p.metadata.name, ports: ports.filter((x: unknown) => metricPorts.includes(x as number) || x === 'every port') }).toEqual({ policy: p.metadata.name, ports: [] });
    }
  });
});

describe('network policies: who the scraper is, by monitoring.stack', () => {
  const cluster = (monitoring: string) =>
    specOf(VALID_YAML.replace(/target:\n(  .*\n)+/, 'target:\n  kubernetes:\n    context: prod\n') + CLUSTER_BACKUP_YAML + monitoring);
  const metricsPolicies = (json: Json) => Object.values(objects(json, 'NetworkPolicy')).filter((p) => p.metadata.name.startsWith('allow-metrics-'));

  it.each([
    ['bundled', 'monitoring:\n  stack: bundled\n', ['bundled']],
    ['prometheus-operator', 'monitoring:\n  stack: prometheus-operator\n  prometheus_operator:\n    namespace: observability\n', ['observability']],
    ['auto', 'monitoring:\n  prometheus_operator:\n    namespace: observability\n', ['bundled', 'observability']],
  ])('%s', (_stack, monitoring, who) => {
    const spec = cluster(monitoring);
    const json = synth(spec);
    const peers = who.map((w) =>
      w === 'bundled' ? { podSelector: { matchLabels: selectorLabels(spec.name, 'prometheus') } } : { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': w } } },
    );
    expect(metricsPolicies(json).map((p) => p.metadata.name).sort()).toEqual(['allow-metrics-mas', 'allow-metrics-postgres', 'allow-metrics-synapse']);
    for (const p of metricsPolicies(json)) expect(p.spec.ingress.map((i: Json) => i.from)).toEqual([peers]);
  });
});

/** The metrics ports, written out here on purpose (not read from the code under test). */
const METRICS: Record<string, number> = { synapse: 9000, mas: 8081, postgres: 9187 };

function expectedScraper(spec: DeploymentSpec): Json[] {
  const bundled = { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus', 'app.kubernetes.io/instance': spec.name } } };
  const operator = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': spec.monitoring.prometheusOperator.namespace } } };
  return spec.monitoring.stack === 'bundled' ? [bundled] : spec.monitoring.stack === 'prometheus-operator' ? [operator] : [bundled, operator];
}


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
