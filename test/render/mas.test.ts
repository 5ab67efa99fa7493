import YAML from 'yaml';
import { PORTS } from '../../src/ports';
import { renderAll } from '../../src/render';
import { ENV_PLACEHOLDER_PATTERN } from '../../src/render/files';
import {
  KEYCLOAK_MAS_CLIENT_ID,
  KEYCLOAK_REALM,
  MAS_DATABASE,
  MAS_HEALTH_PATH,
  MAS_LISTENERS,
  MAS_SECRET_FILES,
  masConfig,
  masUpstreamClientSecretSource,
  masUpstreamProvider,
  renderMas,
  ULID_PATTERN,
  upstreamProviderId,
} from '../../src/render/mas';
import { renderMasPostgresInit } from '../../src/render/postgres';
import { SYNAPSE_SECRET_FILES, SYNAPSE_UPSTREAMS, synapseConfig } from '../../src/render/synapse';
import { wellKnownClient } from '../../src/render/well-known';
import { specWith } from './fixtures';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const OIDC = 'identity:\n  mode: oidc\n  oidc:\n    issuer: https://id.example.eu/realms/gov\n    client_id: matrix-ministry\n    client_secret_env: MINISTRY_OIDC_SECRET\n';
const MODES: readonly { mode: string; yaml: string }[] = [
  { mode: 'local', yaml: '' },
  { mode: 'keycloak', yaml: 'identity:\n  mode: keycloak\n' },
  { mode: 'oidc', yaml: OIDC },
];

function config(extraYaml = ''): Obj {
  const [file] = renderMas(specWith(extraYaml));
  return YAML.parse(file.content);
}

function listener(cfg: Obj, name: string): Obj {
  return cfg.http.listeners.find((l: Obj) => l.name === name);
}

function resourceNames(l: Obj): string[] {
  return l.resources.map((r: Obj) => r.name);
}

