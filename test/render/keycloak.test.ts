import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from 'cdktf';
import { AppsStack } from '../../stacks/apps';
import { PORTS } from '../../src/ports';
import { renderAll } from '../../src/render';
import {
  KEYCLOAK_CREATE_USER,
  KEYCLOAK_DATABASE,
  KEYCLOAK_MANAGEMENT_PATHS,
  KEYCLOAK_PATHS,
  KEYCLOAK_PUBLIC_PATHS,
  KEYCLOAK_REALM_RESOURCES,
  KEYCLOAK_RECONCILE,
  KEYCLOAK_SECRET_ENV,
  keycloakCreateUserCommand,
  keycloakCreateUserScript,
  keycloakIssuer,
  keycloakMasClient,
  keycloakRealm,
  keycloakRealmSettings,
  keycloakSettings,
  maxLocalpartLength,
  renderKeycloak,
} from '../../src/render/keycloak';
import { KEYCLOAK_MAS_CLIENT_ID, KEYCLOAK_REALM, masConfig, masUpstreamProvider } from '../../src/render/mas';
import { renderKeycloakPostgresInit } from '../../src/render/postgres';
import { specWith } from './fixtures';

/** The Kubernetes object of a kind and name in a synthesized apps stack. */
function kubeObject(json: Obj, kind: string, name: string): Obj {
  const found = Object.values(json.resource.kubernetes_manifest as Record<string, Obj>).map((r) => r.manifest).filter((m) => m.kind === kind && m.metadata.name === name);
  expect(found).toHaveLength(1);
  return found[0];
}

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
      'keycloak/create-user.sh',
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
      const pod = kubeObject(json, 'Deployment', 'keycloak').spec.template.spec;
      const [keycloak, sidecar] = pod.containers;
      expect(pod.containers).toHaveLength(2);
      expect(sidecar.name).toBe('realm-reconcile');
      expect(sidecar.image).toBe(keycloak.image);
      expect(sidecar.command.slice(0, 2)).toEqual(['/bin/bash', '-c']);
      expect(sidecar.command[2]).toContain(`/bin/bash /config/${KEYCLOAK_RECONCILE.script}`);
      expect(sidecar.command[2]).toMatch(/sleep infinity & wait/);
      const names = (c: Obj) => c.env.map((e: Obj) => e.name);
      expect(names(sidecar)).toEqual([KEYCLOAK_SECRET_ENV.bootstrapAdminUsername, KEYCLOAK_SECRET_ENV.bootstrapAdminPassword, KEYCLOAK_SECRET_ENV.masClientSecret]);
      for (const e of sidecar.env) expect(keycloak.env).toContainEqual(e);
      expect(sidecar.securityContext).toMatchObject({ readOnlyRootFilesystem: true, runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
      expect(sidecar.volumeMounts).toContainEqual({ name: 'config', mountPath: '/config', readOnly: true });
      expect(keycloak.volumeMounts).toContainEqual({ name: 'config', mountPath: '/config', readOnly: true });
      expect(sidecar.readinessProbe.exec.command[2]).toBe('test -e /run/realm-reconcile/result');
      expect(pod.volumes).toContainEqual({ name: 'realm-reconcile', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } });
    });
  });

  describe('create-user.sh: a user (the first administrator) by hand, after deploy', () => {
    const script = files()[`keycloak/${KEYCLOAK_CREATE_USER.script}`];
    const line = (name: string) => new RegExp(`^${name}=(.*)$`, 'm').exec(script)?.[1];
    const ADMIN = { username: 'bootstrap-admin', password: 'admin-password-1f3a9c' };

    /**
     * The rendered script, run with bash next to a keycloak.env, with KCADM a stand-in that records
     * its arguments and standard input and answers as told (Keycloak itself: test/integration).
     */
    function run(args: string[], kcadm: { exit?: number; stderr?: string } = {}, env: Record<string, string> = {}) {
      const dir = mkdtempSync(join(tmpdir(), 'sm-create-user-'));
      try {
        writeFileSync(join(dir, KEYCLOAK_CREATE_USER.script), script);
        writeFileSync(join(dir, 'keycloak.env'), files()['keycloak/keycloak.env']);
        const fake = join(dir, 'kcadm.sh');
        writeFileSync(
          fake,
          `#!/bin/bash\nprintf '%s\\n' "$@" > "${dir}/args"\ncat > "${dir}/stdin"\nprintf '%s' "$KC_CLI_PASSWORD" > "${dir}/env-password"\necho "Logging into http://127.0.0.1:8080 as user $KC_BOOTSTRAP_ADMIN_USERNAME of realm master" >&2\n${kcadm.stderr ? `printf '%s\\n' ${JSON.stringify(kcadm.stderr)} >&2\n` : ''}${kcadm.exit ? `exit ${kcadm.exit}\n` : 'echo 0b1e0f7e-0000-4000-8000-000000000001\n'}`,
        );
        chmodSync(fake, 0o755);
        const result = spawnSync('bash', [join(dir, KEYCLOAK_CREATE_USER.script), ...args], {
          encoding: 'utf8',
          env: { PATH: process.env.PATH, KCADM: fake, KC_BOOTSTRAP_ADMIN_USERNAME: ADMIN.username, KC_BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password, ...env },
        });
        const read = (name: string) => (existsSync(join(dir, name)) ? readFileSync(join(dir, name), 'utf8') : undefined);
        return { status: result.status, stdout: result.stdout, stderr: result.stderr, args: read('args')?.trimEnd().split('\n'), stdin: read('stdin'), envPassword: read('env-password') };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }

    test('bash, realm matrix, the admin CLI signed in as the bootstrap administrator over 127.0.0.1', () => {
      expect(script.startsWith('#!/bin/bash\n')).toBe(true);
      expect(spawnSync('bash', ['-n'], { input: script }).status).toBe(0);
      expect(line('REALM')).toBe(KEYCLOAK_REALM);
      expect(KEYCLOAK_REALM).toBe('matrix');
      expect(script).toContain(`KCADM=\${KCADM:-${KEYCLOAK_RECONCILE.kcadm}}`);
      expect(script).toContain(`export KC_CLI_PASSWORD=$${KEYCLOAK_SECRET_ENV.bootstrapAdminPassword}`);
      expect(script).toContain(`create users -r "$REALM" -f - --no-config --server "$server" --realm master --user "$${KEYCLOAK_SECRET_ENV.bootstrapAdminUsername}"`);
      expect(script).toContain('server=http://127.0.0.1:$KC_HTTP_PORT');
      expect(script).toContain("export KC_OPTS='-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData -Xmx64m'");
      // Only what the image has: bash builtins and coreutils; no curl, awk, python, openssl.
      expect(script).not.toMatch(/\b(curl|wget|awk|python3?|openssl|perl|jq)\b/);
      expect(script).toContain('/dev/urandom');
    });

    test('no secret in the file; the admin and the temporary password never on a command line', () => {
      expect(script).not.toMatch(/[0-9a-f]{32,}|-----BEGIN/i);
      expect(script).not.toMatch(/--password|--new-password|set-password|--secret/);
      expect(script).not.toMatch(new RegExp(`${KEYCLOAK_SECRET_ENV.dbPassword}|${KEYCLOAK_SECRET_ENV.masClientSecret}`));
      // The only variables of Keycloak's it reads: the bootstrap administrator and the HTTP port.
      expect([...new Set([...script.matchAll(/\$\{?!?(KC_[A-Z_]+)/g)].map((m) => m[1]))].sort()).toEqual(
        [KEYCLOAK_SECRET_ENV.bootstrapAdminPassword, KEYCLOAK_SECRET_ENV.bootstrapAdminUsername, 'KC_HTTP_PORT'].sort(),
      );
      expect(keycloakCreateUserScript(specWith(KEYCLOAK))).toBe(script);
    });

    test('a user: enabled, the e-mail verified, a temporary password sent on standard input, printed once', () => {
      const r = run(['alice.example', 'Alice@Ministry.Example.eu']);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.args).toEqual(['create', 'users', '-r', KEYCLOAK_REALM, '-f', '-', '--no-config', '--server', `http://127.0.0.1:${PORTS.keycloakHttp}`, '--realm', 'master', '--user', ADMIN.username]);
      expect(r.envPassword).toBe(ADMIN.password);
      const user = JSON.parse(r.stdin!);
      expect(user).toEqual({
        username: 'alice.example',
        email: 'alice@ministry.example.eu',
        emailVerified: true,
        enabled: true,
        requiredActions: ['UPDATE_PASSWORD'],
        credentials: [{ type: 'password', value: expect.any(String), temporary: true }],
      });
      const password: string = user.credentials[0].value;
      // 4 groups of 5 from a 32-character alphabet (100 bits); the realm's policy wants 12 or more.
      expect(password).toMatch(new RegExp(`^[${KEYCLOAK_CREATE_USER.passwordAlphabet}]{5}(-[${KEYCLOAK_CREATE_USER.passwordAlphabet}]{5}){3}$`));
      expect(r.stdout.split(password)).toHaveLength(2);
      expect(r.stdout).not.toContain(ADMIN.password);
      expect(r.stdout).toContain('created user alice.example in realm matrix: enabled, e-mail alice@ministry.example.eu (verified)');
      expect(r.stdout).toContain('promote-admin alice.example');
      expect(r.stdout).toContain('https://chat.ministry.example.eu/');
      expect(run(['alice.example', 'alice@ministry.example.eu']).stdin).not.toBe(r.stdin);
    });

    test.each(([
      ['Alice', /not a Matrix localpart/],
      ['al ice', /not a Matrix localpart/],
      ['al"ice', /not a Matrix localpart/],
      ['al\u00efce', /not a Matrix localpart/],
      ['', /not a Matrix localpart/],
      ['a=b', /Keycloak does not accept '=' or '\/'/],
      ['a/b/c', /Keycloak does not accept '=' or '\/'/],
      ['_bridge', /begins with '_'/],
      ['12345', /only digits/],
      ['ab', /shorter than 3/],
      ['x'.repeat(235), /longer than 234 characters/],
    ] as [string, RegExp][]).map(([username, message]) => [username.length > 30 ? `x * ${username.length}` : JSON.stringify(username), username, message] as const))('refuses the username %s before any call to Keycloak (exit 2, one line)', (_label, username, message) => {
      const r = run([username, 'someone@ministry.example.eu']);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.split('\n')).toHaveLength(2);
      expect(r.stderr).toMatch(/^create-user: FAILED: /);
      expect(r.stderr).toMatch(message);
      expect(r.args).toBeUndefined();
    });

    test('refuses a bad e-mail address or a wrong number of arguments before any call to Keycloak', () => {
      for (const args of [['alice', 'alice'], ['alice', 'alice@'], ['alice', 'a"b@example.eu'], ['alice', 'a b@example.eu'], ['alice', 'a@b@example.eu'], ['alice'], ['alice', 'a@example.eu', 'x']]) {
        const r = run(args);
        expect({ args, status: r.status, kcadm: r.args }).toEqual({ args, status: 2, kcadm: undefined });
        expect(r.stderr).toMatch(/^create-user: FAILED: [^\n]+\n$/);
      }
      expect(run(['alice']).stderr).toBe(`create-user: FAILED: usage: bash /config/${KEYCLOAK_CREATE_USER.script} <username> <email>\n`);
    });

    test('without the bootstrap administrator in its environment: refuses, names the container to run it in', () => {
      const r = run(['alice', 'alice@ministry.example.eu'], {}, { KC_BOOTSTRAP_ADMIN_PASSWORD: '' });
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(`create-user: FAILED: the environment variable KC_BOOTSTRAP_ADMIN_PASSWORD is empty or not set; run this in the ${KEYCLOAK_CREATE_USER.container} container of the Keycloak pod\n`);
      expect(r.args).toBeUndefined();
    });

    test.each([
      ['Invalid user credentials [invalid_grant]', /cannot sign in to Keycloak as bootstrap-admin \(realm master\): Invalid user credentials/],
      ['User exists with same username', /user alice already exists in realm matrix; nothing changed/],
      ['User exists with same email', /another user of realm matrix has the e-mail address alice@ministry.example.eu/],
      ['Failed to send request - Connect to 127.0.0.1:8080 failed: Connection refused', /cannot reach Keycloak at http:\/\/127.0.0.1:8080/],
      ['error-invalid-email', /Keycloak did not create user alice in realm matrix: error-invalid-email/],
    ])('Keycloak refuses (%s): exit 1, one line, no password printed', (stderr, message) => {
      const r = run(['alice', 'alice@ministry.example.eu'], { exit: 1, stderr });
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^create-user: FAILED: [^\n]+\n$/);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toContain(JSON.parse(r.stdin!).credentials[0].value);
      expect(r.stderr).not.toContain(ADMIN.password);
    });

    test('the longest localpart follows server_name: @<localpart>:<server_name> is at most 255 characters', () => {
      expect(maxLocalpartLength(specWith(KEYCLOAK))).toBe(255 - '@:ministry.example.eu'.length);
      expect(line('MAX_LENGTH')).toBe(String(maxLocalpartLength(specWith(KEYCLOAK))));
    });

    test('the documented command runs it in a container of the Keycloak pod that mounts the ConfigMap with it and has the administrator', () => {
      expect(keycloakCreateUserCommand('matrix-ministry')).toBe(
        'kubectl --namespace matrix-ministry exec -it deploy/keycloak -c realm-reconcile -- bash /config/create-user.sh <username> <email>',
      );
      expect(script).toContain(`#   ${keycloakCreateUserCommand('<namespace>')}\n`);
      const json = JSON.parse(Testing.synth(new AppsStack(Testing.app(), specWith(KEYCLOAK))));
      const deployment = kubeObject(json, 'Deployment', KEYCLOAK_CREATE_USER.deployment);
      expect(deployment.metadata.name).toBe(KEYCLOAK_CREATE_USER.deployment);
      const pod = deployment.spec.template.spec;
      const container = pod.containers.find((c: Obj) => c.name === KEYCLOAK_CREATE_USER.container);
      expect(container).toBeDefined();
      const mount = container.volumeMounts.find((m: Obj) => m.mountPath === KEYCLOAK_CREATE_USER.configDir);
      expect(mount).toMatchObject({ readOnly: true });
      const volume = pod.volumes.find((v: Obj) => v.name === mount.name);
      const configMap = kubeObject(json, 'ConfigMap', volume.configMap.name);
      expect(Object.keys(configMap.data)).toContain(KEYCLOAK_CREATE_USER.script);
      expect(container.env.map((e: Obj) => e.name)).toEqual(expect.arrayContaining([KEYCLOAK_SECRET_ENV.bootstrapAdminUsername, KEYCLOAK_SECRET_ENV.bootstrapAdminPassword]));
      expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
    });

    test('only in identity mode keycloak', () => {
      expect(() => keycloakCreateUserScript(specWith())).toThrow(/not keycloak/);
    });
  });
});
