import type { WorkerPlan, WorkerRole } from '../config/synapse-workers';

/**
 * The router's path table: which Synapse process serves a request. The patterns are Synapse
 * 1.163.2's own (docs/workers.md, "synapse.app.generic_worker", the stream sections and
 * "synapse.app.media_repository"), copied verbatim, grouped by role as Element's ESS chart does.
 * nginx matches them against the normalised path ($uri) in table order, first match wins; this
 * module's matcher does the same in JavaScript, so tests check the table without nginx.
 *
 * Left out on purpose:
 * - /login, /register, /register/available, the registration token validity and password policy
 *   endpoints: with MAS (always on in this kit) Synapse does not serve them; the ingress sends
 *   MAS's compatibility endpoints to MAS. An application service's /register reaches main.
 * - every /_synapse/admin path: the ingress never forwards the admin API and the router refuses it.
 * - the SSO endpoints: Synapse serves none with delegated authentication.
 * Anything that matches no pattern goes to the main process, which can serve every client and
 * federation endpoint (except media when the media worker owns the media repository).
 */

/** The process group a request goes to: a worker role, or Synapse's main process. */
export type RouteTarget = WorkerRole | 'main';

/**
 * How an upstream with several instances picks one:
 * - token: the access token (Authorization: Bearer, else ?access_token=): one client session stays
 *   on one synchrotron, whose caches then hold its rooms (docs/workers.md "Load balancing").
 * - room: the room ID (or alias) in the path; /rooms/…/messages of one room MUST reach one
 *   instance (pagination tokens are per instance), event sending benefits.
 * - origin: the sending server's address, so one remote server's transactions reach one process.
 * - spread: no affinity (a random key, i.e. about round robin).
 */
export type Balance = 'token' | 'room' | 'origin' | 'spread';

export interface Route {
  /** PCRE (and JavaScript) regular expression over the request path, as Synapse documents it. */
  readonly pattern: string;
  /** Roles that may serve it, preferred first; when the plan has none of them, main does. */
  readonly roles: readonly WorkerRole[];
  readonly balance: Balance;
}

const CLIENT = '^/_matrix/client';
const route = (roles: WorkerRole | readonly WorkerRole[], balance: Balance, ...patterns: string[]): Route[] =>
  patterns.map((pattern) => ({ pattern, roles: typeof roles === 'string' ? [roles] : roles, balance }));

/**
 * Routes for every method, in match order. The stream writers' paths come before the event
 * creator's and client reader's broader patterns (e.g. …/rooms/.*\/send would also match some
 * account data paths); without a stream-writer role they go to main, which writes those streams.
 */
