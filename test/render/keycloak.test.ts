import { spawnSync } from 'node:child_process';
import { Testing } from 'cdktf';
import { AppsStack } from '../../stacks/apps';
import { PORTS } from '../../src/ports';
import { renderAll } from '../../src/render';
import {
  KEYCLOAK_DATABASE,
  KEYCLOAK_MANAGEMENT_PATHS,
  KEYCLOAK_PATHS,
  KEYCLOAK_PUBLIC_PATHS,
  KEYCLOAK_REALM_RESOURCES,
  KEYCLOAK_RECONCILE,
  KEYCLOAK_SECRET_ENV,
  keycloakIssuer,
  keycloakMasClient,
  keycloakRealm,
  keycloakRealmSettings,
  keycloakSettings,
  renderKeycloak,
} from '../../src/render/keycloak';
import { KEYCLOAK_MAS_CLIENT_ID, KEYCLOAK_REALM, masConfig, masUpstreamProvider } from '../../src/render/mas';
import { renderKeycloakPostgresInit } from '../../src/render/postgres';
import { specWith } from './fixtures';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const KEYCLOAK = 'identity:\n  mode: keycloak\n';

function files(extraYaml = KEYCLOAK): Record<string, string> {
  return Object.fromEntries(renderKeycloak(specWith(extraYaml)).map((f) => [f.path, f.content]));
}

function realm(extraYaml = KEYCLOAK): Obj {
  return JSON.parse(files(extraYaml)['keycloak/realm.json']);
}

