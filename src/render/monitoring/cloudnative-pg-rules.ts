import type { DeploymentSpec } from '../../config/spec';
import type { AlertRule } from './rule-types';
import { SCRAPE_JOBS } from './scrape-config';

/**
 * The PostgreSQL alerts when CloudNativePG runs it (scale.postgres.engine cloudnative-pg). The
 * scrape job `postgres` then reads the primary's instance manager through the `postgres` Service,
 * which exports CloudNativePG's series, not postgres_exporter's: `cnpg_collector_up`
 * (pkg/management/postgres/webserver/metricserver/pg_collector.go) and, from the operator's
 * default queries (config/manager/default-monitoring.yaml, both CloudNativePG 1.30.1),
 * `cnpg_backends_total`, `cnpg_pg_settings_setting` and `cnpg_pg_replication_*`. The alert names
 * stay those of the bundled PostgreSQL, so routing and silences carry over; the runbooks name the
 * Cluster's pods, which the operator names postgres-1, postgres-2, ...
 */
export function cloudNativePgRules(spec: DeploymentSpec, ns: string): AlertRule[] {
  const engine = spec.scale.postgres;
  if (engine.engine !== 'cloudnative-pg') throw new Error('cloudNativePgRules needs scale.postgres.engine cloudnative-pg');
  const job = `job="${SCRAPE_JOBS.postgres}"`;
  const pods = `kubectl -n ${ns} get pods -l cnpg.io/cluster=postgres -o wide`;
  const status = `kubectl -n ${ns} get cluster postgres -o wide`;
  // kubectl resolves service/postgres to the pod behind it: the primary.
  const psql = (sql: string) => `kubectl -n ${ns} exec service/postgres -c postgres -- psql -U postgres -c "${sql}"`;
  return [
    {
      alert: 'PostgresDown',
      // The primary's own check; `up` when its metrics cannot be scraped; and absent `up` when
      // no pod is primary (a ServiceMonitor then has no target at all, so `up` is gone, not 0).
      expr: `cnpg_collector_up{${job}} == 0 or up{${job}} == 0 or absent(up{${job}})`,
      for: '2m',
      labels: { severity: 'critical' },
      annotations: {
        summary: 'PostgreSQL has no working primary: Synapse and MAS cannot work.',
        description: `For 2 minutes, the primary of the CloudNativePG Cluster postgres in ${ns} could not be reached, or reported PostgreSQL down, or no instance was primary.`,
        runbook: [
          `1. Run \`${status}\`: its status and current primary say whether the operator is failing over (it promotes the synchronous standby).`,
          `2. Run \`${pods}\`: Pending instances mean too few nodes for one instance per node; CrashLoopBackOff, read \`kubectl -n ${ns} logs <pod> -c postgres --since=30m\`.`,
          `3. Run \`kubectl -n ${ns} describe cluster postgres\` and read its conditions and events; the operator's own log is in its namespace (cnpg-system by default): \`kubectl -n cnpg-system logs deployment/cnpg-controller-manager --since=30m\`.`,
          `4. No primary and no failover: check that the operator runs and that the network policies admit it (\`kubectl -n ${ns} get networkpolicy allow-postgres-from-operator\`).`,
        ].join('\n'),
      },
    },
    {
      alert: 'PostgresConnectionsHigh',
      expr: [
        `sum by (instance) (cnpg_backends_total{${job}})`,
        `  / on(instance) max by (instance) (cnpg_pg_settings_setting{${job}, name="max_connections"}) > 0.8`,
      ].join('\n'),
      for: '5m',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'PostgreSQL uses more than 80 % of its connections.',
        description: 'For 5 minutes, more than 80 % of max_connections have been in use on the primary. When none is left, Synapse and MAS fail their requests.',
        runbook: [
          `1. See who holds them: \`${psql('SELECT datname, usename, state, count(*) FROM pg_stat_activity GROUP BY 1, 2, 3 ORDER BY 4 DESC')}\`.`,
          `2. Many "idle in transaction" connections point to a stuck client: restart it (\`kubectl -n ${ns} rollout restart deployment/synapse\` or \`deployment/mas\`).`,
          '3. If the load is real, choose a larger size profile in the deployment file (it raises the pools and the database\'s resources) and deploy.',
        ].join('\n'),
      },
    },
    {
      alert: 'PostgresReplicaMissing',
      // Read on the primary (the only instance scraped); in_recovery guards the moment of a switchover.
      expr: `cnpg_pg_replication_streaming_replicas{${job}} < ${engine.instances - 1} and on(instance) cnpg_pg_replication_in_recovery{${job}} == 0`,
      for: '10m',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'Fewer PostgreSQL replicas stream from the primary than the Cluster has.',
        description: `For 10 minutes, fewer than ${engine.instances - 1} standbys have streamed from the primary. Losing the primary's node may now lose recent writes or stop the database until an instance is back${engine.instances >= 3 ? '; with none left, writes wait for a synchronous standby' : ''}.`,
        runbook: [
          `1. Run \`${pods}\`: a Pending instance needs a node of its own (required anti-affinity); a crashing one, read its log with \`kubectl -n ${ns} logs <pod> -c postgres --since=30m\`.`,
          `2. Run \`${status}\` and \`kubectl -n ${ns} describe cluster postgres\`: the operator reports instances it is re-cloning (a join job) or cannot start.`,
          `3. See what the primary sees: \`${psql('SELECT application_name, state, sync_state, replay_lag FROM pg_stat_replication')}\`.`,
        ].join('\n'),
      },
    },
  ];
}
