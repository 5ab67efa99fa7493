import type { WorkerPlan } from '../../src/config/synapse-workers';
import { READ_ROUTES, resolveRoutes, routeRequest, ROUTES, type RouteTarget } from '../../src/render/synapse-routes';
import { SCALE_CASES, specWith } from './fixtures';
import { EXAMPLES, ROOM } from './synapse-route-examples';

const LARGE = specWith('size: large\nfederation:\n  mode: open\n').scale.workers;
const MEDIUM = specWith('size: medium\nfederation:\n  mode: open\n').scale.workers;

const target = (plan: WorkerPlan, method: string, path: string): RouteTarget | 'refused' => {
  const result = routeRequest(plan, method, path);
  return result === 'refused' ? result : result.target;
};

describe('the router\'s path table', () => {
  test.each(EXAMPLES)('%s %s -> large: %s, medium: %s', (method, path, large, medium) => {
    expect(target(LARGE, method, path)).toBe(large);
    expect(target(MEDIUM, method, path)).toBe(medium);
  });

  test('every pattern of both tables has an example above', () => {
    const examplePaths = EXAMPLES.map(([, path]) => path);
    const unused = [...ROUTES, ...READ_ROUTES]
      .filter(({ pattern }) => !examplePaths.some((path) => new RegExp(pattern).test(path)))
      .map((r) => r.pattern);
    expect(unused).toEqual([]);
  });

  test('each pattern appears once per table', () => {
    for (const table of [ROUTES, READ_ROUTES]) {
      const patterns = table.map((r) => r.pattern);
      expect(new Set(patterns).size).toBe(patterns.length);
    }
  });

  test('every pattern is a valid, anchored regular expression over the path', () => {
    for (const { pattern } of [...ROUTES, ...READ_ROUTES]) {
      expect(pattern.startsWith('^/_matrix/') || pattern.startsWith('^/_synapse/mas/')).toBe(true);
      expect(() => new RegExp(pattern)).not.toThrow();
      // nginx.conf quotes each pattern in double quotes: none may contain one, nor a brace or semicolon.
      expect(pattern).not.toMatch(/["{};\s]/);
    }
  });

  test('the admin API is never routed, whatever the method', () => {
    for (const method of ['GET', 'POST', 'PUT', 'DELETE']) {
      for (const path of ['/_synapse/admin/v1/rooms/!r:x', '/_synapse/admin/v2/users/@u:x', '/_synapse/admin/v1/media/x/y', '/_synapse/admin/v1/purge_media_cache']) {
        expect(routeRequest(LARGE, method, path)).toBe('refused');
      }
    }
    for (const { pattern } of [...ROUTES, ...READ_ROUTES]) expect(pattern).not.toContain('/_synapse/admin');
  });

  test.each(SCALE_CASES)('media never falls back to main while a media worker owns the media repository ($name)', ({ spec }) => {
    const plan = spec.scale.workers;
    const hasMediaWorker = plan.groups.some((g) => g.role === 'media-repository');
    for (const path of ['/_matrix/media/v3/upload', '/_matrix/client/v1/media/download/s/m', '/_matrix/federation/v1/media/download/m']) {
      for (const method of ['GET', 'POST', 'HEAD']) {
        expect(target(plan, method, path)).toBe(hasMediaWorker ? 'media-repository' : 'main');
      }
    }
  });

  test.each(SCALE_CASES)('every target is a role the plan runs, or main ($name)', ({ spec }) => {
    const plan = spec.scale.workers;
    const roles = new Set<RouteTarget>([...plan.groups.map((g) => g.role), 'main']);
    for (const route of [...resolveRoutes(plan, ROUTES), ...resolveRoutes(plan, READ_ROUTES)]) expect(roles.has(route.target)).toBe(true);
  });

  test('without workers everything routable goes to main', () => {
    const none = specWith().scale.workers;
    for (const [method, path] of EXAMPLES) expect(target(none, method, path)).toBe('main');
  });

  test('balance keys: token for sync, room for pagination and event sending, origin for transactions', () => {
    const balance = (method: string, path: string) => {
      const result = routeRequest(LARGE, method, path);
      return result === 'refused' ? result : result.balance;
    };
    expect(balance('GET', '/_matrix/client/v3/sync')).toBe('token');
    expect(balance('GET', `/_matrix/client/v3/rooms/${ROOM}/messages`)).toBe('room');
    expect(balance('GET', `/_matrix/client/r0/rooms/${ROOM}/messages`)).toBe('room');
    expect(balance('PUT', `/_matrix/client/v3/rooms/${ROOM}/send/m.room.message/t`)).toBe('room');
    expect(balance('PUT', '/_matrix/federation/v1/send/1')).toBe('origin');
    expect(balance('GET', '/_matrix/client/versions')).toBe('spread');
  });

  test('federation roles are absent when federation is closed: their paths go to main', () => {
    const closed = specWith('size: large\n').scale.workers;
    expect(target(closed, 'PUT', '/_matrix/federation/v1/send/1')).toBe('main');
    expect(target(closed, 'GET', '/_matrix/federation/v1/version')).toBe('main');
  });
});
