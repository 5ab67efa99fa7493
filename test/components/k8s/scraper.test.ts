import { AppsContext } from '../../../src/components/k8s/apps-context';
import { METRICS_PORTS, scraperPeers } from '../../../src/components/k8s/scraper';
import { CLUSTER_BACKUP_YAML, specOf, VALID_YAML } from '../../helpers';

const onCluster = (monitoring: string) =>
  new AppsContext(specOf(VALID_YAML.replace(/target:\n(  .*\n)+/, 'target:\n  kubernetes:\n    context: prod\n') + CLUSTER_BACKUP_YAML + monitoring), {});

describe('scraperPeers', () => {
  const bundled = (ctx: AppsContext) => ({ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus', 'app.kubernetes.io/instance': ctx.spec.name } } });
  const inNamespace = (ns: string) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } });

  it("bundled: the kit's Prometheus pods, in the deployment's own namespace (no namespaceSelector)", () => {
    const ctx = onCluster('monitoring:\n  stack: bundled\n');
    expect(scraperPeers(ctx)).toEqual([bundled(ctx)]);
  });

  it("prometheus-operator: any pod of the operator's namespace, and no bundled Prometheus", () => {
    const ctx = onCluster('monitoring:\n  stack: prometheus-operator\n  prometheus_operator:\n    namespace: observability\n');
    expect(scraperPeers(ctx)).toEqual([inNamespace('observability')]);
  });

  it('auto: both, the operator namespace defaulting to monitoring', () => {
    const ctx = onCluster('');
    expect(ctx.spec.monitoring.stack).toBe('auto');
    expect(scraperPeers(ctx)).toEqual([bundled(ctx), inNamespace('monitoring')]);
  });

  it('Hetzner: always the bundled Prometheus', () => {
    const ctx = new AppsContext(specOf(VALID_YAML), {});
    expect(scraperPeers(ctx)).toEqual([bundled(ctx)]);
  });

  it('names the metrics ports of src/ports.ts', () => {
    expect(METRICS_PORTS).toEqual({ synapse: 9000, mas: 8081, postgres: 9187 });
  });
});
