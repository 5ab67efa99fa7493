import { ENV_PLACEHOLDER_PATTERN, envPlaceholder } from '../../src/render/files';

describe('envPlaceholder', () => {
  it('marks a value the container fills from the environment variable of that name', () => {
    expect(envPlaceholder('TURN_PUBLIC_IPV4')).toBe('@@TURN_PUBLIC_IPV4@@');
    const text = `a ${envPlaceholder('ONE')} b ${envPlaceholder('TWO_2')}`;
    expect([...text.matchAll(ENV_PLACEHOLDER_PATTERN)].map((m) => m[1])).toEqual(['ONE', 'TWO_2']);
  });

  it.each(['lower', '1ST', 'WITH-DASH', 'A B', ''])('refuses a name no entrypoint could substitute (%j)', (name) => {
    expect(() => envPlaceholder(name)).toThrow(`bad placeholder name ${name}`);
  });
});