export const ROUTES: readonly Route[] = [
  // The media repository; with a media worker the main process has no media repository at all.
  ...route('media-repository', 'spread', '^/_matrix/media/', `${CLIENT}/v1/media/`, '^/_matrix/federation/v1/media/'),
  // Sync requests, and sliding sync (1.163.2 serves it beside /sync on every sync worker).
  ...route(
    'synchrotron',
    'token',
    `${CLIENT}/(r0|v3)/sync$`,
    `${CLIENT}/(api/v1|r0|v3)/events$`,
    `${CLIENT}/(api/v1|r0|v3)/initialSync$`,
    `${CLIENT}/(api/v1|r0|v3)/rooms/[^/]+/initialSync$`,
    `${CLIENT}/unstable/org.matrix.simplified_msc3575/.*`,
  ),
  // Inbound federation transactions; the medium preset has no inbound worker, its reader takes them.
  ...route(['federation-inbound', 'federation-reader'], 'origin', '^/_matrix/federation/v1/send/'),
  ...route(
    'federation-reader',
    'spread',
    '^/_matrix/federation/v1/version$',
    '^/_matrix/federation/v1/event/',
    '^/_matrix/federation/v1/state/',
    '^/_matrix/federation/v1/state_ids/',
    '^/_matrix/federation/v1/backfill/',
    '^/_matrix/federation/v1/get_missing_events/',
    '^/_matrix/federation/v1/publicRooms',
    '^/_matrix/federation/v1/query/',
    '^/_matrix/federation/v1/make_join/',
    '^/_matrix/federation/v1/make_leave/',
    '^/_matrix/federation/(v1|v2)/send_join/',
    '^/_matrix/federation/(v1|v2)/send_leave/',
    '^/_matrix/federation/v1/make_knock/',
    '^/_matrix/federation/v1/send_knock/',
    '^/_matrix/federation/(v1|v2)/invite/',
    '^/_matrix/federation/v1/event_auth/',
    '^/_matrix/federation/v1/timestamp_to_event/',
    '^/_matrix/federation/v1/exchange_third_party_invite/',
    '^/_matrix/federation/v1/user/devices/',
    '^/_matrix/key/v2/query',
    '^/_matrix/federation/v1/hierarchy/',
  ),
  // The single-writer streams (typing, to_device, account_data, presence, push_rules) and receipts.
  ...route(
    'stream-writer',
    'spread',
    `${CLIENT}/(api/v1|r0|v3|unstable)/rooms/.*/typing`,
    `${CLIENT}/(r0|v3|unstable)/sendToDevice/`,
    `${CLIENT}/(r0|v3|unstable)/.*/tags`,
    `${CLIENT}/(r0|v3|unstable)/.*/account_data`,
    `${CLIENT}/(r0|v3|unstable)/rooms/.*/receipt`,
    `${CLIENT}/(r0|v3|unstable)/rooms/.*/read_markers`,
    `${CLIENT}/(api/v1|r0|v3|unstable)/presence/`,
    `${CLIENT}/(api/v1|r0|v3|unstable)/pushrules/`,
  ),
  // Event sending; ESS adds createRoom here.
  ...route(
    'event-creator',
    'room',
    `${CLIENT}/(api/v1|r0|v3|unstable)/rooms/.*/redact`,
    `${CLIENT}/(api/v1|r0|v3|unstable)/rooms/.*/send`,
    `${CLIENT}/(api/v1|r0|v3|unstable)/rooms/.*/state/`,
    `${CLIENT}/(api/v1|r0|v3|unstable)/rooms/.*/(join|invite|leave|ban|unban|kick)$`,
    `${CLIENT}/(api/v1|r0|v3|unstable)/join/`,
    `${CLIENT}/(api/v1|r0|v3|unstable)/knock/`,
    `${CLIENT}/(api/v1|r0|v3|unstable)/profile/`,
    `${CLIENT}/(api/v1|r0|v3|unstable)/createRoom$`,
  ),
  // Pagination: every request of one room on one instance (docs/workers.md: a hard requirement).
  ...route('client-reader', 'room', `${CLIENT}/(api/v1|r0|v3|unstable)/rooms/.*/messages$`),
  ...route(
    'client-reader',
    'spread',
    `${CLIENT}/(api/v1|r0|v3|unstable)/publicRooms$`,
    `${CLIENT}/(api/v1|r0|v3|unstable)/rooms/.*/joined_members$`,
    `${CLIENT}/(api/v1|r0|v3|unstable)/rooms/.*/context/.*$`,
    `${CLIENT}/(api/v1|r0|v3|unstable)/rooms/.*/members$`,
    `${CLIENT}/(api/v1|r0|v3|unstable)/rooms/.*/state$`,
    `${CLIENT}/v1/rooms/.*/hierarchy$`,
    `${CLIENT}/(v1|unstable)/rooms/.*/relations/`,
    `${CLIENT}/v1/rooms/.*/threads$`,
    `${CLIENT}/unstable/im.nheko.summary/summary/.*$`,
    `${CLIENT}/v1/room_summary/.*$`,
    `${CLIENT}/(r0|v3|unstable)/account/3pid$`,
    `${CLIENT}/(r0|v3|unstable)/account/whoami$`,
    `${CLIENT}/(r0|v3|unstable)/account/deactivate$`,
    `${CLIENT}/(r0|v3)/delete_devices$`,
    `${CLIENT}/(api/v1|r0|v3|unstable)/devices(/|$)`,
    `${CLIENT}/versions$`,
    `${CLIENT}/(api/v1|r0|v3|unstable)/voip/turnServer$`,
    `${CLIENT}/(api/v1|r0|v3|unstable)/rooms/.*/event/`,
    `${CLIENT}/(api/v1|r0|v3|unstable)/joined_rooms$`,
    `${CLIENT}/v1/rooms/.*/timestamp_to_event$`,
    `${CLIENT}/(api/v1|r0|v3|unstable/.*)/rooms/.*/aliases`,
    `${CLIENT}/(api/v1|r0|v3|unstable)/search$`,
    `${CLIENT}/(r0|v3|unstable)/user/.*/filter(/|$)`,
    `${CLIENT}/(api/v1|r0|v3|unstable)/directory/room/.*$`,
    `${CLIENT}/(r0|v3|unstable)/capabilities$`,
    `${CLIENT}/(r0|v3|unstable)/notifications$`,
    // Encryption requests.
    `${CLIENT}/(r0|v3|unstable)/keys/query$`,
    `${CLIENT}/(r0|v3|unstable)/keys/changes$`,
    `${CLIENT}/(r0|v3|unstable)/keys/claim$`,
    `${CLIENT}/(r0|v3|unstable)/room_keys/`,
    `${CLIENT}/(r0|v3|unstable)/keys/upload`,
    `${CLIENT}/(api/v1|r0|v3|unstable)/keys/device_signing/upload$`,
    `${CLIENT}/(api/v1|r0|v3|unstable)/keys/signatures/upload$`,
    `${CLIENT}/(r0|v3|unstable)/user_directory/search$`,
    `${CLIENT}/unstable/org.matrix.msc4140/delayed_events(/[^/]+(/restart)?)?$`,
    // MAS's calls into Synapse (when MAS is pointed at the router; see synapse-router.ts).
    '^/_synapse/mas/',
  ),
];

