import { LIVEKIT_KEY_NAME, LK_JWT_SECRET_FILE } from '../../src/render/livekit';
import { fullAccessHomeservers, LK_JWT_SERVICE_DIR, lkJwtServiceEnv, renderLkJwtService } from '../../src/render/lk-jwt-service';
import { specWith } from './fixtures';

describe('lk-jwt-service environment', () => {
  test('names the SFU by its public WebSocket URL, its API key by name and the secret by file, and its port; no secret', () => {
    expect(lkJwtServiceEnv(specWith('size: medium\n'))).toEqual({
      LIVEKIT_URL: 'wss://rtc.ministry.example.eu',
      LIVEKIT_KEY: LIVEKIT_KEY_NAME,
      LIVEKIT_SECRET_FROM_FILE: LK_JWT_SECRET_FILE,
      LIVEKIT_JWT_BIND: ':8080',
      LIVEKIT_FULL_ACCESS_HOMESERVERS: 'ministry.example.eu',
    });
  });

  test('local users alone start calls by default, whatever federation admits', () => {
    expect(fullAccessHomeservers(specWith('size: medium\nfederation:\n  mode: open\n'))).toBe('ministry.example.eu');
  });

  test('with who_may_start federation: the allow list, or every server when federation is open', () => {
    const start = (federation: string) => fullAccessHomeservers(specWith(`size: medium\nfederation:\n${federation}calls:\n  group:\n    who_may_start: federation\n`));
    expect(start('  mode: allow_list\n  allow: [partner.example.eu, agency.example.eu]\n')).toBe('ministry.example.eu,agency.example.eu,partner.example.eu');
    expect(start('  mode: open\n')).toBe('*');
  });

  test('one file per variable, holding exactly its value (the ConfigMap is the environment), only when group calls run', () => {
    expect(renderLkJwtService(specWith())).toEqual([]);
    const spec = specWith('size: large\n');
    const files = renderLkJwtService(spec);
    expect(Object.fromEntries(files.map((f) => [f.path, f.content]))).toEqual(
      Object.fromEntries(Object.entries(lkJwtServiceEnv(spec)).map(([name, value]) => [`${LK_JWT_SERVICE_DIR}/${name}`, value])),
    );
  });
});
