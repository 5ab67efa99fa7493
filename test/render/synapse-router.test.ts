import { PORTS } from '../../src/ports';
import { READ_ROUTES, routeRequest, ROUTES, type RouteTarget } from '../../src/render/synapse-routes';
import { renderSynapseRouter, ROUTER_TIMEOUT_SECONDS, routerUpstream, SYNAPSE_ROUTER_FILE, synapseSizeBytes } from '../../src/render/synapse-router';
import { synapseWorkerHost } from '../../src/render/synapse-workers';
import { workerInstances } from '../../src/config/synapse-workers';
import { SCALE_CASES, specWith } from './fixtures';
import { EXAMPLES } from './synapse-route-examples';

const LARGE = specWith('size: large\nfederation:\n  mode: open\n');
const MEDIUM = specWith('size: medium\nfederation:\n  mode: open\n');
const conf = (spec = LARGE) => renderSynapseRouter(spec)[0].content;

/** The entries of one `map <source> <variable> { ... }` block, in order: [key, value]. */
function mapBlock(text: string, variable: string): [string, string][] {
  const match = new RegExp(`\\n\\s*map \\S+ \\${variable} \\{\\n([\\s\\S]*?)\\n\\s*\\}`).exec(text);
  if (!match) throw new Error(`no map for ${variable}`);
  return match[1]
    .split('\n')
    .map((line) => /^\s*("(?:[^"]*)"|\S+)\s+(.+);$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => [m[1].replace(/^"(.*)"$/, '$1'), m[2]]);
}

/**
 * A tiny interpreter of nginx's `map` for the route blocks: regular-expression keys (`~`) in
 * order, first match wins, else `default`. PCRE and JavaScript agree on every pattern used.
 */
function evalMap(entries: [string, string][], input: string): string {
  for (const [key, value] of entries) {
    if (key.startsWith('~') && new RegExp(key.slice(1)).test(input)) return value;
  }
  return entries.find(([key]) => key === 'default')?.[1] ?? '';
}

/** What the rendered nginx.conf decides for a request: the upstream group's target. */
function nginxTarget(text: string, method: string, path: string): string {
  const any = evalMap(mapBlock(text, '$synapse_route_any'), path);
  const read = evalMap(mapBlock(text, '$synapse_route_read'), path).replace(/^""$/, '');
  const route = (method === 'GET' || method === 'HEAD') && read !== '' ? read : any;
  return route.split(':')[0];
}

