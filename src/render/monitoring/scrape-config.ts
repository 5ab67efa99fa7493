import YAML from 'yaml';
import type { DeploymentSpec } from '../../config/spec';
import { PORTS } from '../../ports';
import { MAS_METRICS_PATH, MAS_UPSTREAMS } from '../mas';
import { namespaceName } from '../namespace';
import { SYNAPSE_UPSTREAMS } from '../synapse';

/**
 * The Prometheus job of each scraped component. The alert rules select their series by these
 * names (`up{job="synapse"}`), so both files read them from here.
 */
export const SCRAPE_JOBS = {
  synapse: 'synapse',
  mas: 'mas',
  postgres: 'postgres',
} as const;

export type ScrapedComponent = keyof typeof SCRAPE_JOBS;

/** Where each component is scraped, `host:port`. */
export type ScrapeTargets = Readonly<Record<ScrapedComponent, string>>;

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
 * The Services expose only their main port so far; wiring monitoring into the cluster (the next
 * step of the monitoring work) adds these ports and the exporter.
 */
export function inClusterScrapeTargets(spec: DeploymentSpec): ScrapeTargets {
  const namespace = namespaceName(spec);
  const at = (service: string, port: number) => `${service}.${namespace}.svc:${port}`;
  return {
    synapse: at(MAS_UPSTREAMS.synapse, PORTS.synapseMetrics),
    mas: at(SYNAPSE_UPSTREAMS.mas, PORTS.masInternal),
    postgres: at(SYNAPSE_UPSTREAMS.postgres, PORTS.postgresExporter),
  };
}

/** The HTTP path of each component's metrics (the bundled scrape config and the ServiceMonitors). */
export const METRICS_PATHS: Readonly<Record<ScrapedComponent, string>> = {
  synapse: SYNAPSE_METRICS_PATH,
  mas: MAS_METRICS_PATH,
  postgres: '/metrics',
};

/**
 * prometheus.yml for one deployment: one job per component, the alert rules file. `targets`
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
  const components = Object.keys(SCRAPE_JOBS) as ScrapedComponent[];
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
      static_configs: [{ targets: [targets[component]] }],
    })),
  };
  return `# Prometheus configuration of the ${spec.name} deployment (${namespaceName(spec)}).\n${YAML.stringify(config, { lineWidth: 0 })}`;
}
