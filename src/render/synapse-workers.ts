import type { DeploymentSpec } from '../config/spec';
import { workerInstances, type WorkerPlan, type WorkerRole } from '../config/synapse-workers';
import { PORTS } from '../ports';

/**
 * What Synapse's processes share when there are workers: the addresses of the processes, and the
 * additions to homeserver.yaml that tell every process who writes which stream and who runs which
 * background job (Synapse 1.163.2, docs/workers.md). Per-worker files are in
 * synapse-worker-files.ts; this module does not import synapse.ts, which merges these settings.
 */

/**
 * In-namespace Service names (hosts) of Synapse's processes. The main process keeps `synapse`
 * (MAS and the ingress address it today); every worker instance is `synapse-<instance>`, see
 * synapseWorkerHost. Instances are named `<role>-<index>` and no role is `redis` or `router`, so
 * the names cannot clash.
 */
export const SYNAPSE_PROCESS_HOSTS = {
  main: 'synapse',
  /** Redis, the replication bus (src/render/redis.ts). */
  redis: 'synapse-redis',
  /** The nginx router between the ingress and the processes (src/render/synapse-router.ts). */
  router: 'synapse-router',
} as const;

/** Synapse's name for the main process in instance_map and stream_writers. */
export const MAIN_INSTANCE = 'main';

/** The Service (and host) name of a worker instance, e.g. `synapse-synchrotron-0`. */
export function synapseWorkerHost(instance: string): string {
  return `synapse-${instance}`;
}

/**
 * The shared secret with which processes authenticate replication requests to each other: a file
 * mounted from a Kubernetes Secret into every Synapse process. Only its path is rendered.
 */
export const SYNAPSE_REPLICATION_SECRET_FILE = '/secrets/synapse/worker-replication-secret';

/**
 * Database pool of one worker process. The main process keeps its size profile's pool
 * (synapse.ts); a worker serves a share of the requests, and PostgreSQL's max_connections must
 * hold every process's pool at once (postgresMaxConnections in postgres.ts). 10 is Synapse's own
 * default cp_max.
 */
export const WORKER_DATABASE_POOL = { cpMin: 5, cpMax: 10 } as const;

/**
 * The streams the stream-writer role writes: Synapse allows exactly one writer for each of them
 * except receipts (one or more). device_lists, thread_subscriptions and quarantined_media_changes
 * stay on the main process (their default writer), as in ESS for the latter two.
 */
export const STREAM_WRITER_STREAMS = ['typing', 'to_device', 'account_data', 'receipts', 'presence', 'push_rules'] as const;

/** Roles whose instances write a stream, so other processes call their replication listener. */
const WRITER_ROLES: ReadonlySet<WorkerRole> = new Set(['event-persister', 'stream-writer']);

/** Whether a role's instances need a replication listener and an instance_map entry. */
export function isWriterRole(role: WorkerRole): boolean {
  return WRITER_ROLES.has(role);
}

/** Instance names of a role, in order; [] when the plan has none. */
export function instancesOf(plan: WorkerPlan, role: WorkerRole): string[] {
  return workerInstances(plan)
    .filter((instance) => instance.group.role === role)
    .map((instance) => instance.name);
}

/** Whether the deployment runs workers at all (otherwise Synapse is one process, as before). */
export function hasWorkers(spec: DeploymentSpec): boolean {
  return spec.scale.workers.groups.length > 0;
}

/**
 * The main process's replication listener: workers send it their HTTP replication requests. Only
 * when there are workers; the network policy admits only Synapse's pods to it.
 */
export function mainReplicationListeners(spec: DeploymentSpec): Record<string, unknown>[] {
  return hasWorkers(spec) ? [replicationListener()] : [];
}

/** An HTTP listener with only the `replication` resource, on PORTS.synapseReplication. */
export function replicationListener(): Record<string, unknown> {
  return {
    port: PORTS.synapseReplication,
    type: 'http',
    tls: false,
    bind_addresses: ['0.0.0.0'],
    resources: [{ names: ['replication'], compress: false }],
  };
}

/**
 * The keys merged into homeserver.yaml when there are workers; {} for a single process, so a
 * small deployment's homeserver.yaml stays as it was. Every process reads this file first and its
 * worker file second (Synapse merges the files' top-level keys).
 */
export function synapseWorkerSettings(spec: DeploymentSpec): Record<string, unknown> {
  if (!hasWorkers(spec)) return {};
  const plan = spec.scale.workers;
  const persisters = instancesOf(plan, 'event-persister');
  const streamWriter = instancesOf(plan, 'stream-writer');
  const senders = instancesOf(plan, 'federation-sender');
  const pushers = instancesOf(plan, 'pusher');
  const [background] = instancesOf(plan, 'background');
  const [media] = instancesOf(plan, 'media-repository');

  const writers = workerInstances(plan)
    .filter((instance) => isWriterRole(instance.group.role))
    .map((instance) => instance.name);
  const instanceMap: Record<string, unknown> = {
    [MAIN_INSTANCE]: { host: SYNAPSE_PROCESS_HOSTS.main, port: PORTS.synapseReplication },
  };
  for (const name of writers) instanceMap[name] = { host: synapseWorkerHost(name), port: PORTS.synapseReplication };

  const streamWriters: Record<string, string[]> = {};
  if (persisters.length > 0) streamWriters.events = persisters;
  if (streamWriter.length > 0) for (const stream of STREAM_WRITER_STREAMS) streamWriters[stream] = [...streamWriter];

  return {
    worker_replication_secret_path: SYNAPSE_REPLICATION_SECRET_FILE,
    instance_map: instanceMap,
    ...(Object.keys(streamWriters).length > 0 ? { stream_writers: streamWriters } : {}),
    ...(senders.length > 0 ? { federation_sender_instances: senders } : {}),
    ...(pushers.length > 0 ? { pusher_instances: pushers } : {}),
    ...(background === undefined
      ? {}
      : {
          run_background_tasks_on: background,
          update_user_directory_from_worker: background,
          notify_appservices_from_worker: background,
        }),
    // Without a media worker the main process keeps the media repository.
    ...(media === undefined ? {} : { enable_media_repo: false, media_instance_running_background_jobs: media }),
    redis: { enabled: true, host: SYNAPSE_PROCESS_HOSTS.redis, port: PORTS.redis },
  };
}

/** Comments for the keys above, in homeserver.yaml. */
export const WORKER_SETTINGS_COMMENTS: Readonly<Record<string, string>> = {
  worker_replication_secret_path: [
    ' Workers: every process reads this file and then its own synapse/worker-<name>.yaml. Processes',
    ' call each other over the replication listeners named in instance_map, authenticated with this',
    ' shared secret (a mounted Kubernetes Secret), and exchange stream updates through Redis.',
  ].join('\n'),
  enable_media_repo: ' The media repository runs only on the media worker; the router sends it every media path.',
};