describe('synapse-router/nginx.conf', () => {
  test('only with workers', () => {
    expect(renderSynapseRouter(specWith())).toEqual([]);
    expect(renderSynapseRouter(LARGE).map((f) => f.path)).toEqual([SYNAPSE_ROUTER_FILE]);
  });

  test.each([
    ['large', LARGE],
    ['medium', MEDIUM],
  ] as const)('the rendered maps send every documented example where the table does (%s)', (_name, spec) => {
    const text = conf(spec);
    for (const [method, path] of EXAMPLES) {
      const expected = routeRequest(spec.scale.workers, method, path);
      if (expected === 'refused') continue;
      expect([method, path, nginxTarget(text, method, path)]).toEqual([method, path, expected.target]);
    }
  });

  test.each(SCALE_CASES.filter((c) => c.spec.scale.workers.groups.length > 0))('each pattern of each table exactly once in its map ($name)', ({ spec }) => {
    const text = conf(spec);
    const any = mapBlock(text, '$synapse_route_any').map(([key]) => key);
    const read = mapBlock(text, '$synapse_route_read').map(([key]) => key);
    expect(any).toEqual([...ROUTES.map((r) => `~${r.pattern}`), 'default']);
    expect(read).toEqual([...READ_ROUTES.map((r) => `~${r.pattern}`), 'default']);
    for (const { pattern } of ROUTES) {
      const inRead = READ_ROUTES.some((r) => r.pattern === pattern) ? 1 : 0;
      expect(text.split(`"~${pattern}"`).length - 1).toBe(1 + inRead);
    }
  });

  test.each(SCALE_CASES.filter((c) => c.spec.scale.workers.groups.length > 0))('every target has an upstream with exactly its instances ($name)', ({ spec }) => {
    const text = conf(spec);
    const targets = new Set<string>(mapBlock(text, '$synapse_route_any').concat(mapBlock(text, '$synapse_route_read')).map(([, v]) => v.split(':')[0]));
    targets.delete('""');
    for (const target of targets) {
      const block = new RegExp(`upstream ${routerUpstream(target as RouteTarget)} \\{([^}]*)\\}`).exec(text);
      expect(block).not.toBeNull();
      const servers = [...block![1].matchAll(/server (\S+);/g)].map((m) => m[1]);
      const expected =
        target === 'main'
          ? [`synapse:${PORTS.synapseHttp}`]
          : workerInstances(spec.scale.workers)
              .filter((i) => i.group.role === target)
              .map((i) => `${synapseWorkerHost(i.name)}:${PORTS.synapseHttp}`);
      expect(servers).toEqual(expected);
      // The upstream map names it.
      expect(text).toContain(`"~^${target}:" ${routerUpstream(target as RouteTarget)};`);
    }
  });

  test('balance keys: the access token for sync, the room for pagination, the last forwarded hop for transactions', () => {
    const text = conf();
    expect(mapBlock(text, '$synapse_balance_key')).toEqual([
      ['~:token$', '$synapse_token'],
      ['~:room$', '$synapse_room'],
      ['~:origin$', '$synapse_origin'],
      ['default', '$request_id'],
    ]);
    const token = mapBlock(text, '$synapse_header_token');
    expect(evalMap(token, 'Bearer mat_abc_123')).toBe('$1');
    const room = mapBlock(text, '$synapse_room');
    const capture = (entries: [string, string][], input: string) => {
      for (const [key] of entries) {
        const m = key.startsWith('~') ? new RegExp(key.slice(1)).exec(input) : null;
        if (m) return m[1];
      }
      return undefined;
    };
    // One room, any API version: one key, so /messages of a room always reaches one instance.
    expect(capture(room, '/_matrix/client/v3/rooms/!a:x/messages')).toBe('!a:x');
    expect(capture(room, '/_matrix/client/r0/rooms/!a:x/messages')).toBe('!a:x');
    expect(capture(room, '/_matrix/client/v3/join/!a:x')).toBe('!a:x');
    // The last hop: the address the ingress appended, not what the sender claims before it.
    const origin = mapBlock(text, '$synapse_origin');
    expect(capture(origin, '6.6.6.6, 203.0.113.7')).toBe('203.0.113.7');
    expect(capture(origin, '203.0.113.7')).toBe('203.0.113.7');
    expect(capture(origin, '2001:db8::1,203.0.113.7 ')).toBe('203.0.113.7');
  });

  test('every upstream hashes on the balance key (consistent: adding an instance moves few keys)', () => {
    const text = conf();
    const upstreams = text.match(/upstream \S+ \{[^}]*\}/g)!;
    expect(upstreams.length).toBeGreaterThan(1);
    for (const upstream of upstreams) expect(upstream).toContain('hash $synapse_balance_key consistent;');
  });

  test('runs unprivileged: its own port, pid and temporary files under /tmp', () => {
    const text = conf();
    expect(text).toContain(`listen ${PORTS.synapseRouter};`);
    expect(text).toContain('pid /tmp/nginx.pid;');
    for (const kind of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) expect(text).toMatch(new RegExp(`${kind}_temp_path /tmp/`));
    expect(text).not.toMatch(/^\s*user /m);
  });

  test('passes on the client as the ingress saw it, waits long enough for /sync, takes uploads up to max_upload_size', () => {
    const text = conf();
    expect(text).toContain('proxy_set_header Host $http_host;');
    expect(text).toContain('proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;');
    expect(text).toContain('proxy_set_header X-Forwarded-Proto $synapse_forwarded_proto;');
    expect(ROUTER_TIMEOUT_SECONDS).toBeGreaterThanOrEqual(120);
    expect(text).toContain(`proxy_read_timeout ${ROUTER_TIMEOUT_SECONDS}s;`);
    expect(text).toContain(`client_max_body_size ${50 * 1024 * 1024};`);
    const bigger = specWith('size: large\nextra:\n  synapse:\n    max_upload_size: 2G\n');
    expect(conf(bigger)).toContain(`client_max_body_size ${2 * 1024 ** 3};`);
  });

  test('proxies only /_matrix/, /_synapse/client/ and /_synapse/mas/; anything else, the admin API first, is 404', () => {
    const text = conf();
    const locations = [...text.matchAll(/location (=?\s*\S+) \{\n([^}]*)\}/g)].map((m) => [m[1], m[2].trim()]);
    const proxied = 'proxy_pass http://$synapse_upstream;\n            error_page 502 504 = @synapse_main_fallback;';
    expect(locations).toEqual([
      ['= /health', 'access_log off;\n            default_type text/plain;\n            return 200 "OK\\n";'],
      ['/_matrix/', proxied],
      ['/_synapse/client/', proxied],
      ['/_synapse/mas/', proxied],
      // Up to the `if` block's closing brace: the fallback refuses the media repository's requests.
      ['@synapse_main_fallback', 'if ($synapse_route ~ "^media-repository:") {\n                return 502;'],
      ['/', 'return 404;'],
    ]);
    // The fallback goes to the main process only.
    expect(text).toMatch(/location @synapse_main_fallback \{[^]*?\n            proxy_pass http:\/\/synapse_main;\n        \}/);
    expect(text).not.toContain('/_synapse/admin');
  });

  test('logs no query string (access tokens travel there) and holds no secret', () => {
    const text = conf();
    const format = /log_format router '([^']*)'/.exec(text)![1];
    expect(format).not.toMatch(/\$request\b|\$request_uri|\$args|\$query_string|\$arg_|\$http_authorization/);
    expect(text).not.toMatch(/password|secret/i);
  });

  test('Synapse\'s size strings in bytes, as Synapse parses them', () => {
    expect(synapseSizeBytes('50M')).toBe(52428800);
    expect(synapseSizeBytes('512K')).toBe(524288);
    expect(synapseSizeBytes('1T')).toBe(1024 ** 4);
    expect(synapseSizeBytes('1000')).toBe(1000);
    expect(synapseSizeBytes(1000)).toBe(1000);
    expect(() => synapseSizeBytes('50MB')).toThrow(/max_upload_size/);
  });
});
