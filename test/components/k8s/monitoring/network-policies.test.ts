import { BundledMonitoring } from '../../../../src/components/k8s/monitoring/bundled';
import { clusterScrapeEgress } from '../../../../src/components/k8s/monitoring/network-policies';
import { AppsContext } from '../../../../src/components/k8s/apps-context';
import { PRIVATE_IPV4 } from '../../../../src/components/k8s/network-policies';
import { PORTS } from '../../../../src/ports';
import { inClusterScrapeTargets, SCRAPE_JOBS } from '../../../../src/render/monitoring/scrape-config';
import { specOf, VALID_YAML } from '../../../helpers';
import { componentObjects, type Json, objects, synth } from '../helpers';

const MAIL = 'monitoring:\n  alert_email:\n    smarthost: smtp.ministry.example.eu:2525\n    from: alerts@ministry.example.eu\n    to: ops@ministry.example.eu\n';

function policies(yaml: string): Record<string, Json> {
  const { objects: made } = componentObjects(specOf(yaml), (scope, context) => new BundledMonitoring(scope, 'monitoring', { context }));
  return Object.fromEntries(made.filter((o) => o.kind === 'NetworkPolicy').map((p) => [p.metadata.name, p.spec]));
}
const component = (peer: Json) => peer.podSelector?.matchLabels?.['app.kubernetes.io/name'];
/** Policies that select the pods of `name`, with `type` in their policyTypes. */
const selecting = (all: Record<string, Json>, name: string, type: string) => Object.values(all).filter((p) => component(p) === name && p.policyTypes.includes(type));

describe('network policies of the bundled monitoring stack', () => {
  const all = policies(VALID_YAML);

  it('lets only Grafana reach Prometheus (9090) and only Prometheus reach Alertmanager (9093); nothing reaches Grafana', () => {
    const ingress = (name: string) => selecting(all, name, 'Ingress').flatMap((p) => p.ingress ?? []);
    expect(ingress('prometheus')).toEqual([{ from: [{ podSelector: { matchLabels: expect.objectContaining({ 'app.kubernetes.io/name': 'grafana' }) } }], ports: [{ port: PORTS.prometheus, protocol: 'TCP' }] }]);
    expect(ingress('alertmanager')).toEqual([{ from: [{ podSelector: { matchLabels: expect.objectContaining({ 'app.kubernetes.io/name': 'prometheus' }) } }], ports: [{ port: PORTS.alertmanager, protocol: 'TCP' }] }]);
    expect(ingress('grafana')).toEqual([]);
    expect([PORTS.prometheus, PORTS.alertmanager, PORTS.grafana]).toEqual([9090, 9093, 3000]);
  });

  it('lets Prometheus out to exactly the pods and metrics ports of its scrape jobs, and to Alertmanager', () => {
    const egress = selecting(all, 'prometheus', 'Egress').flatMap((p) => p.egress);
    const flow = (rule: Json) =>
      `${rule.to.map((peer: Json) => component(peer) ?? peer.ipBlock?.cidr ?? peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name']).join(',')}:${rule.ports.map((p: Json) => p.port).join(',')}`;
    // On the kit's k3s node also node_exporter on the node's private address and Traefik in kube-system.
    expect(egress.map(flow)).toEqual(['synapse:9000', 'mas:8081', 'postgres:9187', 'alertmanager:9093', '10.0.1.2/32:9100', 'traefik:9100']);
    const traefik = egress[5].to[0];
    expect(traefik.namespaceSelector.matchLabels).toEqual({ 'kubernetes.io/metadata.name': 'kube-system' });
    // Every scrape target's port is one Prometheus may reach.
    const targets = inClusterScrapeTargets(specOf(VALID_YAML));
    const ports = new Set(egress.flatMap((rule: Json) => rule.ports.map((p: Json) => p.port)));
    for (const job of Object.keys(SCRAPE_JOBS) as (keyof typeof SCRAPE_JOBS)[]) {
      for (const target of [targets[job]!].flat()) expect(ports.has(Number(target.split(':').pop()))).toBe(true);
    }
  });

  it('on an existing cluster reaches nothing outside the namespace', () => {
    const onCluster = specOf(VALID_YAML.replace(/target:\n(  .*\n)+/, 'target:\n  kubernetes:\n    context: prod\n') + 'backup:\n  enabled: false\n');
    expect(clusterScrapeEgress(new AppsContext(onCluster, {}))).toEqual([]);
  });

  it("lets Grafana out to Prometheus only, and Alertmanager nowhere without a relay", () => {
    expect(selecting(all, 'grafana', 'Egress').flatMap((p) => p.egress)).toEqual([
      { to: [{ podSelector: { matchLabels: expect.objectContaining({ 'app.kubernetes.io/name': 'prometheus' }) } }], ports: [{ port: 9090, protocol: 'TCP' }] },
    ]);
    expect(selecting(all, 'alertmanager', 'Egress')).toEqual([]);
  });

  it("lets Alertmanager out to the relay's port on public addresses only", () => {
    const [policy] = selecting(policies(VALID_YAML + MAIL), 'alertmanager', 'Egress');
    expect(policy.egress).toEqual([
      { to: [{ ipBlock: { cidr: '0.0.0.0/0', except: PRIVATE_IPV4 } }, { ipBlock: { cidr: '::/0', except: expect.arrayContaining(['fc00::/7']) } }], ports: [{ port: 2525, protocol: 'TCP' }] },
    ]);
    expect(PRIVATE_IPV4).toEqual(expect.arrayContaining(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']));
  });

  it('sits under the namespace default deny of the synthesized stack', () => {
    const synthesized = objects(synth(specOf(VALID_YAML)), 'NetworkPolicy');
    expect(synthesized['default-deny'].spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    for (const name of Object.keys(all)) expect(synthesized[name].spec).toEqual(all[name]);
  });
});
