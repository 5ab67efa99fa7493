import { sizeProfile, HETZNER_SERVER_TYPES } from '../../src/config/sizing';
import { PINNED_VERSIONS } from '../../src/versions';
import { specOf, VALID_YAML } from '../helpers';

describe('resolving a deployment file', () => {
  const spec = specOf(VALID_YAML);

  it('applies the government defaults', () => {
    expect(spec.federation).toEqual({ mode: 'closed' });
    expect(spec.identity).toEqual({ mode: 'local' });
    expect(spec.calls).toEqual({ turn: true, relayPorts: { min: 49160, max: 49259 }, group: { enabled: false } });
    expect(spec.dns).toEqual({ mode: 'manual' });
    expect(spec.size.name).toBe('small');
  });

  it('derives hostnames from server_name', () => {
    expect(spec.hostnames).toEqual({
      matrix: 'matrix.ministry.example.eu',
      web: 'chat.ministry.example.eu',
      auth: 'auth.ministry.example.eu',
      sso: 'sso.ministry.example.eu',
      turn: 'turn.ministry.example.eu',
      rtc: 'rtc.ministry.example.eu',
    });
  });

  it('keeps an explicit hostname', () => {
    expect(specOf(`${VALID_YAML}hostnames:\n  web: element.example.eu\n`).hostnames.web).toBe('element.example.eu');
  });

  it('uses pinned versions unless overridden', () => {
    expect(spec.versions.synapse).toBe(PINNED_VERSIONS.synapse);
    expect(specOf(`${VALID_YAML}versions:\n  synapse: 1.200.1\n`).versions.synapse).toBe('1.200.1');
  });

  it('sends certificate mail to the admin contact by default', () => {
    expect(spec.tls.acmeEmail).toBe('ops@ministry.example.eu');
  });

  it('is deeply immutable', () => {
    expect(Object.isFrozen(spec)).toBe(true);
    expect(Object.isFrozen(spec.hostnames)).toBe(true);
    expect(() => {
      (spec.target as { location: string }).location = 'ash';
    }).toThrow(TypeError);
  });

  it('sorts the federation allow list so reordering it changes nothing', () => {
    const a = specOf(`${VALID_YAML}federation:\n  mode: allow_list\n  allow: [b.example.eu, a.example.eu]\n`);
    expect(a.federation).toEqual({ mode: 'allow_list', allow: ['a.example.eu', 'b.example.eu'] });
  });

  it('always requests the openid scope for an external provider, once', () => {
    const oidc = specOf(
      `${VALID_YAML}identity:\n  mode: oidc\n  oidc:\n    issuer: https://id.example.eu/realms/x\n    client_id: m\n    client_secret_env: S\n    scopes: [openid, email]\n`,
    );
    expect(oidc.identity).toEqual({
      mode: 'oidc',
      oidc: { issuer: 'https://id.example.eu/realms/x', clientId: 'm', clientSecretEnv: 'S', displayName: 'id.example.eu', scopes: ['openid', 'email'] },
    });
  });
});

describe('size profiles', () => {
  const cases: [string, string, string][] = [
    ['small', 'closed', 'cx43'],
    ['small', 'open', 'cx53'],
    ['medium', 'closed', 'ccx43'],
    // With group calls, on by default from medium up (GROUP_CALLS_SIZING).
    ['medium', 'open', 'ccx53'],
    ['large', 'closed', 'ccx53'],
    ['large', 'open', 'ccx53'],
  ];
  it.each(cases)('%s with %s federation runs on %s', (size, federation, type) => {
    expect(sizeProfile(size as 'small', federation as 'closed').hetznerServerType).toBe(type);
  });

  it('chooses a server that holds Synapse, PostgreSQL and the rest', () => {
    for (const size of ['small', 'medium', 'large'] as const) {
      for (const federation of ['closed', 'allow_list', 'open'] as const) {
        const profile = sizeProfile(size, federation);
        const server = HETZNER_SERVER_TYPES.find((t) => t.name === profile.hetznerServerType)!;
        expect(server.cpu).toBeGreaterThanOrEqual(profile.synapse.cpu + profile.postgres.cpu);
        expect(server.memoryGiB).toBeGreaterThanOrEqual(profile.synapse.memoryGiB + profile.postgres.memoryGiB);
      }
    }
  });

  it('never offers a retired server type', () => {
    const names = HETZNER_SERVER_TYPES.map((t) => t.name);
    for (const retired of ['cx22', 'cx32', 'cx42', 'cx52', 'cpx11', 'cpx21', 'cpx31', 'cpx41', 'cpx51']) {
      expect(names).not.toContain(retired);
    }
  });

  it('documents the user ranges without gaps', () => {
    const [small, medium, large] = (['small', 'medium', 'large'] as const).map((s) => sizeProfile(s, 'closed'));
    expect(small.users.min).toBe(1);
    expect(medium.users.min).toBe(small.users.max + 1);
    expect(large.users.min).toBe(medium.users.max + 1);
  });
});