function envFile(extraYaml = KEYCLOAK): Record<string, string> {
  const lines = files(extraYaml)['keycloak/keycloak.env'].split('\n').filter((l) => l && !l.startsWith('#'));
  return Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

describe('keycloak', () => {
  const r = realm();
  const client: Obj = r.clients.find((c: Obj) => c.clientId === KEYCLOAK_MAS_CLIENT_ID);
  const env = envFile();

  test('only in identity mode keycloak', () => {
    expect(renderKeycloak(specWith())).toEqual([]);
    expect(renderKeycloak(specWith('identity:\n  mode: oidc\n  oidc:\n    issuer: https://id.example.eu\n    client_id: x\n    client_secret_env: X\n'))).toEqual([]);
    expect(Object.keys(files()).sort()).toEqual([
      'keycloak/keycloak.env',
      'keycloak/realm.json',
      'keycloak/reconcile-client.json',
      'keycloak/reconcile-realm.json',
      'keycloak/reconcile.sh',
    ]);
    expect(renderKeycloakPostgresInit(specWith())).toEqual([]);
    expect(renderAll(specWith(KEYCLOAK)).map((f) => f.path)).toEqual(
      expect.arrayContaining(['keycloak/realm.json', 'keycloak/keycloak.env', 'postgres/init-keycloak.sql', 'mas/config.yaml']),
    );
  });

  describe('realm.json', () => {
    test('a realm of its own, never master', () => {
      expect(r.realm).toBe(KEYCLOAK_REALM);
      expect(r.realm).not.toBe('master');
      expect(r.enabled).toBe(true);
    });

    test('exactly one client, MAS\u2019s, confidential, OpenID Connect', () => {
      expect(r.clients).toHaveLength(1);
      expect(client).toMatchObject({ protocol: 'openid-connect', publicClient: false, clientAuthenticatorType: 'client-secret', enabled: true });
    });

    test('redirect URIs: exactly MAS\u2019s upstream callback for the provider id, no wildcard', () => {
      const provider = masUpstreamProvider(specWith(KEYCLOAK))!;
      expect(client.redirectUris).toEqual([`https://auth.ministry.example.eu/upstream/callback/${provider.id}`]);
      const mas = masConfig(specWith(KEYCLOAK)) as Obj;
      expect(client.redirectUris[0]).toBe(`${mas.http.public_base}upstream/callback/${mas.upstream_oauth2.providers[0].id}`);
      for (const uri of [...client.redirectUris, ...client.webOrigins]) {
        expect(uri).not.toContain('*');
        expect(uri).toMatch(/^https:\/\//);
      }
      expect(client.webOrigins).toEqual([]);
    });

    test('back-channel logout to MAS\u2019s endpoint for the provider', () => {
      const provider = masUpstreamProvider(specWith(KEYCLOAK))!;
      expect(client.attributes['backchannel.logout.url']).toBe(provider.backchannelLogoutUri);
      expect(client.attributes['backchannel.logout.session.required']).toBe('true');
      expect(client.frontchannelLogout).toBe(false);
    });

    test('authorization code flow only: no implicit flow, no direct access grants, no service account, no device or CIBA grants', () => {
      expect(client.standardFlowEnabled).toBe(true);
      expect(client.implicitFlowEnabled).toBe(false);
      expect(client.directAccessGrantsEnabled).toBe(false);
      expect(client.serviceAccountsEnabled).toBe(false);
      expect(client.attributes['oauth2.device.authorization.grant.enabled']).toBe('false');
      expect(client.attributes['oidc.ciba.grant.enabled']).toBe('false');
    });

    test('PKCE S256 required', () => {
      expect(client.attributes['pkce.code.challenge.method']).toBe('S256');
      expect((masConfig(specWith(KEYCLOAK)) as Obj).upstream_oauth2.providers[0].pkce_method).toBe('always');
    });

    test('the scopes MAS asks for exist on the client; no realm roles in tokens', () => {
      expect(client.defaultClientScopes).toEqual(expect.arrayContaining(['profile', 'email', 'basic']));
      expect(client.fullScopeAllowed).toBe(false);
    });

    test('realm security: HTTPS always, no registration, brute-force protection, password policy', () => {
      expect(r).toMatchObject({
        sslRequired: 'all',
        registrationAllowed: false,
        bruteForceProtected: true,
        loginWithEmailAllowed: true,
        duplicateEmailsAllowed: false,
        editUsernameAllowed: false,
        eventsEnabled: true,
        adminEventsEnabled: true,
      });
      expect(r.failureFactor).toBeGreaterThan(0);
      expect(r.passwordPolicy).toMatch(/\blength\((1[2-9]|[2-9]\d)\)/);
      expect(r.passwordPolicy).toMatch(/\bnotUsername\b/);
    });

    test('no secret in the file: the client secret is a Keycloak environment reference', () => {
      expect(client.secret).toBe(`\${${KEYCLOAK_SECRET_ENV.masClientSecret}}`);
      const text = files()['keycloak/realm.json'];
      const references = [...text.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1]);
      expect(references).toEqual([KEYCLOAK_SECRET_ENV.masClientSecret]);
      expect(text).not.toMatch(/"(password|value|privateKey|certificate)"/i);
      expect(text).not.toMatch(/"users"/);
      expect(text).not.toMatch(/[0-9a-f]{32,}|-----BEGIN/i);
    });

    test('extra.keycloak is merged into the realm last', () => {
      const merged = realm(`${KEYCLOAK}extra:\n  keycloak:\n    displayName: Ministry\n    internationalizationEnabled: true\n    supportedLocales: [de, en]\n`);
      expect(merged.displayName).toBe('Ministry');
      expect(merged.supportedLocales).toEqual(['de', 'en']);
      expect(merged.clients).toEqual(r.clients);
      expect(keycloakRealm(specWith(KEYCLOAK))).toEqual(r);
    });
  });

  describe('keycloak.env', () => {
    test('database: postgres, its own database and role, host postgres; password not here', () => {
      expect(env).toMatchObject({
        KC_DB: 'postgres',
        KC_DB_URL_HOST: 'postgres',
        KC_DB_URL_PORT: String(PORTS.postgres),
        KC_DB_URL_DATABASE: 'keycloak',
        KC_DB_USERNAME: 'keycloak',
      });
      expect(KEYCLOAK_DATABASE.database).not.toMatch(/^(synapse|mas)$/);
      expect(env.KC_DB_PASSWORD).toBeUndefined();
      for (const name of Object.values(KEYCLOAK_SECRET_ENV)) expect(env[name]).toBeUndefined();
    });

    test('hostname is the full https URL of the sso host, strict, behind the proxy', () => {
      expect(env.KC_HOSTNAME).toBe('https://sso.ministry.example.eu');
      expect(new URL(env.KC_HOSTNAME).protocol).toBe('https:');
      expect(`${env.KC_HOSTNAME}/realms/${KEYCLOAK_REALM}`).toBe(keycloakIssuer(specWith(KEYCLOAK)));
      expect((masConfig(specWith(KEYCLOAK)) as Obj).upstream_oauth2.providers[0].issuer).toBe(keycloakIssuer(specWith(KEYCLOAK)));
      expect(env.KC_HOSTNAME_STRICT).toBe('true');
      expect(env.KC_PROXY_HEADERS).toBe('xforwarded');
      expect(env.KC_PROXY).toBeUndefined();
      expect(env.KC_HTTP_ENABLED).toBe('true');
      expect(env.KC_HTTP_PORT).toBe(String(PORTS.keycloakHttp));
    });

    test('health and metrics on the management port', () => {
      expect(env.KC_HEALTH_ENABLED).toBe('true');
      expect(env.KC_METRICS_ENABLED).toBe('true');
      expect(env.KC_HTTP_MANAGEMENT_PORT).toBe(String(PORTS.keycloakManagement));
      expect(PORTS.keycloakManagement).not.toBe(PORTS.keycloakHttp);
    });

    test('is keycloakSettings(spec), sorted', () => {
      expect(env).toEqual(keycloakSettings(specWith(KEYCLOAK)));
      expect(Object.keys(env)).toEqual(Object.keys(env).sort());
    });
  });

  describe('what the ingress may expose', () => {
    test('only /realms/, /resources/ and /.well-known/', () => {
      expect([...KEYCLOAK_PUBLIC_PATHS]).toEqual(['/realms/', '/resources/', '/.well-known/']);
    });

    test('never the admin console or API, never the root, never a management path', () => {
      for (const path of KEYCLOAK_PUBLIC_PATHS) {
        expect(path).not.toMatch(/^\/admin/);
        expect(path).not.toBe('/');
        for (const management of Object.values(KEYCLOAK_MANAGEMENT_PATHS)) expect(management.startsWith(path)).toBe(false);
      }
    });

    test('the issuer MAS uses is under an exposed path', () => {
      const issuerPath = new URL(keycloakIssuer(specWith(KEYCLOAK))).pathname;
      expect(KEYCLOAK_PUBLIC_PATHS.some((p) => `${issuerPath}/`.startsWith(p))).toBe(true);
    });
  });

  test('the realm file goes to the import directory', () => {
    expect(KEYCLOAK_PATHS.realmFile.startsWith(`${KEYCLOAK_PATHS.importDir}/`)).toBe(true);
    expect(KEYCLOAK_PATHS.realmFile).toMatch(/\.json$/);
  });

  test('init-keycloak.sql: role and database keycloak, password from a psql variable', () => {
    const [init] = renderKeycloakPostgresInit(specWith(KEYCLOAK));
    expect(init.path).toBe('postgres/init-keycloak.sql');
    expect(init.content).toContain("ALTER ROLE keycloak WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'keycloak_password';");
    expect(init.content).toContain('REVOKE ALL ON DATABASE keycloak FROM PUBLIC;');
  });

  test('deterministic', () => {
    expect(renderKeycloak(specWith(KEYCLOAK))).toEqual(renderKeycloak(specWith(KEYCLOAK)));
  });

  describe('the reconciliation of an existing realm', () => {
    const all = files();
    const script = all[`keycloak/${KEYCLOAK_RECONCILE.script}`];
    const clientFile: Obj = JSON.parse(all[`keycloak/${KEYCLOAK_RECONCILE.client}`]);
    const settings: Obj = JSON.parse(all[`keycloak/${KEYCLOAK_RECONCILE.realmSettings}`]);
    const line = (name: string) => new RegExp(`^${name}=(.*)$`, 'm').exec(script)?.[1];

    test('the same realm and the same client as the import, the client exactly as realm.json has it', () => {
      expect(settings.realm).toBe(KEYCLOAK_REALM);
      expect(line('REALM')).toBe(KEYCLOAK_REALM);
      expect(line('CLIENT_ID')).toBe(KEYCLOAK_MAS_CLIENT_ID);
      expect(clientFile.clientId).toBe(KEYCLOAK_MAS_CLIENT_ID);
      expect(clientFile).toEqual(client);
      expect(clientFile).toEqual(keycloakMasClient(specWith(KEYCLOAK)));
      expect(line('DEFAULT_SCOPES')).toBe(`(${client.defaultClientScopes.join(' ')})`);
      expect(line('OPTIONAL_SCOPES')).toBe(`(${client.optionalClientScopes.join(' ')})`);
    });

    test('realm settings: every setting of realm.json, none of its resources (no users, no clients)', () => {
      const { clients, ...rest } = r;
      expect(clients).toHaveLength(1);
      expect(settings).toEqual(rest);
      expect(settings).toEqual(keycloakRealmSettings(specWith(KEYCLOAK)));
      for (const key of KEYCLOAK_REALM_RESOURCES) expect(settings[key]).toBeUndefined();
    });

    test('extra.keycloak settings are reconciled too; resources it adds (users, roles, groups) are not', () => {
      const extra = `${KEYCLOAK}extra:\n  keycloak:\n    displayName: Ministry\n    supportedLocales: [de, en]\n    users: [{ username: someone }]\n    roles: { realm: [{ name: staff }] }\n    groups: [{ name: staff }]\n`;
      const reconciled: Obj = JSON.parse(files(extra)[`keycloak/${KEYCLOAK_RECONCILE.realmSettings}`]);
      expect(reconciled).toMatchObject({ displayName: 'Ministry', supportedLocales: ['de', 'en'], passwordPolicy: r.passwordPolicy });
      expect(Object.keys(reconciled)).not.toEqual(expect.arrayContaining(['users']));
      for (const key of ['users', 'roles', 'groups', 'clients']) expect(reconciled[key]).toBeUndefined();
      expect(realm(extra).users).toEqual([{ username: 'someone' }]);
      expect(JSON.parse(files(extra)[`keycloak/${KEYCLOAK_RECONCILE.client}`])).toEqual(clientFile);
    });

    test('no secret in clear: the client secret is the same environment reference as in realm.json', () => {
      expect(clientFile.secret).toBe(`\${${KEYCLOAK_SECRET_ENV.masClientSecret}}`);
      for (const file of [KEYCLOAK_RECONCILE.client, KEYCLOAK_RECONCILE.realmSettings]) {
        const text = all[`keycloak/${file}`];
        expect([...text.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1])).toEqual(file === KEYCLOAK_RECONCILE.client ? [KEYCLOAK_SECRET_ENV.masClientSecret] : []);
        expect(text).not.toMatch(/"(users|credentials|password|value|privateKey|certificate)"/i);
        expect(text).not.toMatch(/[0-9a-f]{32,}|-----BEGIN/i);
      }
      expect(line('PLACEHOLDER')).toBe(`'\${${KEYCLOAK_SECRET_ENV.masClientSecret}}'`);
      expect(script).not.toMatch(/[0-9a-f]{32,}|-----BEGIN/i);
    });

    test('the script: bash, the admin CLI signed in as the bootstrap administrator, the password never in an argument', () => {
      expect(script.startsWith('#!/bin/bash\n')).toBe(true);
      expect(spawnSync('bash', ['-n'], { input: script }).status).toBe(0);
      expect(script).toContain(`KCADM=\${KCADM:-${KEYCLOAK_RECONCILE.kcadm}}`);
      expect(script).toContain(`export KC_CLI_PASSWORD=$${KEYCLOAK_SECRET_ENV.bootstrapAdminPassword}`);
      expect(script).toContain(`--no-config --server "$server" --realm master --user "$${KEYCLOAK_SECRET_ENV.bootstrapAdminUsername}"`);
      expect(script).not.toMatch(/--password|--secret|KC_DB_PASSWORD/);
      // Keycloak's own HTTP and management ports on 127.0.0.1, from the keycloak.env it reads itself.
      expect(script).toContain('server=http://127.0.0.1:$KC_HTTP_PORT');
      expect(script).toContain('/dev/tcp/127.0.0.1/$KC_HTTP_MANAGEMENT_PORT');
      expect(line('READY_PATH')).toBe(KEYCLOAK_MANAGEMENT_PATHS.ready);
      expect(script).toContain('done <"$dir/keycloak.env"');
    });

    test('the script: the realm updated from its file, the client updated in place or created, never a partial import or a user', () => {
      expect(script).toContain(`kcadm update "realms/$REALM" -f "$dir/${KEYCLOAK_RECONCILE.realmSettings}" -o -c`);
      expect(script).toContain('kcadm get clients -r "$REALM" -q "clientId=$CLIENT_ID" -c');
      expect(script).toContain(`printf '%s' "$client" | kcadm update "clients/$id" -r "$REALM" -f - -o -c`);
      expect(script).toContain(`printf '%s' "$client" | kcadm create clients -r "$REALM" -f - -i`);
      expect(script).toContain(`client=$(<"$dir/${KEYCLOAK_RECONCILE.client}")`);
      expect(script).not.toMatch(/partialImport|kcadm \w+ "?users|import --override/);
      const calls = [...script.matchAll(/kcadm (get|update|create|delete) "?([a-z-]+)/g)].map((m) => `${m[1]} ${m[2]}`);
      expect([...new Set(calls)].sort()).toEqual(['create clients', 'delete clients', 'get client-scopes', 'get clients', 'get realms', 'update clients', 'update realms']);
    });

    test('a changed auth host changes the client file only, not the script', () => {
      const changed = files(`${KEYCLOAK}hostnames:\n  auth: login.ministry.example.eu\n`);
      const changedClient: Obj = JSON.parse(changed[`keycloak/${KEYCLOAK_RECONCILE.client}`]);
      expect(changedClient.redirectUris[0]).toMatch(/^https:\/\/login\.ministry\.example\.eu\/upstream\/callback\//);
      expect(changedClient.attributes['backchannel.logout.url']).toMatch(/^https:\/\/login\.ministry\.example\.eu\/upstream\/backchannel-logout\//);
      expect(changed[`keycloak/${KEYCLOAK_RECONCILE.script}`]).toBe(script);
      expect(changed[`keycloak/${KEYCLOAK_RECONCILE.realmSettings}`]).toBe(all[`keycloak/${KEYCLOAK_RECONCILE.realmSettings}`]);
    });

    test('runs in the Keycloak pod as a second, read-only container with the same image, Secrets and ConfigMap', () => {
      const json = JSON.parse(Testing.synth(new AppsStack(Testing.app(), specWith(KEYCLOAK))));
      const pod = json.resource.kubernetes_deployment_v1.keycloak.spec.template.spec;
      const [keycloak, sidecar] = pod.container;
      expect(pod.container).toHaveLength(2);
      expect(sidecar.name).toBe('realm-reconcile');
      expect(sidecar.image).toBe(keycloak.image);
      expect(sidecar.command.slice(0, 2)).toEqual(['/bin/bash', '-c']);
      expect(sidecar.command[2]).toContain(`/bin/bash /config/${KEYCLOAK_RECONCILE.script}`);
      expect(sidecar.command[2]).toMatch(/sleep infinity & wait/);
      const names = (c: Obj) => c.env.map((e: Obj) => e.name);
      expect(names(sidecar)).toEqual([KEYCLOAK_SECRET_ENV.bootstrapAdminUsername, KEYCLOAK_SECRET_ENV.bootstrapAdminPassword, KEYCLOAK_SECRET_ENV.masClientSecret]);
      for (const e of sidecar.env) expect(keycloak.env).toContainEqual(e);
      expect(sidecar.security_context).toMatchObject({ read_only_root_filesystem: true, run_as_non_root: true, allow_privilege_escalation: false, capabilities: { drop: ['ALL'] } });
      expect(sidecar.volume_mount).toContainEqual({ name: 'config', mount_path: '/config', read_only: true });
      expect(keycloak.volume_mount).toContainEqual({ name: 'config', mount_path: '/config', read_only: true });
      expect(sidecar.readiness_probe.exec.command[2]).toBe('test -e /run/realm-reconcile/result');
      expect(pod.volume).toContainEqual({ name: 'realm-reconcile', empty_dir: { medium: 'Memory', size_limit: '1Mi' } });
    });
  });
});
