import YAML from 'yaml';
import { PORTS } from '../../../src/ports';
import { workerInstances } from '../../../src/config/synapse-workers';
import { MAS_METRICS_PATH } from '../../../src/render/mas';
import {
  ALERT_RULES_FILE,
  DEFAULT_SCRAPE_INTERVALS,
  inClusterScrapeTargets,
  renderScrapeConfig,
  SCRAPE_JOBS,
  scrapedComponents,
  SYNAPSE_METRICS_PATH,
} from '../../../src/render/monitoring/scrape-config';
import { CLUSTER_BACKUP_YAML, specOf, VALID_YAML } from '../../helpers';
import { specWith } from '../fixtures';

/** The same deployment on an existing cluster instead of the kit's k3s. */
const CLUSTER = specOf(VALID_YAML.replace(/target:\n(  .*\n)+/, 'target:\n  kubernetes:\n    context: prod\n') + CLUSTER_BACKUP_YAML);

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const LOOPBACK = { synapse: '127.0.0.1:19000', mas: '127.0.0.1:18081', postgres: '127.0.0.1:19187', node: '127.0.0.1:19100', traefik: '127.0.0.1:19101' };

function jobs(config: Obj): Record<string, Obj> {
  return Object.fromEntries((config.scrape_configs as Obj[]).map((job) => [job.job_name, job]));
}

describe('inClusterScrapeTargets', () => {
  it("names each component's Service in the deployment's namespace, on its metrics port; on the kit's k3s also the node and Traefik", () => {
    expect(inClusterScrapeTargets(specWith())).toEqual({
      synapse: `synapse.matrix-ministry.svc:${PORTS.synapseMetrics}`,
      mas: `mas.matrix-ministry.svc:${PORTS.masInternal}`,
      postgres: `postgres.matrix-ministry.svc:${PORTS.postgresExporter}`,
      // The node's fixed private address (the infra stack's network), the one node_exporter listens on.
      node: `10.0.1.2:${PORTS.nodeExporter}`,
      // The chart's metrics Service (metrics.prometheus.service.enabled in traefik-config.ts).
      traefik: `traefik-metrics.kube-system.svc:${PORTS.traefikMetrics}`,
    });
    expect(PORTS.postgresExporter).toBe(9187);
  });

  it('with Synapse workers, scrapes every process in the one synapse job', () => {
    const spec = specOf(`${VALID_YAML}size: large\n`);
    const synapse = [inClusterScrapeTargets(spec).synapse!].flat();
    expect(synapse).toHaveLength(1 + workerInstances(spec.scale.workers).length);
    expect(synapse).toContain(`synapse-synchrotron-2.matrix-ministry.svc:${PORTS.synapseMetrics}`);
    const job = (YAML.parse(renderScrapeConfig(spec)) as Obj).scrape_configs.find((j: Obj) => j.job_name === 'synapse');
    expect(job.static_configs).toEqual([{ targets: synapse }]);
  });

  it('leaves the node and the ingress controller to the operator on an existing cluster', () => {
    expect(Object.keys(inClusterScrapeTargets(CLUSTER))).toEqual(['synapse', 'mas', 'postgres']);
    expect(scrapedComponents(CLUSTER)).toEqual(['synapse', 'mas', 'postgres']);
    expect(scrapedComponents(specWith())).toEqual(['synapse', 'mas', 'postgres', 'node', 'traefik']);
    const jobs = (YAML.parse(renderScrapeConfig(CLUSTER)) as Obj).scrape_configs.map((j: Obj) => j.job_name);
    expect(jobs).toEqual(['synapse', 'mas', 'postgres']);
  });
});

