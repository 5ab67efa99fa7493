import type { DeploymentSpec } from '../config/spec';
import { workerInstances } from '../config/synapse-workers';
import { PORTS } from '../ports';
import type { RenderedFile } from './files';
import { synapseConfig } from './synapse';
import { READ_ROUTES, resolveRoutes, ROUTED_PREFIXES, ROUTES, type Balance, type ResolvedRoute, type RouteTarget } from './synapse-routes';
import { hasWorkers, SYNAPSE_PROCESS_HOSTS, synapseWorkerHost } from './synapse-workers';

/**
 * `synapse-router/nginx.conf`: the nginx between the ingress and Synapse's processes when there
 * are workers (the role of ESS's HAProxy). The ingress sends it /_matrix/ and /_synapse/client/;
 * it picks the process group by the path table of synapse-routes.ts and the instance by the
 * route's balance key. Runs unprivileged (nginx-unprivileged image): port PORTS.synapseRouter,
 * pid and temporary files under /tmp. Upstream hosts are Kubernetes Services, resolved once at
 * start as nginx does for `server` lines; a Service's address does not change when its pods do.
 */

/** Where the router's configuration is mounted; the container runs `nginx -c` on it. */
export const SYNAPSE_ROUTER_FILE = 'synapse-router/nginx.conf';

/**
 * How long the router waits for an answer. /sync long-polls for the client's `timeout` (clients
 * send 30 s) and an initial sync of a large account takes minutes; 180 s as ESS's initial sync.
 */
export const ROUTER_TIMEOUT_SECONDS = 180;

/** The nginx upstream (group) name of a target. */
export function routerUpstream(target: RouteTarget): string {
  return `synapse_${target.replace(/-/g, '_')}`;
}

/** nginx expression of each balance key (maps defined in the http block below). */
const BALANCE_KEY: Readonly<Record<Balance, string>> = {
  token: '$synapse_token',
  room: '$synapse_room',
  origin: '$synapse_origin',
  // A random key per request: about round robin, and one `hash` directive for every upstream.
  spread: '$request_id',
};

/** Synapse's max_upload_size ('50M', 'K'/'M'/'G'/'T' suffixes or bytes) in bytes, as Synapse parses it. */
export function synapseSizeBytes(value: unknown): number {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  const match = typeof value === 'string' ? /^(\d+)([KMGT]?)$/.exec(value) : null;
  if (!match) throw new Error(`max_upload_size ${JSON.stringify(value)} is not a size Synapse understands`);
  const power = ' KMGT'.indexOf(match[2] || ' ');
  return Number(match[1]) * 1024 ** power;
}

/** The instances' host:port lines of each target the routes use, main first. */
function upstreams(spec: DeploymentSpec, targets: ReadonlySet<RouteTarget>): Map<RouteTarget, string[]> {
  const result = new Map<RouteTarget, string[]>([['main', [`${SYNAPSE_PROCESS_HOSTS.main}:${PORTS.synapseHttp}`]]]);
  for (const { name, group } of workerInstances(spec.scale.workers)) {
    if (!targets.has(group.role)) continue;
    result.set(group.role, [...(result.get(group.role) ?? []), `${synapseWorkerHost(name)}:${PORTS.synapseHttp}`]);
  }
  return result;
}

/** One `map` entry: the quoted pattern and its `<target>:<balance>` value. */
function mapEntries(routes: readonly ResolvedRoute[]): string[] {
  return routes.map(({ pattern, target, balance }) => `    "~${pattern}" ${target}:${balance};`);
}

/** The named location that sends a request whose worker role does not answer to the main process. */
const MAIN_FALLBACK = '@synapse_main_fallback';

