import YAML from 'yaml';
import type { DeploymentSpec } from '../../config/spec';
import { PORTS } from '../../ports';
import { NODE_NETWORK } from '../k3s-node';
import { MAS_METRICS_PATH, MAS_UPSTREAMS } from '../mas';
import { namespaceName } from '../namespace';
import { SYNAPSE_UPSTREAMS } from '../synapse';
import { synapseWorkerHost } from '../synapse-workers';
import { workerInstances } from '../../config/synapse-workers';
import { TRAEFIK_METRICS } from '../traefik';
import { ownsNode } from '../../config/node-target';

/**
 * The Prometheus job of each scraped component. The alert rules select their series by these
 * names (`up{job="synapse"}`), so both files read them from here.
 */
export const SCRAPE_JOBS = {
  synapse: 'synapse',
  mas: 'mas',
  postgres: 'postgres',
  /** node_exporter on the kit's k3s node. */
  node: 'node',
  /** k3s's bundled Traefik: certificate expiry and requests. */
  traefik: 'traefik',
} as const;

export type ScrapedComponent = keyof typeof SCRAPE_JOBS;

/** The deployment's own components, in its namespace: scraped on every target. */
export const DEPLOYMENT_COMPONENTS = ['synapse', 'mas', 'postgres'] as const satisfies readonly ScrapedComponent[];

/**
 * The kit's k3s node itself (Hetzner and OpenStack targets): on an existing cluster the operator's own
 * monitoring scrapes the nodes and the ingress controller, which the kit does not run there.
 */
export const K3S_NODE_COMPONENTS = ['node', 'traefik'] as const satisfies readonly ScrapedComponent[];

/** The components scraped for a deployment, in job order. */
export function scrapedComponents(spec: DeploymentSpec): ScrapedComponent[] {
  return ownsNode(spec.target) ? [...DEPLOYMENT_COMPONENTS, ...K3S_NODE_COMPONENTS] : [...DEPLOYMENT_COMPONENTS];
}

/**
 * Where each component is scraped, `host:port`: one entry for every component of
 * scrapedComponents(spec); several for Synapse with workers (every process, one job).
 */
export type ScrapeTargets = Readonly<Partial<Record<ScrapedComponent, string | readonly string[]>>>;

/** Served by Synapse's `metrics` listener (PORTS.synapseMetrics). */
export const SYNAPSE_METRICS_PATH = '/_synapse/metrics';

/** The alert rules' file name, next to prometheus.yml (rule_files are relative to it). */
export const ALERT_RULES_FILE = 'alert-rules.yml';

/** How often Prometheus scrapes and evaluates the rules, in seconds. */
export interface ScrapeIntervals {
  readonly scrapeSeconds: number;
  readonly evaluationSeconds: number;
}

/**
 * 30 s, as ESS's ServiceMonitors scrape: with `for: 2m` an outage alerts within about 3 minutes,
 * and a small deployment's Prometheus stays light.
 */
export const DEFAULT_SCRAPE_INTERVALS: ScrapeIntervals = { scrapeSeconds: 30, evaluationSeconds: 30 };

/** Prometheus's default scrape timeout (10 s), which may not exceed the interval. */
export function scrapeTimeoutSeconds(scrapeSeconds: number): number {
  return Math.min(10, scrapeSeconds);
}

/**
 * The in-cluster targets: each component's Service in the deployment's namespace, on its metrics
 * port. postgres_exporter is reached through the `postgres` Service, next to the database it reads.
 * Each Service carries its metrics port after its main one; the network policies open it to the
 * scraper only (src/components/k8s/scraper.ts). On the kit's k3s also the node's node_exporter,
 * on the node's private address (the one address it listens on), and Traefik through the chart's
 * metrics Service in kube-system.
 */
export function inClusterScrapeTargets(spec: DeploymentSpec): ScrapeTargets {
  const namespace = namespaceName(spec);
  const at = (service: string, port: number) => `${service}.${namespace}.svc:${port}`;
  // With workers every Synapse process is a target of the one synapse job, so the alerts on
  // up{job="synapse"} cover each of them.
  const workers = workerInstances(spec.scale.workers).map((instance) => at(synapseWorkerHost(instance.name), PORTS.synapseMetrics));
  const main = at(MAS_UPSTREAMS.synapse, PORTS.synapseMetrics);
  const targets = {
    synapse: workers.length === 0 ? main : [main, ...workers],
    mas: at(SYNAPSE_UPSTREAMS.mas, PORTS.masInternal),
    postgres: at(SYNAPSE_UPSTREAMS.postgres, PORTS.postgresExporter),
  };
  if (!ownsNode(spec.target)) return targets;
  return {
    ...targets,
    node: `${NODE_NETWORK.nodeIp}:${PORTS.nodeExporter}`,
    traefik: `${TRAEFIK_METRICS.service}.${TRAEFIK_METRICS.namespace}.svc:${PORTS.traefikMetrics}`,
  };
}

/** The HTTP path of each component's metrics (the bundled scrape config and the ServiceMonitors). */
export const METRICS_PATHS: Readonly<Record<ScrapedComponent, string>> = {
  synapse: SYNAPSE_METRICS_PATH,
  mas: MAS_METRICS_PATH,
  postgres: '/metrics',
  node: '/metrics',
  traefik: TRAEFIK_METRICS.path,
};

/**
 * prometheus.yml for one deployment: one job per component of scrapedComponents(spec), the alert rules file. `targets`
 * defaults to the in-cluster Services; the integration test passes loopback addresses (and
 * shorter intervals), and gets the same file otherwise.
 */
export function renderScrapeConfig(
  spec: DeploymentSpec,
  targets: ScrapeTargets = inClusterScrapeTargets(spec),
  intervals: ScrapeIntervals = DEFAULT_SCRAPE_INTERVALS,
): string {
  for (const [name, seconds] of Object.entries(intervals)) {
    if (!Number.isInteger(seconds) || seconds < 1) throw new Error(`scrape config: ${name} must be a whole number of seconds >= 1, not ${seconds}`);
  }
  const components = scrapedComponents(spec);
  const missing = components.filter((c) => targets[c] === undefined);
  if (missing.length > 0) throw new Error(`scrape config: no target for ${missing.join(', ')}`);
  const config = {
    global: {
      scrape_interval: `${intervals.scrapeSeconds}s`,
      scrape_timeout: `${scrapeTimeoutSeconds(intervals.scrapeSeconds)}s`,
      evaluation_interval: `${intervals.evaluationSeconds}s`,
    },
    rule_files: [ALERT_RULES_FILE],
    scrape_configs: components.map((component) => ({
      job_name: SCRAPE_JOBS[component],
      metrics_path: METRICS_PATHS[component],
      static_configs: [{ targets: [targets[component] ?? []].flat() }],
    })),
  };
  return `# Prometheus configuration of the ${spec.name} deployment (${namespaceName(spec)}).\n${YAML.stringify(config, { lineWidth: 0 })}`;
}