describe('renderScrapeConfig', () => {
  it('has one job per component, named from SCRAPE_JOBS, on the in-cluster targets by default', () => {
    const config = YAML.parse(renderScrapeConfig(specWith())) as Obj;
    const byName = jobs(config);
    expect(Object.keys(byName)).toEqual(Object.values(SCRAPE_JOBS));
    expect(byName.synapse).toEqual({ job_name: 'synapse', metrics_path: SYNAPSE_METRICS_PATH, static_configs: [{ targets: ['synapse.matrix-ministry.svc:9000'] }] });
    expect(byName.mas).toEqual({ job_name: 'mas', metrics_path: MAS_METRICS_PATH, static_configs: [{ targets: ['mas.matrix-ministry.svc:8081'] }] });
    expect(byName.postgres).toEqual({ job_name: 'postgres', metrics_path: '/metrics', static_configs: [{ targets: ['postgres.matrix-ministry.svc:9187'] }] });
    expect(byName.node).toEqual({ job_name: 'node', metrics_path: '/metrics', static_configs: [{ targets: ['10.0.1.2:9100'] }] });
    expect(byName.traefik).toEqual({ job_name: 'traefik', metrics_path: '/metrics', static_configs: [{ targets: ['traefik-metrics.kube-system.svc:9100'] }] });
    expect(SYNAPSE_METRICS_PATH).toBe('/_synapse/metrics');
  });

  it('loads the alert rules file and uses 30 s intervals by default', () => {
    const config = YAML.parse(renderScrapeConfig(specWith())) as Obj;
    expect(config.rule_files).toEqual([ALERT_RULES_FILE]);
    expect(config.global).toEqual({ scrape_interval: '30s', scrape_timeout: '10s', evaluation_interval: '30s' });
    expect(DEFAULT_SCRAPE_INTERVALS).toEqual({ scrapeSeconds: 30, evaluationSeconds: 30 });
  });

  it('changes only the targets when given other targets (the integration test passes loopback ones)', () => {
    const spec = specWith();
    const inCluster = YAML.parse(renderScrapeConfig(spec)) as Obj;
    const loopback = YAML.parse(renderScrapeConfig(spec, LOOPBACK)) as Obj;
    expect(jobs(loopback).synapse.static_configs).toEqual([{ targets: [LOOPBACK.synapse] }]);
    expect(jobs(loopback).mas.static_configs).toEqual([{ targets: [LOOPBACK.mas] }]);
    expect(jobs(loopback).postgres.static_configs).toEqual([{ targets: [LOOPBACK.postgres] }]);
    for (const job of [...inCluster.scrape_configs, ...loopback.scrape_configs] as Obj[]) delete job.static_configs;
    expect(loopback).toEqual(inCluster);
  });

  it('takes shorter intervals, and keeps the scrape timeout within the scrape interval', () => {
    const config = YAML.parse(renderScrapeConfig(specWith(), LOOPBACK, { scrapeSeconds: 2, evaluationSeconds: 3 })) as Obj;
    expect(config.global).toEqual({ scrape_interval: '2s', scrape_timeout: '2s', evaluation_interval: '3s' });
  });

  it('refuses to leave out the target of a scraped component', () => {
    const { node: _node, ...withoutNode } = LOOPBACK;
    expect(() => renderScrapeConfig(specWith(), withoutNode)).toThrow('scrape config: no target for node');
    expect(() => renderScrapeConfig(CLUSTER, withoutNode)).not.toThrow();
  });

  it('refuses intervals Prometheus could not read as whole seconds', () => {
    expect(() => renderScrapeConfig(specWith(), LOOPBACK, { scrapeSeconds: 0, evaluationSeconds: 30 })).toThrow('scrapeSeconds must be a whole number of seconds >= 1, not 0');
    expect(() => renderScrapeConfig(specWith(), LOOPBACK, { scrapeSeconds: 30, evaluationSeconds: 1.5 })).toThrow('evaluationSeconds must be a whole number');
  });

  it('names the deployment in its header comment', () => {
    expect(renderScrapeConfig(specWith())).toMatch(/^# Prometheus configuration of the ministry deployment \(matrix-ministry\)\.\n/);
  });
});
