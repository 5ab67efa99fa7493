import YAML from 'yaml';
import { PORTS } from '../../src/ports';
import { LIVEKIT_KEY_NAME } from '../../src/render/livekit';
import { synapseMatrixRtcSettings } from '../../src/render/matrix-rtc';
import { renderAll } from '../../src/render';
import { renderSynapse, synapseConfig, SYNAPSE_SECRET_FILES } from '../../src/render/synapse';
import { SYNAPSE_TURN_SECRET_PATH } from '../../src/render/turn';
import { SIZES, specWith } from './fixtures';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function homeserver(extraYaml = ''): Obj {
  const file = renderSynapse(specWith(extraYaml)).find((f) => f.path === 'synapse/homeserver.yaml');
  return YAML.parse(file!.content);
}

describe('synapse/homeserver.yaml', () => {
  const hs = homeserver();

  test('renders homeserver.yaml and log.config', () => {
    expect(renderSynapse(specWith()).map((f) => f.path)).toEqual(['synapse/homeserver.yaml', 'synapse/log.config']);
  });

  test('the rendered YAML is exactly synapseConfig(spec)', () => {
    expect(hs).toEqual(synapseConfig(specWith()));
  });

  test('server name and public base URL', () => {
    expect(hs.server_name).toBe('ministry.example.eu');
    expect(hs.public_baseurl).toBe('https://matrix.ministry.example.eu/');
  });

  test('state lives under /data, configuration under /config', () => {
    expect(hs.pid_file).toBe('/data/homeserver.pid');
    expect(hs.media_store_path).toBe('/data/media');
    expect(hs.signing_key_path).toBe('/data/keys/signing.key');
    expect(hs.log_config).toBe('/config/log.config');
  });

  test('one HTTP listener for client and federation, in the pod, behind the ingress', () => {
    const http = hs.listeners.filter((l: Obj) => l.type === 'http');
    expect(http).toEqual([
      {
        port: PORTS.synapseHttp,
        type: 'http',
        tls: false,
        x_forwarded: true,
        bind_addresses: ['0.0.0.0'],
        resources: [
          { names: ['client'], compress: false },
          { names: ['federation'], compress: false },
        ],
      },
    ]);
  });

  test('a separate metrics listener, and metrics enabled', () => {
    expect(hs.listeners.filter((l: Obj) => l.type === 'metrics')).toEqual([
      { port: PORTS.synapseMetrics, type: 'metrics', tls: false, bind_addresses: ['0.0.0.0'] },
    ]);
    expect(hs.listeners).toHaveLength(2);
    expect(hs.enable_metrics).toBe(true);
  });

  test('the file says the admin API is never routed by the ingress', () => {
    const text = renderSynapse(specWith())[0].content;
    expect(text).toMatch(/^# .*\/_synapse\/admin/m);
  });

  test('PostgreSQL through the in-namespace Service, without a password in the file', () => {
    expect(hs.database.name).toBe('psycopg2');
    expect(hs.database.args).toMatchObject({ user: 'synapse', database: 'synapse', host: 'postgres', port: PORTS.postgres });
    expect(Object.keys(hs.database.args).filter((k) => /pass/i.test(k))).toEqual([]);
  });

  test('secrets only by *_path, under /secrets', () => {
    expect(hs.macaroon_secret_key_path).toBe(SYNAPSE_SECRET_FILES.macaroonSecretKey);
    expect(hs.form_secret_path).toBe(SYNAPSE_SECRET_FILES.formSecret);
    expect(hs.turn_shared_secret_path).toBe(SYNAPSE_TURN_SECRET_PATH);
    expect(hs.matrix_authentication_service.secret_path).toBe(SYNAPSE_SECRET_FILES.masSharedSecret);
    for (const key of ['macaroon_secret_key', 'form_secret', 'registration_shared_secret', 'turn_shared_secret', 'turn_password']) {
      expect(hs).not.toHaveProperty(key);
    }
    expect(hs.matrix_authentication_service).not.toHaveProperty('secret');
    for (const path of Object.values(SYNAPSE_SECRET_FILES)) expect(path).toMatch(/^\/secrets\//);
  });

  test('MatrixRTC settings only with group calls; they add to the rest and change nothing else', () => {
    const off = synapseConfig(specWith('size: medium\ncalls:\n  group:\n    enabled: false\n'));
    const on = synapseConfig(specWith('size: medium\n'));
    expect(off).not.toHaveProperty('matrix_rtc');
    expect(off).not.toHaveProperty('experimental_features');
    expect(off).not.toHaveProperty('max_event_delay_duration');
    expect(on).toEqual({ ...off, ...synapseMatrixRtcSettings(specWith('size: medium\n')) });
  });

  test('no secret-looking literal in any rendered file', () => {
    for (const spec of [specWith(), specWith('federation:\n  mode: open\nsize: large\n')]) {
      for (const file of renderAll(spec)) {
        // A key naming a secret, password or key must point at a file (…_path, MAS's …_file) or be a comment.
        if (file.path.endsWith('.sql')) {
          // SQL: a password only ever comes from the psql variable.
          const literal = file.content.split('\n').filter((l) => !l.startsWith('--') && /PASSWORD\s+(?!:'[a-z]+_password';|NULL\b)/i.test(l));
          expect({ file: file.path, literal }).toEqual({ file: file.path, literal: [] });
          continue;
        }
        const offending = file.content
          .split('\n')
          .filter((line) => !/^\s*(#|--)/.test(line))
          .filter((line) => /(secret|password|_key)[a-z_.]*"?\s*:\s*\S/i.test(line))
          .filter((line) => !/:\s*(true|false|null|\d+|\[\]),?$/.test(line))
          .filter((line) => !/_(path|file)"?\s*:\s*"?\/secrets\//.test(line) && !/signing_key_path: \/data\//.test(line))
          // The SFU's webhooks name the API key they are signed with: its name, not its secret.
          .filter((line) => line.trim() !== `api_key: ${LIVEKIT_KEY_NAME}`);
        expect({ file: file.path, offending }).toEqual({ file: file.path, offending: [] });
        expect(file.content).not.toMatch(/[A-Za-z0-9+/]{40,}/); // no key material
      }
    }
  });

  test.each([
    ['enable_registration', false],
    ['allow_guest_access', false],
    ['allow_public_rooms_over_federation', false],
    ['allow_public_rooms_without_auth', false],
    ['report_stats', false],
    ['url_preview_enabled', false],
    ['limit_profile_requests_to_users_who_share_rooms', true],
    ['require_auth_for_profile_requests', true],
    ['include_profile_data_on_invite', false],
    ['enable_3pid_changes', false],
    ['max_upload_size', '50M'],
  ])('hardening: %s is %p', (key, value) => {
    expect(hs[key]).toBe(value);
  });

  test('hardening: no notary key server (the default would be matrix.org)', () => {
    expect(hs.trusted_key_servers).toEqual([]);
  });

  test('hardening: admin contact is a mailto: URI', () => {
    expect(hs.admin_contact).toBe('mailto:ops@ministry.example.eu');
  });

  test('identity: Matrix Authentication Service through the stable section, on its web listener', () => {
    expect(hs.matrix_authentication_service).toEqual({
      enabled: true,
      endpoint: `http://mas:${PORTS.masHttp}/`,
      secret_path: SYNAPSE_SECRET_FILES.masSharedSecret,
    });
    expect(hs.experimental_features).toBeUndefined();
  });

  test.each(['local', 'keycloak'])('identity mode %s renders the same MAS wiring', (mode) => {
    expect(homeserver(`identity:\n  mode: ${mode}\n`).matrix_authentication_service).toEqual(hs.matrix_authentication_service);
  });

  test('nothing Synapse refuses under MAS is set', () => {
    expect(hs.password_config).toEqual({ enabled: false });
    expect(hs.enable_registration).toBe(false);
    for (const key of [
      'oidc_providers',
      'saml2_config',
      'cas_config',
      'jwt_config',
      'password_providers',
      'user_consent',
      'login_via_existing_session',
      'refresh_token_lifetime',
      'nonrefreshable_access_token_lifetime',
      'session_lifetime',
      'captcha',
      'enable_registration_captcha',
    ]) {
      expect(hs).not.toHaveProperty(key);
    }
  });

  describe('federation', () => {
    test('closed: an explicit empty allow list blocks every server', () => {
      const closed = homeserver('federation:\n  mode: closed\n');
      expect(closed.federation_domain_whitelist).toEqual([]);
      expect(hs.federation_domain_whitelist).toEqual([]); // closed is the default
    });

    test('allow_list: exactly the allowed servers', () => {
      const allow = homeserver('federation:\n  mode: allow_list\n  allow: [partner.example.eu, agency.example.eu]\n');
      expect([...allow.federation_domain_whitelist].sort()).toEqual(['agency.example.eu', 'partner.example.eu']);
    });

    test('open: no allow list at all (absent means every server)', () => {
      expect(homeserver('federation:\n  mode: open\n')).not.toHaveProperty('federation_domain_whitelist');
    });
  });

  describe('size profiles', () => {
    const bySize = Object.fromEntries(SIZES.map((s) => [s, homeserver(`size: ${s}\n`)]));

    test('database pool grows with the profile', () => {
      expect(SIZES.map((s) => [bySize[s].database.args.cp_min, bySize[s].database.args.cp_max])).toEqual([
        [5, 10],
        [10, 20],
        [10, 40],
      ]);
    });

    test('caches grow with the profile', () => {
      const factors = SIZES.map((s) => bySize[s].caches.global_factor);
      expect(factors[0]).toBeLessThan(factors[1]);
      expect(factors[1]).toBeLessThan(factors[2]);
    });

    test('presence on for small and medium, off for large', () => {
      expect(SIZES.map((s) => bySize[s].presence.enabled)).toEqual([true, true, false]);
    });
  });

  describe('TURN', () => {
    test('TURN URIs and the shared secret file when TURN is on', () => {
      expect(hs.turn_uris).toEqual([
        `turn:turn.ministry.example.eu:${PORTS.turn}?transport=udp`,
        `turn:turn.ministry.example.eu:${PORTS.turn}?transport=tcp`,
        `turns:turn.ministry.example.eu:${PORTS.turns}?transport=tcp`,
      ]);
      expect(hs.turn_allow_guests).toBe(false);
    });

    test('no TURN settings when TURN is off', () => {
      const off = homeserver('calls:\n  turn: false\n');
      expect(Object.keys(off).filter((k) => k.startsWith('turn_'))).toEqual([]);
    });
  });

  describe('escape hatch (extra.synapse)', () => {
    const merged = homeserver(
      'extra:\n  synapse:\n    max_upload_size: 100M\n    caches:\n      per_cache_factors:\n        get_users_who_share_room_with_user: 2\n    presence:\n      enabled: false\n    url_preview_accept_language: [de, en]\n',
    );

    test('scalars replace', () => {
      expect(merged.max_upload_size).toBe('100M');
      expect(merged.presence).toEqual({ enabled: false });
    });

    test('objects merge recursively, keeping the kit settings beside the new ones', () => {
      expect(merged.caches).toEqual({ global_factor: hs.caches.global_factor, per_cache_factors: { get_users_who_share_room_with_user: 2 } });
    });

    test('new keys are added last; everything else is unchanged', () => {
      expect(Object.keys(merged).slice(-1)).toEqual(['url_preview_accept_language']);
      const { max_upload_size: _a, caches: _b, presence: _c, url_preview_accept_language: _d, ...rest } = merged;
      const { max_upload_size: _e, caches: _f, presence: _g, ...restBase } = hs;
      expect(rest).toEqual(restBase);
    });

    test('arrays replace', () => {
      const replaced = homeserver('extra:\n  synapse:\n    turn_uris: [turn:turn.example.eu]\n');
      expect(replaced.turn_uris).toEqual(['turn:turn.example.eu']);
    });
  });

  test('deterministic: the same deployment renders byte-identical files', () => {
    const a = renderSynapse(specWith('federation:\n  mode: allow_list\n  allow: [b.example.eu, a.example.eu]\n'));
    const b = renderSynapse(specWith('federation:\n  mode: allow_list\n  allow: [a.example.eu, b.example.eu]\n'));
    expect(a).toEqual(b);
    expect(renderSynapse(specWith())).toEqual(renderSynapse(specWith()));
  });
});

describe('synapse/log.config', () => {
  const log = YAML.parse(renderSynapse(specWith())[1].content);

  test('logs to stdout at INFO', () => {
    expect(log.version).toBe(1);
    expect(log.handlers.console).toMatchObject({ class: 'logging.StreamHandler', stream: 'ext://sys.stdout' });
    expect(log.root).toEqual({ level: 'INFO', handlers: ['console'] });
    expect(Object.values(log.handlers).filter((h) => (h as Obj).filename !== undefined)).toEqual([]);
  });

  test('SQL statements (with their arguments) are not logged', () => {
    expect(log.loggers['synapse.storage.SQL'].level).toBe('INFO');
  });
});

describe('homeserver.yaml and workers', () => {
  const WORKER_KEYS = [
    'worker_replication_secret_path',
    'instance_map',
    'stream_writers',
    'federation_sender_instances',
    'pusher_instances',
    'run_background_tasks_on',
    'update_user_directory_from_worker',
    'notify_appservices_from_worker',
    'enable_media_repo',
    'media_instance_running_background_jobs',
    'redis',
  ];

  test.each(['', 'size: medium\nscale:\n  synapse_workers: none\n', 'size: large\nscale:\n  synapse_workers: none\n'])(
    'one process: no worker setting, no replication listener (%j)',
    (yaml) => {
      const config = synapseConfig(specWith(yaml));
      for (const key of WORKER_KEYS) expect(config).not.toHaveProperty(key);
      expect((config.listeners as Obj[]).map((l) => l.port)).toEqual([PORTS.synapseHttp, PORTS.synapseMetrics]);
    },
  );

  test('with workers: the shared settings, main\'s replication listener, and main keeps its own pool', () => {
    const large = specWith('size: large\nfederation:\n  mode: open\n');
    const config = synapseConfig(large);
    for (const key of WORKER_KEYS) expect(config).toHaveProperty(key);
    expect((config.listeners as Obj[]).map((l) => l.port)).toEqual([PORTS.synapseHttp, PORTS.synapseMetrics, PORTS.synapseReplication]);
    expect((config.database as Obj).args.cp_max).toBe((synapseConfig(specWith('size: large\nscale:\n  synapse_workers: none\n')).database as Obj).args.cp_max);
  });

  test('the replication secret is a path, never a value, and extra.synapse may not override the wiring', () => {
    const text = renderSynapse(specWith('size: large\n')).find((f) => f.path === 'synapse/homeserver.yaml')!.content;
    expect(text).toMatch(/^worker_replication_secret_path: \/secrets\/synapse\/worker-replication-secret$/m);
    expect(text).not.toMatch(/^worker_replication_secret:/m);
    expect(() => specWith('size: large\nextra:\n  synapse:\n    stream_writers:\n      typing: [main]\n')).toThrow(/managed by the kit/);
  });
});