/** The complete nginx.conf; [] without workers (the ingress then sends everything to main). */
export function renderSynapseRouter(spec: DeploymentSpec): RenderedFile[] {
  if (!hasWorkers(spec)) return [];
  const plan = spec.scale.workers;
  const routes = resolveRoutes(plan, ROUTES);
  const reads = resolveRoutes(plan, READ_ROUTES);
  const targets = new Set<RouteTarget>([...routes, ...reads].map((r) => r.target));
  const groups = upstreams(spec, targets);
  const maxBody = synapseSizeBytes(synapseConfig(spec).max_upload_size);
  const proxy = `        proxy_pass http://$synapse_upstream;`;
  const lines = [
    '# The Synapse router, rendered by sovereign-matrix; do not edit. It sends each request to the',
    "# Synapse process Synapse's worker documentation names for its path (synapse-routes.ts).",
    'worker_processes 1;',
    'pid /tmp/nginx.pid;',
    // stderr by file descriptor: opening /dev/stderr fails when it is a socket.
    'error_log stderr warn;',
    '',
    'events {',
    '    worker_connections 4096;',
    '}',
    '',
    'http {',
    '    # Unprivileged: every temporary file under /tmp.',
    '    client_body_temp_path /tmp/client_temp;',
    '    proxy_temp_path /tmp/proxy_temp;',
    '    fastcgi_temp_path /tmp/fastcgi_temp;',
    '    uwsgi_temp_path /tmp/uwsgi_temp;',
    '    scgi_temp_path /tmp/scgi_temp;',
    '    server_tokens off;',
    '    # $uri, not $request: the query string may carry ?access_token=, which must not reach a log.',
    `    log_format router '$remote_addr "$request_method $uri" $status $body_bytes_sent $request_time $synapse_upstream';`,
    '    access_log /dev/stdout router;',
    '',
    "    # Synapse's max_upload_size; uploads stream through to the media worker unbuffered.",
    `    client_max_body_size ${maxBody};`,
    '    proxy_request_buffering off;',
    '    proxy_http_version 1.1;',
    '    proxy_set_header Connection "";',
    '    # Synapse (x_forwarded: true) sees the client the ingress saw, and the scheme it spoke.',
    '    proxy_set_header Host $http_host;',
    '    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
    '    proxy_set_header X-Forwarded-Proto $synapse_forwarded_proto;',
    '    proxy_connect_timeout 5s;',
    `    proxy_read_timeout ${ROUTER_TIMEOUT_SECONDS}s;`,
    `    proxy_send_timeout ${ROUTER_TIMEOUT_SECONDS}s;`,
    '',
    '    map $http_x_forwarded_proto $synapse_forwarded_proto {',
    '        "" $scheme;',
    '        default $http_x_forwarded_proto;',
    '    }',
    '',
    '    # Balance keys. token: the access token, from the Authorization header, else ?access_token=.',
    '    map $http_authorization $synapse_header_token {',
    '        "~^Bearer\\s+(\\S+)$" $1;',
    '        default "";',
    '    }',
    '    map $synapse_header_token $synapse_token {',
    '        "" $arg_access_token;',
    '        default $synapse_header_token;',
    '    }',
    '    # room: the room ID or alias in the path; requests without one spread.',
    '    map $uri $synapse_room {',
    '        "~/rooms/([^/]+)/" $1;',
    '        "~/(?:join|knock)/([^/]+)$" $1;',
    '        default $request_id;',
    '    }',
    "    # origin: the sending server's address. The LAST X-Forwarded-For hop is the one the ingress",
    '    # appended itself; earlier hops are whatever the sender claimed. $remote_addr is the ingress.',
    '    map $http_x_forwarded_for $synapse_origin {',
    '        "~(?:^|,)\\s*([^,\\s]+)\\s*$" $1;',
    '        default $remote_addr;',
    '    }',
    '',
    "    # Routes, first match wins (nginx tries a map's regular expressions in order): '<group>:<balance>'.",
    '    map $uri $synapse_route_any {',
    ...mapEntries(routes),
    '        default main:spread;',
    '    }',
    '    # Reads any generic worker may answer, tried first for GET and HEAD.',
    '    map $uri $synapse_route_read {',
    ...mapEntries(reads),
    '        default "";',
    '    }',
    '    map "$request_method $synapse_route_read" $synapse_route {',
    '        "~^(?:GET|HEAD) (.+)$" $1;',
    '        default $synapse_route_any;',
    '    }',
    '    map $synapse_route $synapse_upstream {',
    ...[...groups.keys()].map((target) => `        "~^${target}:" ${routerUpstream(target)};`),
    `        default ${routerUpstream('main')};`,
    '    }',
    '    map $synapse_route $synapse_balance_key {',
    ...(['token', 'room', 'origin'] as const).map((balance) => `        "~:${balance}$" ${BALANCE_KEY[balance]};`),
    `        default ${BALANCE_KEY.spread};`,
    '    }',
    '',
    ...[...groups].flatMap(([target, servers]) => [
      `    upstream ${routerUpstream(target)} {`,
      '        hash $synapse_balance_key consistent;',
      ...servers.map((server) => `        server ${server};`),
      '        keepalive 16;',
      '    }',
    ]),
    '',
    '    server {',
    `        listen ${PORTS.synapseRouter};`,
    '        server_name _;',
    "        # The router's own liveness; the ingress never forwards this path.",
    '        location = /health {',
    '            access_log off;',
    '            default_type text/plain;',
    '            return 200 "OK\\n";',
    '        }',
    ...ROUTED_PREFIXES.flatMap((prefix) => [`        location ${prefix} {`, `    ${proxy}`, `            error_page 502 504 = ${MAIN_FALLBACK};`, '        }']),
    '        # A worker role none of whose instances answers (nginx has tried each of them): the main',
    '        # process, which serves every route but the media repository\'s (main has none), takes over.',
    `        location ${MAIN_FALLBACK} {`,
    '            if ($synapse_route ~ "^media-repository:") {',
    '                return 502;',
    '            }',
    `            proxy_pass http://${routerUpstream('main')};`,
    '        }',
    '        # Everything else, the admin API above all, is not the router\'s to pass on.',
    '        location / {',
    '            return 404;',
    '        }',
    '    }',
    '}',
    '',
  ];
  return [{ path: SYNAPSE_ROUTER_FILE, content: lines.join('\n') }];
}
