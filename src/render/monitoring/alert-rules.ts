import YAML from 'yaml';
import type { DeploymentSpec } from '../../config/spec';
import { MAS_UPSTREAMS } from '../mas';
import { namespaceName } from '../namespace';
import { SYNAPSE_UPSTREAMS } from '../synapse';
import { backupRules } from './backup-rules';
import { cloudNativePgRules } from './cloudnative-pg-rules';
import { clusterRules, k3sNodeRules } from './platform-rules';
import type { AlertRule, RuleEvaluator, RuleFile, RuleGroup } from './rule-types';
import { SCRAPE_JOBS } from './scrape-config';
import { ownsNode } from '../../config/node-target';

/**
 * The Prometheus alert rules of a deployment. Every expression uses only series that something
 * exports where the rules are evaluated: `up` (Prometheus itself, per scrape job), Synapse 1.163.2's
 * own metrics, postgres_exporter's, and on the kit's k3s node_exporter's and Traefik's
 * (platform-rules.ts); on an existing cluster, with the cluster's Prometheus Operator stack, the
 * kubelets' volume statistics and cert-manager's. A rule is rendered only for what the deployment
 * has (federation, backups): a rule on a series nothing exports never fires, and a silent alert is
 * worse than none. There is no TURN alert: coturn's own metrics count allocations but not failed
 * ones, and Debian's coturn (the integration tests' build) has no metrics at all; see
 * docs/operations.md, Monitoring.
 *
 * Annotations are plain text without templates, so the runbook an operator reads is exactly the
 * text reviewed here (and the rule tests can expect it verbatim).
 */

export type { AlertRule, RuleEvaluator, RuleFile, RuleGroup, Severity } from './rule-types';

/** Share of 5xx responses that counts as failing (HomeserverErrors; the dashboard draws it). */
export const HOMESERVER_ERROR_SHARE_THRESHOLD = 0.05;
/** Pending federation PDUs that count as a stuck queue (a busy server drains hundreds in seconds). */
export const FEDERATION_PENDING_PDUS_THRESHOLD = 1000;
/** Stream positions (about one per event) a background event processor may trail the writer. */
export const EVENT_PROCESSING_LAG_THRESHOLD = 1000;

/**
 * Who evaluates the rules when the caller does not say: the Prometheus Operator's stack when the
 * deployment file asks for it, the bundled Prometheus otherwise. With `auto` only deploy knows,
 * so the PrometheusRule passes 'prometheus-operator' and the bundled stack 'bundled'.
 */
export function defaultEvaluator(spec: DeploymentSpec): RuleEvaluator {
  return spec.target.kind === 'kubernetes' && spec.monitoring.stack === 'prometheus-operator' ? 'prometheus-operator' : 'bundled';
}

export function alertRules(spec: DeploymentSpec, evaluator: RuleEvaluator = defaultEvaluator(spec)): RuleFile {
  const ns = namespaceName(spec);
  const groups: RuleGroup[] = [
    { name: 'synapse', rules: synapseRules(spec, ns) },
    { name: 'postgres', rules: spec.scale.postgres.engine === 'cloudnative-pg' ? cloudNativePgRules(spec, ns) : postgresRules(ns) },
    { name: 'mas', rules: masRules(ns) },
  ];
  // The kit's k3s node: its data volume, its ingress and certificates (always the bundled stack).
  if (ownsNode(spec.target)) groups.push({ name: 'node', rules: k3sNodeRules(spec) });
  // An existing cluster: only the operator's stack scrapes the kubelets and cert-manager.
  else if (evaluator === 'prometheus-operator') groups.push({ name: 'cluster', rules: clusterRules(spec) });
  if (spec.backup.enabled) groups.push({ name: 'backup', rules: backupRules(spec) });
  return { groups };
}

/** The rule file as Prometheus (and `promtool check rules`) reads it. */
export function renderAlertRules(spec: DeploymentSpec, evaluator: RuleEvaluator = defaultEvaluator(spec)): string {
  return `# Alert rules of the ${spec.name} deployment (${namespaceName(spec)}).\n${YAML.stringify(alertRules(spec, evaluator), { lineWidth: 0 })}`;
}

// The workloads and their main containers carry the names of their Services (deployment/synapse,
// container synapse, behind Service synapse); -c names the container, as the pods have sidecars.
const SYNAPSE = MAS_UPSTREAMS.synapse;
const POSTGRES = SYNAPSE_UPSTREAMS.postgres;
const MAS = SYNAPSE_UPSTREAMS.mas;