describe('mas/config.yaml', () => {
  const local = config();
  const keycloak = config(MODES[1].yaml);
  const oidc = config(OIDC);

  test('one file, for every identity mode, exactly masConfig(spec)', () => {
    for (const { yaml } of MODES) {
      expect(renderMas(specWith(yaml)).map((f) => f.path)).toEqual(['mas/config.yaml']);
      expect(config(yaml)).toEqual(masConfig(specWith(yaml)));
    }
    expect(renderAll(specWith()).map((f) => f.path)).toContain('mas/config.yaml');
  });

  test('public base and issuer are https://<hostnames.auth>/', () => {
    expect(local.http.public_base).toBe('https://auth.ministry.example.eu/');
    expect(local.http.issuer).toBe(local.http.public_base);
    expect(config('hostnames:\n  auth: login.ministry.example.eu\n').http.public_base).toBe('https://login.ministry.example.eu/');
  });

  describe('secrets (MAS refuses to start without them)', () => {
    test('the encryption key comes from a file (64 hex characters, never inline)', () => {
      expect(local.secrets.encryption_file).toBe(MAS_SECRET_FILES.encryptionKey);
      expect(local.secrets.encryption).toBeUndefined();
    });

    test('at least one signing key, from a file, and it is the RSA one', () => {
      expect(local.secrets.keys.length).toBeGreaterThanOrEqual(1);
      expect(local.secrets.keys).toContainEqual({ key_file: MAS_SECRET_FILES.signingKeyRsa });
      expect(MAS_SECRET_FILES.signingKeyRsa).toMatch(/rsa/);
      for (const key of local.secrets.keys) expect(key.key).toBeUndefined();
      expect(local.secrets.keys_dir).toBeUndefined();
    });

    test('every secret is a file under /secrets', () => {
      for (const path of Object.values(MAS_SECRET_FILES)) expect(path).toMatch(/^\/secrets\/[a-z]+\/[a-z0-9.-]+$/);
      expect(new Set(Object.values(MAS_SECRET_FILES)).size).toBe(Object.values(MAS_SECRET_FILES).length);
    });
  });

  test.each(MODES)('no literal secret anywhere ($mode)', ({ yaml }) => {
    const content = renderMas(specWith(yaml))[0].content;
    const leaves: [string, unknown][] = [];
    const walk = (value: unknown, path: string) => {
      if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${path}[${i}]`));
      else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k);
      else leaves.push([path, value]);
    };
    walk(YAML.parse(content), '');
    for (const [path, value] of leaves) {
      // Keys naming a secret hold only file paths (`*_file`), never values.
      if (/(secret|password|encryption|key)$/i.test(path.split('.').pop()!.replace(/\[\d+\]$/, ''))) {
        throw new Error(`${path} holds a value: ${String(value)}`);
      }
      if (typeof value === 'string' && !path.endsWith('.id')) {
        expect(value).not.toMatch(/^[0-9a-f]{32,}$/i); // hex keys
        // base64 or random tokens (file paths start with "/"; the provider id is a public ULID)
        if (!value.startsWith('/')) expect(value).not.toMatch(/^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9+/_=-]{20,}$/);
        expect(value).not.toMatch(/-----BEGIN/);
        expect(value).not.toMatch(/:\/\/[^/]*:[^/]*@/); // credentials in a URI
      }
    }
    expect(content).not.toMatch(new RegExp(ENV_PLACEHOLDER_PATTERN.source));
    expect(YAML.parse(content).database.uri).toBeUndefined();
  });

  describe('database', () => {
    test('host postgres, database and role mas, password from a file', () => {
      expect(local.database).toEqual({
        host: SYNAPSE_UPSTREAMS.postgres,
        port: PORTS.postgres,
        username: MAS_DATABASE.user,
        database: MAS_DATABASE.database,
        password_file: MAS_SECRET_FILES.databasePassword,
      });
      expect(MAS_DATABASE).toEqual({ user: 'mas', database: 'mas' });
    });

    test('init-mas.sql creates that role and database, password from a psql variable', () => {
      const [init] = renderMasPostgresInit(specWith());
      expect(init.path).toBe('postgres/init-mas.sql');
      expect(init.content).toContain("ALTER ROLE mas WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'mas_password';");
      expect(init.content).toContain("WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'mas') \\gexec");
      expect(init.content).toContain('REVOKE ALL ON DATABASE mas FROM PUBLIC;');
    });
  });

  describe('listeners', () => {
    test('web on PORTS.masHttp: the public resources, no health, no metrics, no admin API', () => {
      const web = listener(local, 'web');
      expect(web.binds).toEqual([{ host: '0.0.0.0', port: PORTS.masHttp }]);
      expect(resourceNames(web)).toEqual(['discovery', 'human', 'oauth', 'compat', 'graphql', 'assets']);
      expect(web.resources.find((r: Obj) => r.name === 'graphql').playground).toBeUndefined();
    });

    test('internal on PORTS.masInternal: health and metrics only', () => {
      const internal = listener(local, 'internal');
      expect(internal.binds).toEqual([{ host: '0.0.0.0', port: PORTS.masInternal }]);
      expect(resourceNames(internal).sort()).toEqual(['health', 'prometheus']);
      expect(local.telemetry.metrics.exporter).toBe('prometheus');
      expect(MAS_HEALTH_PATH).toBe('/health');
    });

    test('health, metrics, admin API and connection-info appear nowhere else', () => {
      expect(local.http.listeners).toHaveLength(2);
      const everywhere = local.http.listeners.flatMap(resourceNames);
      for (const name of ['health', 'prometheus']) expect(everywhere.filter((n: string) => n === name)).toHaveLength(1);
      for (const name of ['adminapi', 'connection-info']) expect(everywhere).not.toContain(name);
      expect(MAS_LISTENERS).toEqual({ web: { name: 'web', port: PORTS.masHttp }, internal: { name: 'internal', port: PORTS.masInternal } });
    });
  });

  describe('agrees with Synapse', () => {
    const synapse = synapseConfig(specWith()) as Obj;

    test('matrix.homeserver is server_name, on Synapse\u2019s HTTP listener', () => {
      expect(local.matrix).toEqual({
        kind: 'synapse',
        homeserver: synapse.server_name,
        endpoint: `http://synapse:${PORTS.synapseHttp}/`,
        secret_file: MAS_SECRET_FILES.synapseSharedSecret,
      });
      expect(synapse.listeners.map((l: Obj) => l.port)).toContain(PORTS.synapseHttp);
    });

    test('one shared secret file: Synapse\u2019s secret_path is MAS\u2019s matrix.secret_file', () => {
      expect(synapse.matrix_authentication_service.secret_path).toBe(local.matrix.secret_file);
      expect(MAS_SECRET_FILES.synapseSharedSecret).toBe(SYNAPSE_SECRET_FILES.masSharedSecret);
    });

    test('Synapse\u2019s endpoint reaches the MAS listener that serves discovery and introspection (oauth)', () => {
      const endpoint = new URL(synapse.matrix_authentication_service.endpoint);
      expect(endpoint.protocol).toBe('http:');
      expect(endpoint.hostname).toBe(SYNAPSE_UPSTREAMS.mas);
      const target = local.http.listeners.find((l: Obj) => l.binds.some((b: Obj) => b.port === Number(endpoint.port)));
      expect(target).toBeDefined();
      // Synapse fetches <endpoint>/.well-known/openid-configuration and posts to <endpoint>/oauth2/introspect.
      expect(resourceNames(target)).toEqual(expect.arrayContaining(['discovery', 'oauth']));
    });

    test('.well-known/matrix/client names MAS by its exact issuer', () => {
      expect(wellKnownClient(specWith())['org.matrix.msc2965.authentication']).toEqual({
        issuer: local.http.issuer,
        account: `${local.http.public_base}account/`,
      });
    });
  });

  describe('passwords and accounts', () => {
    test('local mode: MAS passwords on, self-service registration off', () => {
      expect(local.passwords.enabled).toBe(true);
      expect(local.upstream_oauth2.providers).toEqual([]);
      expect(local.account.password_registration_enabled).toBe(false);
    });

    test.each(['keycloak', 'oidc'])('%s mode: password login off, the upstream provider is the only way in', (mode) => {
      const cfg = mode === 'keycloak' ? keycloak : oidc;
      expect(cfg.passwords.enabled).toBe(false);
      expect(cfg.upstream_oauth2.providers).toHaveLength(1);
      expect(cfg.account.password_change_allowed).toBe(false);
    });

    test.each(MODES)('government account settings ($mode)', ({ yaml }) => {
      expect(config(yaml).account).toMatchObject({
        password_registration_enabled: false,
        password_recovery_enabled: false,
        email_change_allowed: false,
        account_deactivation_allowed: false,
        login_with_email_allowed: false,
      });
    });
  });

  describe('upstream provider', () => {
    test('ids are valid ULIDs (26 Crockford base32 characters, first 0-7)', () => {
      for (const cfg of [keycloak, oidc]) expect(cfg.upstream_oauth2.providers[0].id).toMatch(ULID_PATTERN);
      for (let i = 0; i < 200; i++) expect(upstreamProviderId(`d${i}`, `oidc/https://i${i}.example.eu`)).toMatch(ULID_PATTERN);
    });

    test('ids are stable across renders and runs (a fixed value)', () => {
      expect(config(OIDC).upstream_oauth2.providers[0].id).toBe(oidc.upstream_oauth2.providers[0].id);
      // Changing this value orphans every user's upstream link: see upstreamProviderId.
      expect(upstreamProviderId('ministry', 'oidc/https://id.example.eu/realms/gov')).toBe('4HHPC61EXZZ1232HB4FCR7YVBC');
      expect(keycloak.upstream_oauth2.providers[0].id).toBe('60GQZP204DFS2S5CSXWK5FN545');
    });

    test('ids differ per issuer and per deployment, and do not follow the sso hostname', () => {
      const other = config(OIDC.replace('id.example.eu', 'login.example.eu')).upstream_oauth2.providers[0].id;
      expect(other).not.toBe(oidc.upstream_oauth2.providers[0].id);
      expect(keycloak.upstream_oauth2.providers[0].id).not.toBe(oidc.upstream_oauth2.providers[0].id);
      const movedSso = config('identity:\n  mode: keycloak\nhostnames:\n  sso: login.ministry.example.eu\n').upstream_oauth2.providers[0];
      expect(movedSso.id).toBe(keycloak.upstream_oauth2.providers[0].id);
      expect(movedSso.issuer).toBe('https://login.ministry.example.eu/realms/matrix');
      expect(upstreamProviderId('other', 'oidc/https://id.example.eu/realms/gov')).not.toBe(oidc.upstream_oauth2.providers[0].id);
    });

    test('keycloak: the realm issuer on the sso host, the kit\u2019s client, secret from a file', () => {
      expect(keycloak.upstream_oauth2.providers[0]).toMatchObject({
        issuer: `https://sso.ministry.example.eu/realms/${KEYCLOAK_REALM}`,
        client_id: KEYCLOAK_MAS_CLIENT_ID,
        client_secret_file: MAS_SECRET_FILES.upstreamClientSecret,
        token_endpoint_auth_method: 'client_secret_basic',
        discovery_mode: 'oidc',
        pkce_method: 'always',
      });
      expect(KEYCLOAK_REALM).not.toBe('master');
      expect(masUpstreamClientSecretSource(specWith(MODES[1].yaml))).toEqual({ kind: 'generated' });
    });

    test('oidc: the configured issuer and client, secret from the deploy-time environment variable', () => {
      expect(oidc.upstream_oauth2.providers[0]).toMatchObject({
        issuer: 'https://id.example.eu/realms/gov',
        client_id: 'matrix-ministry',
        client_secret_file: MAS_SECRET_FILES.upstreamClientSecret,
        human_name: 'id.example.eu',
        fetch_userinfo: true,
      });
      expect(oidc.upstream_oauth2.providers[0].client_secret).toBeUndefined();
      expect(masUpstreamClientSecretSource(specWith(OIDC))).toEqual({ kind: 'deploy-env', name: 'MINISTRY_OIDC_SECRET' });
      expect(masUpstreamClientSecretSource(specWith())).toEqual({ kind: 'none' });
    });

    test('scopes: openid profile email, plus identity.oidc.scopes once each', () => {
      expect(keycloak.upstream_oauth2.providers[0].scope).toBe('openid profile email');
      expect(oidc.upstream_oauth2.providers[0].scope).toBe('openid profile email');
      const more = config(`${OIDC}    scopes: [email, organisation]\n`);
      expect(more.upstream_oauth2.providers[0].scope).toBe('openid profile email organisation');
    });

    test('claims: localpart from preferred_username (required), display name from name, e-mail from email', () => {
      for (const cfg of [keycloak, oidc]) {
        const claims = cfg.upstream_oauth2.providers[0].claims_imports;
        expect(claims.localpart).toMatchObject({ action: 'require', template: '{{ user.preferred_username }}' });
        expect(claims.displayname.template).toBe('{{ user.name }}');
        expect(claims.email.template).toBe('{{ user.email }}');
        // MAS refuses skip_confirmation unless localpart is `require` and nothing is `suggest`.
        if (claims.skip_confirmation) {
          expect(claims.localpart.action).toBe('require');
          expect([claims.displayname.action, claims.email.action]).not.toContain('suggest');
        }
      }
    });

    test('redirect and back-channel logout URIs are on the auth host under the provider id', () => {
      const provider = masUpstreamProvider(specWith(MODES[1].yaml))!;
      expect(provider.redirectUri).toBe(`https://auth.ministry.example.eu/upstream/callback/${provider.id}`);
      expect(provider.backchannelLogoutUri).toBe(`https://auth.ministry.example.eu/upstream/backchannel-logout/${provider.id}`);
      expect(masUpstreamProvider(specWith())).toBeUndefined();
    });
  });

  describe('escape hatch (extra.mas)', () => {
    test('merged last, keeping the rest', () => {
      const cfg = config('extra:\n  mas:\n    branding:\n      service_name: Ministry chat\n    account:\n      displayname_change_allowed: false\n');
      expect(cfg.branding).toEqual({ service_name: 'Ministry chat' });
      expect(cfg.account.displayname_change_allowed).toBe(false);
      expect(cfg.account.password_registration_enabled).toBe(false);
      expect(cfg.secrets).toEqual(local.secrets);
    });
  });

  test('deterministic', () => {
    for (const { yaml } of MODES) expect(renderMas(specWith(yaml))).toEqual(renderMas(specWith(yaml)));
  });
});
