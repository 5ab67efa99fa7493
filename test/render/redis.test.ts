import { PORTS } from '../../src/ports';
import { REDIS_CONFIG_FILE, renderRedis } from '../../src/render/redis';
import { specWith } from './fixtures';

const LARGE = specWith('size: large\n');

/** Directive lines of redis.conf: [name, rest]. */
function directives(text: string): [string, string][] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => {
      const [name, ...rest] = line.trim().split(/\s+/);
      return [name, rest.join(' ')];
    });
}

describe('synapse-redis/redis.conf', () => {
  test('only with workers', () => {
    expect(renderRedis(specWith())).toEqual([]);
    expect(renderRedis(LARGE).map((f) => f.path)).toEqual([REDIS_CONFIG_FILE]);
    expect(renderRedis(specWith('size: medium\n'))).toHaveLength(1);
  });

  const conf = Object.fromEntries(directives(renderRedis(LARGE)[0].content));

  test('a bus and a cache: nothing persisted', () => {
    expect(conf.save).toBe('""');
    expect(conf.appendonly).toBe('no');
  });

  test('bounded memory, evicting the least recently used key rather than refusing writes (as ESS)', () => {
    expect(conf.maxmemory).toBe('40mb');
    expect(conf['maxmemory-policy']).toBe('allkeys-lru');
  });

  test('listens on its port on every address; no password, protected mode off only with the NetworkPolicy stated', () => {
    expect(conf.port).toBe(String(PORTS.redis));
    expect(conf.bind).toBe('0.0.0.0 -::');
    expect(conf['protected-mode']).toBe('no');
    expect(conf).not.toHaveProperty('requirepass');
    expect(renderRedis(LARGE)[0].content).toMatch(/NetworkPolicy admits Synapse's\n# pods alone/);
  });

  test('each directive once', () => {
    const names = directives(renderRedis(LARGE)[0].content).map(([name]) => name);
    expect(new Set(names).size).toBe(names.length);
  });
});