function synapseRules(spec: DeploymentSpec, ns: string): AlertRule[] {
  const job = `job="${SCRAPE_JOBS.synapse}"`;
  const logs = `kubectl -n ${ns} logs deployment/${SYNAPSE} -c ${SYNAPSE} --since=30m`;
  const rules: AlertRule[] = [
    {
      alert: 'HomeserverDown',
      expr: `up{${job}} == 0`,
      for: '2m',
      labels: { severity: 'critical' },
      annotations: {
        summary: 'Synapse does not answer: nobody can send or receive messages.',
        description: `Prometheus has not reached Synapse's metrics listener in ${ns} for 2 minutes. Either the pod is not running or the process hangs.`,
        runbook: [
          `1. Run \`kubectl -n ${ns} get pods\`: is the ${SYNAPSE} pod Running and Ready, and how often has it restarted?`,
          `2. Run \`${logs}\` (add --previous after a restart) and look for the last ERROR or Traceback: a database error points to PostgreSQL (check the PostgresDown alert), a configuration error to the last change of the deployment file.`,
          `3. Run \`kubectl -n ${ns} describe pods ${SYNAPSE}\` (pods by name prefix) and read Events: OOMKilled means the size profile is too small; a failed volume mount or a Pending pod points to the node or its storage.`,
          `4. When the cause is fixed, \`kubectl -n ${ns} rollout restart deployment/${SYNAPSE}\` and watch \`kubectl -n ${ns} rollout status deployment/${SYNAPSE}\`.`,
        ].join('\n'),
      },
    },
    {
      alert: 'HomeserverErrors',
      expr: [
        `sum(rate(synapse_http_server_responses_total{${job},code=~"5.."}[5m]))`,
        `  / sum(rate(synapse_http_server_responses_total{${job}}[5m])) > ${HOMESERVER_ERROR_SHARE_THRESHOLD}`,
      ].join('\n'),
      for: '10m',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'More than 5 % of Synapse requests fail with a server error.',
        description: 'For 10 minutes, more than 5 % of the HTTP responses of Synapse had a 5xx status. Users see failed sends, syncs or logins.',
        runbook: [
          `1. Run \`${logs} | grep -E ' - (ERROR|CRITICAL) - '\` and group the errors by their message: one repeated error is usually the cause.`,
          `2. Database errors (OperationalError, "too many connections", timeouts): check the PostgreSQL alerts and \`kubectl -n ${ns} logs statefulset/${POSTGRES} -c ${POSTGRES} --since=30m\`.`,
          `3. Errors calling MAS (token introspection): check the MasDown alert and \`kubectl -n ${ns} logs deployment/${MAS} -c ${MAS} --since=30m\`.`,
          `4. If the errors started with a change, see what it changed with \`sovereign-matrix diff --base <the last good git ref>\`, and deploy the last good deployment file again.`,
        ].join('\n'),
      },
    },
    {
      alert: 'EventProcessingLag',
      // The writer's position minus each background processor's (federation sender, pushers,
      // appservices, user directory, stats): positions count persisted events.
      expr: `max(synapse_event_persisted_position{${job}}) - on() group_right() synapse_event_processing_positions{${job}} > ${EVENT_PROCESSING_LAG_THRESHOLD}`,
      for: '15m',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'A Synapse background processor trails the stored events.',
        description: `For 15 minutes, one of Synapse's event processors (label "name": federation sender, pushers, appservice, user directory or stats) has been more than ${EVENT_PROCESSING_LAG_THRESHOLD} events behind the newest stored event. Notifications, federation or search lag accordingly.`,
        runbook: [
          `1. See which processor lags: the alert's "name" label.`,
          `2. Run \`${logs}\` and look for errors of that processor (for example "federation_sender", "pusher", "user_directory").`,
          `3. Check whether the lag shrinks: a short burst (a large room import) catches up on its own; a constant or growing lag means the processor is stuck.`,
          `4. A stuck processor resumes from its stored position after \`kubectl -n ${ns} rollout restart deployment/${SYNAPSE}\`.`,
        ].join('\n'),
      },
    },
  ];
  // A closed federation sends nothing, so its queue has nothing to alert on.
  if (spec.federation.mode !== 'closed') rules.push(federationSendQueueRule(job, logs, ns));
  return rules;
}

