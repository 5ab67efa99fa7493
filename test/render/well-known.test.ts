import { renderWellKnown } from '../../src/render/well-known';
import { specWith } from './fixtures';

describe('well-known', () => {
  const files = Object.fromEntries(renderWellKnown(specWith()).map((f) => [f.path, f.content]));

  test('server.json delegates federation to the matrix host on 443', () => {
    expect(JSON.parse(files['well-known/server.json'])).toEqual({ 'm.server': 'matrix.ministry.example.eu:443' });
  });

  test('client.json points clients at the homeserver and at MAS, and advertises no identity server', () => {
    expect(JSON.parse(files['well-known/client.json'])).toEqual({
      'm.homeserver': { base_url: 'https://matrix.ministry.example.eu' },
      'org.matrix.msc2965.authentication': { issuer: 'https://auth.ministry.example.eu/', account: 'https://auth.ministry.example.eu/account/' },
    });
  });

  test('client.json names the MatrixRTC focus only when group calls run', () => {
    expect(JSON.parse(files['well-known/client.json'])).not.toHaveProperty('org.matrix.msc4143.rtc_foci');
    const client = JSON.parse(renderWellKnown(specWith('size: medium\n'))[0].content);
    expect(client['org.matrix.msc4143.rtc_foci']).toEqual([{ type: 'livekit', livekit_service_url: 'https://rtc.ministry.example.eu' }]);
  });

  test('the MAS issuer follows hostnames.auth and ends with a slash, as MAS advertises it', () => {
    const custom = renderWellKnown(specWith('hostnames:\n  auth: login.ministry.example.eu\n'));
    expect(JSON.parse(custom[0].content)['org.matrix.msc2965.authentication'].issuer).toBe('https://login.ministry.example.eu/');
  });

  test('pretty JSON with a trailing newline', () => {
    for (const content of Object.values(files)) {
      expect(content.endsWith('}\n')).toBe(true);
      expect(content).toBe(`${JSON.stringify(JSON.parse(content), null, 2)}\n`);
    }
  });

  test('follows hostnames.matrix', () => {
    const custom = renderWellKnown(specWith('hostnames:\n  matrix: hs.ministry.example.eu\n'));
    expect(JSON.parse(custom[1].content)['m.server']).toBe('hs.ministry.example.eu:443');
    expect(JSON.parse(custom[0].content)['m.homeserver'].base_url).toBe('https://hs.ministry.example.eu');
  });

  test('deterministic', () => {
    expect(renderWellKnown(specWith())).toEqual(renderWellKnown(specWith()));
  });
});
