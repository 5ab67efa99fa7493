import type { FederationMode, Resources, SizeName } from './sizing';

/**
 * Synapse worker presets: which processes run beside the main process, how many of each, and
 * what share of the size profile's Synapse resources each gets. This file is the reviewed data;
 * src/render/synapse-workers.ts turns it into Synapse's shared configuration,
 * src/render/synapse-worker-files.ts into per-worker files, src/render/synapse-routes.ts and
 * synapse-router.ts into the router's path table and nginx.conf, src/components/k8s/synapse-workers.ts
 * into pods.
 *
 * The split follows Synapse's worker documentation for the pinned version (docs/workers.md of
 * 1.163.2) and the worker types of Element's ESS chart. One Synapse process uses at most one core
 * (Python's GIL), and every worker spends a fixed share of its CPU following the replication
 * stream, so the presets use a few fat workers rather than many thin ones.
 */

/**
 * What a worker does. The function comes from the shared configuration (stream writers, sender
 * and pusher instances, background tasks) and from the paths the router sends to it.
 */
export type WorkerRole =
  /** /sync, /events, /initialSync and sliding sync; the router keeps an access token on one instance. */
  | 'synchrotron'
  /** Client API reads; /rooms/…/messages of one room always reach the same instance. */
  | 'client-reader'
  /** Sending events, state, membership, room creation and profiles; one room on one instance. */
  | 'event-creator'
  /** Writers of the events stream: persist every event, sharded by room. No routes. */
  | 'event-persister'
  /** Inbound federation transactions (/send), balanced by the sending server's address. */
  | 'federation-inbound'
  /** Every other federation read and the key query API. */
  | 'federation-reader'
  /** Outbound federation (federation_sender_instances). No routes. */
  | 'federation-sender'
  /** The media repository (upload, download, thumbnails); owns the media store. */
  | 'media-repository'
  /** Push notifications (pusher_instances). No routes. */
  | 'pusher'
  /** The single-writer streams: typing, to_device, account_data, receipts, presence, push_rules. */
  | 'stream-writer'
  /** Background tasks, the user directory and application-service notifications. */
  | 'background';

/** One kind of worker in a preset. */
export interface WorkerGroup {
  readonly role: WorkerRole;
  /** Instances, named `<role>-<index>` from 0. */
  readonly count: number;
  /** Requests of one instance: its weight's share of the profile's Synapse resources. */
  readonly resources: Resources;
}

/** The worker layout of a deployment: empty for a single Synapse process. */
export interface WorkerPlan {
  /** The preset it came from. */
  readonly preset: WorkerPresetName;
  /** Requests of the main process. */
  readonly main: Resources;
  readonly groups: readonly WorkerGroup[];
  /** Redis, Synapse's replication bus between processes; present when there are workers. */
  readonly redis?: Resources;
  /** The router between the ingress and the processes; present when there are workers. */
  readonly router?: Resources;
}

export type WorkerPresetName = 'none' | 'medium' | 'large';

/** Roles that only do federation; a closed deployment (no federation) leaves them out. */
export const FEDERATION_ROLES: ReadonlySet<WorkerRole> = new Set(['federation-inbound', 'federation-reader', 'federation-sender']);

/** Roles that may run only one instance (single-writer streams, the media store, background tasks). */
export const SINGLE_INSTANCE_ROLES: ReadonlySet<WorkerRole> = new Set(['media-repository', 'stream-writer', 'background']);

/**
 * Relative CPU and memory weight of one process of each role (the main process weighs MAIN_WEIGHT).
 * Sync and client reads carry most of the load of a busy homeserver; senders, pushers and
 * background work are light.
 */
const WEIGHT: Readonly<Record<WorkerRole, number>> = {
  synchrotron: 2,
  'client-reader': 1.5,
  'event-creator': 1,
  'event-persister': 1.5,
  'federation-inbound': 1,
  'federation-reader': 1,
  'federation-sender': 1,
  'media-repository': 1,
  pusher: 0.5,
  'stream-writer': 1,
  background: 1,
};
const MAIN_WEIGHT = 2;

/** Instances per role in each preset. Order is output order. */
const PRESETS: Readonly<Record<WorkerPresetName, readonly (readonly [WorkerRole, number])[]>> = {
  // Up to 500 users: one process does it all (Synapse's docs recommend the monolith for small servers).
  none: [],
  // Up to 2,500 users: the issue's "a few generic workers, federation sender, media repository,
  // event persister"; the single-writer streams stay on the main process.
  medium: [
    ['synchrotron', 1],
    ['client-reader', 1],
    ['event-persister', 1],
    ['federation-reader', 1],
    ['federation-sender', 1],
    ['media-repository', 1],
    ['background', 1],
  ],
  // Up to 10,000 users: split by function like ESS, several sync and persister instances.
  large: [
    ['synchrotron', 3],
    ['client-reader', 2],
    ['event-creator', 2],
    ['event-persister', 2],
    ['federation-inbound', 1],
    ['federation-reader', 2],
    ['federation-sender', 2],
    ['media-repository', 1],
    ['pusher', 1],
    ['stream-writer', 1],
    ['background', 1],
  ],
};

/** The preset a size profile gets when the deployment file says `auto`. */
export const WORKER_PRESET_BY_SIZE: Readonly<Record<SizeName, WorkerPresetName>> = { small: 'none', medium: 'medium', large: 'large' };

/** Requests of Redis (ESS: 40 MB maxmemory, 50 Mi) and of the nginx router, when there are workers. */
export const REDIS_RESOURCES: Resources = { cpu: 0.05, memoryGiB: 0.0625 };
export const ROUTER_RESOURCES: Resources = { cpu: 0.1, memoryGiB: 0.0625 };

/**
 * The worker plan of a preset: `synapse` (the profile's total for all Synapse processes) is divided
 * by weight, so moving between presets never changes what the node must hold for Synapse.
 */
export function workerPlan(preset: WorkerPresetName, synapse: Resources, federation: FederationMode): WorkerPlan {
  const counts = PRESETS[preset].filter(([role]) => federation !== 'closed' || !FEDERATION_ROLES.has(role));
  const totalWeight = MAIN_WEIGHT + counts.reduce((sum, [role, count]) => sum + WEIGHT[role] * count, 0);
  const share = (weight: number): Resources => ({
    // Millicores and MiB: what a Kubernetes request can say exactly.
    cpu: Math.floor((synapse.cpu * 1000 * weight) / totalWeight) / 1000,
    memoryGiB: Math.floor((synapse.memoryGiB * 1024 * weight) / totalWeight) / 1024,
  });
  const groups = counts.map(([role, count]) => ({ role, count, resources: share(WEIGHT[role]) }));
  return {
    preset,
    // A single process gets the profile's figures exactly (rounding would change today's requests).
    main: groups.length === 0 ? synapse : share(MAIN_WEIGHT),
    groups,
    ...(groups.length === 0 ? {} : { redis: REDIS_RESOURCES, router: ROUTER_RESOURCES }),
  };
}

/** Every worker instance's name, in output order (`synchrotron-0`, `synchrotron-1`, …). */
export function workerInstances(plan: WorkerPlan): readonly { readonly name: string; readonly group: WorkerGroup }[] {
  return plan.groups.flatMap((group) => Array.from({ length: group.count }, (_, i) => ({ name: `${group.role}-${i}`, group })));
}