function federationSendQueueRule(job: string, logs: string, ns: string): AlertRule {
  return {
    alert: 'FederationSendQueue',
    expr: `sum(synapse_federation_transaction_queue_pending_pdus{${job}}) > ${FEDERATION_PENDING_PDUS_THRESHOLD}`,
    for: '15m',
    labels: { severity: 'warning' },
    annotations: {
      summary: 'Events for other Matrix servers are piling up.',
      description: `For 15 minutes, more than ${FEDERATION_PENDING_PDUS_THRESHOLD} events (PDUs) have waited to be sent to other homeservers. Users on other servers do not see new messages.`,
      runbook: [
        `1. Run \`${logs} | grep -i federation\`: errors for one destination (DNS, TLS, connection refused) mean that server is down, which is its operators' problem; Synapse backs off and retries.`,
        `2. Errors for every destination point to this side: check that the node can reach the internet on port 8448 and 443, and the network policies (\`kubectl -n ${ns} get networkpolicy\`).`,
        `3. Check the EventProcessingLag alert: a stuck federation sender also fills this queue. Restart with \`kubectl -n ${ns} rollout restart deployment/${SYNAPSE}\`.`,
      ].join('\n'),
    },
  };
}

function postgresRules(ns: string): AlertRule[] {
  const job = `job="${SCRAPE_JOBS.postgres}"`;
  const logs = `kubectl -n ${ns} logs statefulset/${POSTGRES} -c ${POSTGRES} --since=30m`;
  return [
    {
      alert: 'PostgresDown',
      // pg_up is the exporter's own check; when the exporter cannot be scraped at all, pg_up is
      // absent, so `up` of the job stands in for it.
      expr: `pg_up{${job}} == 0 or up{${job}} == 0`,
      for: '2m',
      labels: { severity: 'critical' },
      annotations: {
        summary: 'PostgreSQL is down: Synapse and MAS cannot work.',
        description: `For 2 minutes, postgres_exporter in ${ns} could not connect to PostgreSQL, or the exporter itself could not be scraped.`,
        runbook: [
          `1. Run \`kubectl -n ${ns} get pods\`: is the ${POSTGRES} pod Running and Ready?`,
          `2. Run \`${logs}\` (add --previous after a restart): "No space left on device" means the volume is full; "could not start" or "database system was shut down" after a crash shows recovery progress.`,
          `3. Run \`kubectl -n ${ns} describe pods ${POSTGRES}\` (pods by name prefix) and read Events (OOMKilled, volume mount failures, Pending).`,
          `4. Check the database answers: \`kubectl -n ${ns} exec statefulset/${POSTGRES} -c ${POSTGRES} -- pg_isready -U postgres -h 127.0.0.1\`.`,
        ].join('\n'),
      },
    },
    {
      alert: 'PostgresConnectionsHigh',
      expr: [
        `sum by (instance) (pg_stat_database_numbackends{${job}})`,
        `  / on(instance) max by (instance) (pg_settings_max_connections{${job}}) > 0.8`,
      ].join('\n'),
      for: '5m',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'PostgreSQL uses more than 80 % of its connections.',
        description: 'For 5 minutes, more than 80 % of max_connections have been in use. When none is left, Synapse and MAS fail their requests.',
        runbook: [
          `1. See who holds them: \`kubectl -n ${ns} exec statefulset/${POSTGRES} -c ${POSTGRES} -- psql -U postgres -c "SELECT datname, usename, state, count(*) FROM pg_stat_activity GROUP BY 1, 2, 3 ORDER BY 4 DESC"\`.`,
          `2. Many "idle in transaction" connections point to a stuck client: restart it (\`kubectl -n ${ns} rollout restart deployment/${SYNAPSE}\` or \`deployment/${MAS}\`).`,
          `3. If the load is real, choose a larger size profile in the deployment file (it raises the pools and the database's resources) and deploy.`,
        ].join('\n'),
      },
    },
  ];
}

function masRules(ns: string): AlertRule[] {
  return [
    {
      alert: 'MasDown',
      expr: `up{job="${SCRAPE_JOBS.mas}"} == 0`,
      for: '2m',
      labels: { severity: 'critical' },
      annotations: {
        summary: 'Matrix Authentication Service does not answer: nobody can log in, and Synapse rejects access tokens.',
        description: `Prometheus has not reached MAS's internal listener (health and metrics) in ${ns} for 2 minutes.`,
        runbook: [
          `1. Run \`kubectl -n ${ns} get pods\`: is the ${MAS} pod Running and Ready?`,
          `2. Run \`kubectl -n ${ns} logs deployment/${MAS} -c ${MAS} --since=30m\` (add --previous after a restart) and look for the last ERROR: database errors point to PostgreSQL, configuration errors to the last change.`,
          `3. Run \`kubectl -n ${ns} describe pods ${MAS}\` (pods by name prefix) and read Events.`,
          `4. When the cause is fixed, \`kubectl -n ${ns} rollout restart deployment/${MAS}\`.`,
        ].join('\n'),
      },
    },
  ];
}