/**
 * Routes for GET (and HEAD) only, matched BEFORE ROUTES: any generic worker may answer these
 * reads, while writes to the same paths must reach the stream's writer.
 */
export const READ_ROUTES: readonly Route[] = route(
  'client-reader',
  'spread',
  `${CLIENT}/(api/v1|r0|v3|unstable)/pushrules/`,
  `${CLIENT}/(r0|v3|unstable)/.*/tags`,
  `${CLIENT}/(r0|v3|unstable)/.*/account_data`,
  `${CLIENT}/(api/v1|r0|v3|unstable)/presence/`,
);

/** The path prefixes the router proxies at all; everything else (the admin API first) is refused. */
export const ROUTED_PREFIXES = ['/_matrix/', '/_synapse/client/', '/_synapse/mas/'] as const;

/** A route resolved against a plan: the group that serves it. */
export interface ResolvedRoute {
  readonly pattern: string;
  readonly target: RouteTarget;
  readonly balance: Balance;
}

/** The first of a route's roles that the plan runs, else main. */
export function resolveRoutes(plan: WorkerPlan, routes: readonly Route[]): ResolvedRoute[] {
  const present = new Set(plan.groups.map((group) => group.role));
  return routes.map(({ pattern, roles, balance }) => ({ pattern, balance, target: roles.find((role) => present.has(role)) ?? 'main' }));
}

/** The target and balance of a request, or 'refused' outside ROUTED_PREFIXES: what nginx.conf does. */
export function routeRequest(plan: WorkerPlan, method: string, path: string): { target: RouteTarget; balance: Balance } | 'refused' {
  if (!ROUTED_PREFIXES.some((prefix) => path.startsWith(prefix))) return 'refused';
  const read = method === 'GET' || method === 'HEAD';
  const tables = read ? [READ_ROUTES, ROUTES] : [ROUTES];
  for (const table of tables) {
    const hit = resolveRoutes(plan, table).find(({ pattern }) => new RegExp(pattern).test(path));
    if (hit) return { target: hit.target, balance: hit.balance };
  }
  return { target: 'main', balance: 'spread' };
}
