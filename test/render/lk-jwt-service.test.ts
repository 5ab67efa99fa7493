import { LIVEKIT_SECRET_FILES } from '../../src/render/livekit';
import { fullAccessHomeservers, LK_JWT_SERVICE_ENV_PATH, lkJwtServiceEnv, renderLkJwtService } from '../../src/render/lk-jwt-service';
import { specWith } from './fixtures';

describe('lk-jwt-service environment', () => {
  test('names the SFU by its public WebSocket URL, the shared key file and its port; no secret', () => {
    expect(lkJwtServiceEnv(specWith('size: medium\n'))).toEqual({
      LIVEKIT_URL: 'wss://rtc.ministry.example.eu',
      LIVEKIT_KEY_FILE: LIVEKIT_SECRET_FILES.keyFile,
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

  test('an env file only when group calls run', () => {
    expect(renderLkJwtService(specWith())).toEqual([]);
    const [file] = renderLkJwtService(specWith('size: large\n'));
    expect(file.path).toBe(LK_JWT_SERVICE_ENV_PATH);
    expect(file.content.split('\n').filter((l) => l && !l.startsWith('#'))).toEqual([
      'LIVEKIT_URL=wss://rtc.ministry.example.eu',
      `LIVEKIT_KEY_FILE=${LIVEKIT_SECRET_FILES.keyFile}`,
      'LIVEKIT_JWT_BIND=:8080',
      'LIVEKIT_FULL_ACCESS_HOMESERVERS=ministry.example.eu',
    ]);
  });
});
