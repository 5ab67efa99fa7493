/**
 * Boots the real Keycloak (the pinned release: Maven Central's keycloak-quarkus-dist, the same
 * server the container image ships) against a real, throwaway PostgreSQL, with exactly the files
 * the kit renders for identity mode keycloak:
 *
 * - postgres/init-keycloak.sql, applied verbatim (twice: it is idempotent);
 * - keycloak/keycloak.env, changed only by the overlay below;
 * - keycloak/realm.json, verbatim, imported by `kc.sh start --import-realm` (KEYCLOAK_ARGS).
 *
 * The overlay may change only the database host (the Service `postgres` -> 127.0.0.1) and the
 * three ports (database, HTTP, management -> free ports here); `overlayKeycloakSettings` throws on
 * any other difference. The hostnames stay as rendered: in production TLS ends at the ingress,
 * which talks plain HTTP to Keycloak and sets X-Forwarded-Proto/Host; this test plays the ingress
 * by sending those headers to 127.0.0.1 (`asIngress`), so Keycloak issues exactly the URLs
 * (https://sso.<server_name>/realms/matrix/...) that the rendered MAS configuration expects, and
 * no certificate is needed.
 *
 * Then it checks what MAS relies on: the discovery document, the MAS client as imported (exact
 * redirect URI, flows, PKCE, secret from the environment), a complete authorization-code login
 * with PKCE as MAS performs it (the ID token carries the claims MAS imports), the refusals (other
 * redirect URIs, no PKCE, implicit flow, password grant, plain HTTP), and that health and metrics
 * answer on the management port only.
 *
 * Last, the reconciliation of the existing realm (keycloak/reconcile.sh, which the realm-reconcile
 * container of the Keycloak pod runs after every start): the rendered script and its two files,
 * verbatim, for the spec as booted and for a changed one (another hostnames.auth, a rotated client
 * secret), run with bash against the running Keycloak. Its overlay: keycloak.env next to it is the
 * overlaid one above (it reads the two ports from it), KCADM points at the distribution's
 * bin/kcadm.sh (the image's /opt/keycloak/bin/kcadm.sh), and the secrets come from the
 * environment as in the container. Checked: the change reaches the realm, users keep their
 * accounts and passwords and can log in, a second run changes nothing, a wrong administrator
 * password fails with a clear message, a deleted client is created again.
 *
 * Then a user by hand, as the deploy summary tells the operator to make the first administrator
 * (keycloak/create-user.sh, run with `kubectl exec` in the realm-reconcile container): the rendered
 * script, verbatim, with the same overlay as reconcile.sh (the overlaid keycloak.env next to it,
 * KCADM the distribution's kcadm.sh, the container's environment). Checked: the user as created
 * (enabled, e-mail verified, UPDATE_PASSWORD required), the temporary password printed once and no
 * other secret, a login with it reaching Keycloak's update-password form and, after a new password
 * and the name Keycloak's user profile asks for, completing with the username as
 * preferred_username; a second run for the same user, an e-mail address in use and a wrong
 * administrator password failing with one clear line; bad usernames refused before any call.
 *
 * Needs: scripts/integration/keycloak.sh (run here: downloads and verifies Keycloak, picks a
 * JDK, installs PostgreSQL when missing). Every request below goes to 127.0.0.1.
 */
import { stopProcessGroup } from './process-group';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { parseDeployment } from '../../src/config/load';
import { PORTS } from '../../src/ports';
import { renderAll } from '../../src/render';
import {
  KEYCLOAK_ARGS,
  KEYCLOAK_CREATE_USER,
  KEYCLOAK_DATABASE,
  KEYCLOAK_MANAGEMENT_PATHS,
  KEYCLOAK_PUBLIC_PATHS,
  KEYCLOAK_RECONCILE,
  KEYCLOAK_SECRET_ENV,
  keycloakEnvFile,
} from '../../src/render/keycloak';
import { KEYCLOAK_MAS_CLIENT_ID, KEYCLOAK_REALM } from '../../src/render/mas';
import { KEYCLOAK_PASSWORD_VARIABLE } from '../../src/render/postgres';
import { freePort, startPostgres, tail, type Postgres } from './postgres';

const REPO = join(__dirname, '..', '..');
const BOOT_TIMEOUT_MS = 300_000;

const SPEC_YAML = `name: ministry
server_name: ministry.example.eu
target:
  kubernetes:
    context: test
admin_contact: ops@ministry.example.eu
backup:
  s3:
    endpoint: https://s3.example-eu.eu
    bucket: ministry-backups
    region: eu-west
identity:
  mode: keycloak
`;
const SPEC = parseDeployment(SPEC_YAML, 'keycloak.yaml');
const FILES = Object.fromEntries(renderAll(SPEC).map((f) => [f.path, f.content]));
const MAS = YAML.parse(FILES['mas/config.yaml']);
const PROVIDER = MAS.upstream_oauth2.providers[0];
const REALM = JSON.parse(FILES['keycloak/realm.json']);
const SSO_HOST = SPEC.hostnames.sso;
const REDIRECT_URI = `${MAS.http.public_base}upstream/callback/${PROVIDER.id}`;

// The same deployment after a change that moves MAS: its redirect URI and back-channel logout URL.
const CHANGED_SPEC = parseDeployment(`${SPEC_YAML}hostnames:\n  auth: login.ministry.example.eu\n`, 'keycloak-changed.yaml');
const CHANGED_FILES = Object.fromEntries(renderAll(CHANGED_SPEC).map((f) => [f.path, f.content]));
const CHANGED_MAS = YAML.parse(CHANGED_FILES['mas/config.yaml']);
const CHANGED_PROVIDER = CHANGED_MAS.upstream_oauth2.providers[0];
const CHANGED_REDIRECT_URI = `${CHANGED_MAS.http.public_base}upstream/callback/${CHANGED_PROVIDER.id}`;

const timings: string[] = [];
let root = '';
let pg: Postgres | undefined;
let keycloak: ChildProcess | undefined;
let logFile = '';
let httpBase = '';
let managementBase = '';
let home = '';
let javaHome = '';
let overlay: Parameters<typeof overlayKeycloakSettings>[1] | undefined;
const clientSecret = randomBytes(24).toString('hex');
const admin = { username: 'bootstrap-admin', password: randomBytes(18).toString('hex') };

beforeAll(async () => {
  let started = Date.now();
  const result = spawnSync('bash', [join(REPO, 'scripts/integration/keycloak.sh')], {
    cwd: REPO,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 15 * 60_000,
  });
  if (result.status !== 0) throw new Error(`scripts/integration/keycloak.sh failed (exit ${result.status}): ${result.stdout}`);
  const out = Object.fromEntries(
    result.stdout
      .trim()
      .split('\n')
      .filter((l) => /^[A-Z_]+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  const kcHome = out.KC_HOME;
  javaHome = out.JAVA_HOME;
  if (!kcHome || !existsSync(join(kcHome, 'bin', 'kc.sh')) || !javaHome) throw new Error(`installer printed no KC_HOME/JAVA_HOME: ${result.stdout}`);
  timings.push(`installer (scripts/integration/keycloak.sh, download and checksum when not cached): ${seconds(Date.now() - started)}`);

  root = mkdtempSync(join(tmpdir(), 'sm-keycloak-it-'));
  started = Date.now();
  pg = await startPostgres(join(root, 'postgres'));
  timings.push(`PostgreSQL initdb + start: ${seconds(Date.now() - started)}`);

  // The rendered init script, verbatim, twice (idempotent), with the password as a psql variable.
  const initFile = join(root, 'init-keycloak.sql');
  writeFileSync(initFile, FILES['postgres/init-keycloak.sql']);
  chmodSync(initFile, 0o644);
  const dbPassword = randomBytes(24).toString('hex');
  for (let i = 0; i < 2; i++) pg.psql(['-v', 'ON_ERROR_STOP=1', '-v', `${KEYCLOAK_PASSWORD_VARIABLE}=${dbPassword}`, '-f', initFile]);

  // A private copy of the distribution: Keycloak writes its build (lib/quarkus) and data/ into
  // its home, and the realm file goes to data/import.
  started = Date.now();
  home = join(root, 'keycloak');
  cpSync(kcHome, home, { recursive: true });
  mkdirSync(join(home, 'data', 'import'), { recursive: true });
  writeFileSync(join(home, 'data', 'import', `${KEYCLOAK_REALM}-realm.json`), FILES['keycloak/realm.json']);
  timings.push(`copy of the distribution: ${seconds(Date.now() - started)}`);

  const httpPort = await freePort();
  const managementPort = await freePort();
  httpBase = `http://127.0.0.1:${httpPort}`;
  managementBase = `http://127.0.0.1:${managementPort}`;
  overlay = { databaseHost: '127.0.0.1', ports: { KC_DB_URL_PORT: pg.port, KC_HTTP_PORT: httpPort, KC_HTTP_MANAGEMENT_PORT: managementPort } };
  const settings = overlayKeycloakSettings(parseEnvFile(FILES['keycloak/keycloak.env']), overlay);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    JAVA_HOME: javaHome,
    ...settings,
    [KEYCLOAK_SECRET_ENV.dbPassword]: dbPassword,
    [KEYCLOAK_SECRET_ENV.bootstrapAdminUsername]: admin.username,
    [KEYCLOAK_SECRET_ENV.bootstrapAdminPassword]: admin.password,
    [KEYCLOAK_SECRET_ENV.masClientSecret]: clientSecret,
  };
  logFile = join(root, 'keycloak.log');
  started = Date.now();
  keycloak = spawn(join(home, 'bin', 'kc.sh'), [...KEYCLOAK_ARGS], {
    cwd: home,
    env,
    detached: true, // its own process group: afterAll stops kc.sh and the JVM together
    stdio: ['ignore', openSync(logFile, 'a'), openSync(logFile, 'a')],
  });
  await waitForReady(keycloak);
  timings.push(`Keycloak first start (build, schema, realm import) to ready: ${seconds(Date.now() - started)}`);
}, 20 * 60_000);

afterAll(async () => {
  if (keycloak) await stopProcessGroup(keycloak, 30_000);
  pg?.stop();
  // SOVEREIGN_MATRIX_KEEP_TEST_DIRS=1 keeps the files and logs for a look afterwards.
  if (root && !process.env.SOVEREIGN_MATRIX_KEEP_TEST_DIRS) rmSync(root, { recursive: true, force: true });
  else if (root) timings.push(`kept ${root}`);
  console.log(`Keycloak integration timings:\n  ${timings.join('\n  ')}`);
}, 120_000);

describe('the overlay', () => {
  const rendered = parseEnvFile(FILES['keycloak/keycloak.env']);
  const ports = { KC_DB_URL_PORT: 1, KC_HTTP_PORT: 2, KC_HTTP_MANAGEMENT_PORT: 3 };

  test('changes only the database host and the ports', () => {
    const changed = overlayKeycloakSettings(rendered, { databaseHost: '127.0.0.1', ports });
    const diff = Object.keys(rendered).filter((k) => rendered[k] !== changed[k]);
    expect(diff.sort()).toEqual(['KC_DB_URL_HOST', 'KC_DB_URL_PORT', 'KC_HTTP_MANAGEMENT_PORT', 'KC_HTTP_PORT']);
    expect(Object.keys(changed)).toEqual(Object.keys(rendered));
  });

  test('refuses anything else', () => {
    expect(() => overlayKeycloakSettings(rendered, { databaseHost: '127.0.0.1', ports: { ...ports, KC_HOSTNAME: 4 } as never })).toThrow(/KC_HOSTNAME/);
  });
});

describe('Keycloak with the rendered realm and settings', () => {
  test('the init script made a database of its own, owned by its own role', () => {
    const row = requirePg().psql(['-At', '-c', `SELECT pg_get_userbyid(datdba), pg_encoding_to_char(encoding) FROM pg_database WHERE datname = '${KEYCLOAK_DATABASE.database}'`]);
    expect(row.trim()).toBe(`${KEYCLOAK_DATABASE.user}|UTF8`);
    const tables = requirePg().psql(['-At', '-d', KEYCLOAK_DATABASE.database, '-c', "SELECT count(*) FROM pg_tables WHERE tablename = 'realm'"]);
    expect(tables.trim()).toBe('1');
  });

  test('discovery: the issuer and endpoints are what the rendered MAS configuration expects', async () => {
    const res = await asIngress(`/realms/${KEYCLOAK_REALM}/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as any;
    expect(doc.issuer).toBe(PROVIDER.issuer);
    for (const key of ['authorization_endpoint', 'token_endpoint', 'jwks_uri', 'userinfo_endpoint', 'end_session_endpoint']) {
      expect(doc[key]).toMatch(new RegExp(`^${escape(PROVIDER.issuer)}/protocol/openid-connect/`));
    }
    expect(doc.response_types_supported).toContain('code');
    expect(doc.code_challenge_methods_supported).toContain('S256');
    expect(doc.token_endpoint_auth_methods_supported).toContain(PROVIDER.token_endpoint_auth_method);
    expect(doc.id_token_signing_alg_values_supported).toContain('RS256');
    expect(doc.scopes_supported).toEqual(expect.arrayContaining(PROVIDER.scope.split(' ')));
    expect(doc.backchannel_logout_supported).toBe(true);
    // Strict hostname: a request for another host still gets the configured issuer.
    const other = await fetch(`${httpBase}/realms/${KEYCLOAK_REALM}/.well-known/openid-configuration`, { headers: { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'evil.example.com' } });
    expect(((await other.json()) as any).issuer).toBe(PROVIDER.issuer);
  });

  test('the realm as imported: its own realm, HTTPS always, no registration, brute-force protection, the password policy', async () => {
    const realm = await adminGet(`/admin/realms/${KEYCLOAK_REALM}`);
    expect(realm).toMatchObject({
      realm: KEYCLOAK_REALM,
      enabled: true,
      sslRequired: 'all',
      registrationAllowed: false,
      bruteForceProtected: true,
      loginWithEmailAllowed: true,
      passwordPolicy: REALM.passwordPolicy,
    });
  });

  test('the MAS client as imported: exactly the rendered redirect URI, code flow only, PKCE S256, back-channel logout', async () => {
    const [client] = await adminGet(`/admin/realms/${KEYCLOAK_REALM}/clients?clientId=${KEYCLOAK_MAS_CLIENT_ID}`);
    expect(client).toBeDefined();
    expect(client.redirectUris).toEqual([`${MAS.http.public_base}upstream/callback/${PROVIDER.id}`]);
    expect(client).toMatchObject({
      publicClient: false,
      standardFlowEnabled: true,
      implicitFlowEnabled: false,
      directAccessGrantsEnabled: false,
      serviceAccountsEnabled: false,
      fullScopeAllowed: false,
    });
    expect(client.attributes['pkce.code.challenge.method']).toBe('S256');
    expect(client.attributes['backchannel.logout.url']).toBe(`${MAS.http.public_base}upstream/backchannel-logout/${PROVIDER.id}`);
    expect(client.defaultClientScopes).toEqual(expect.arrayContaining(['profile', 'email', 'basic']));
    // The ${ENV} reference in realm.json was replaced from Keycloak's environment on import.
    const secret = await adminGet(`/admin/realms/${KEYCLOAK_REALM}/clients/${client.id}/client-secret`);
    expect(secret.value).toBe(clientSecret);
  });

  test('a login as MAS performs it: code flow with PKCE, then the ID token carries the claims MAS imports', async () => {
    await createUser('alice', 'Alice', 'Example', 'alice@ministry.example.eu', 'correct horse battery staple');
    const { header, idToken } = await loginAsMas({ username: 'alice', password: 'correct horse battery staple', redirectUri: REDIRECT_URI, clientSecret });
    expect(header.alg).toBe('RS256');
    expect(idToken).toMatchObject({ iss: PROVIDER.issuer, aud: KEYCLOAK_MAS_CLIENT_ID, nonce: 'nonce-1' });
    expect(idToken.sub).toMatch(/^[0-9a-f-]{36}$/);
    // The claims MAS's claims_imports templates read (user.preferred_username, user.name, user.email).
    for (const [field, claim] of [
      ['localpart', 'preferred_username'],
      ['displayname', 'name'],
      ['email', 'email'],
    ]) {
      expect(PROVIDER.claims_imports[field].template).toBe(`{{ user.${claim} }}`);
    }
    expect(idToken.preferred_username).toBe('alice');
    expect(idToken.name).toBe('Alice Example');
    expect(idToken.email).toBe('alice@ministry.example.eu');
  });

  test('refused: a redirect URI that is not exactly the rendered one', async () => {
    for (const uri of [
      `${MAS.http.public_base}upstream/callback/${PROVIDER.id}/x`,
      `${MAS.http.public_base}upstream/callback/01ARZ3NDEKTSV4RRFFQ69G5FAV`,
      `https://evil.example.com/upstream/callback/${PROVIDER.id}`,
    ]) {
      const res = await asIngress(authorizeUrl({ redirect_uri: uri, code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' }), { redirect: 'manual' });
      expect(res.status).toBe(400);
      expect(await res.text()).toMatch(/Invalid parameter: redirect_uri/);
    }
  });

  test('refused: no PKCE, the implicit flow, the password grant', async () => {
    const redirectUri = `${MAS.http.public_base}upstream/callback/${PROVIDER.id}`;
    const noPkce = await asIngress(authorizeUrl({ redirect_uri: redirectUri }), { redirect: 'manual' });
    expect(noPkce.status).toBe(302);
    expect(new URL(noPkce.headers.get('location')!).searchParams.get('error_description')).toMatch(/code_challenge_method/);

    const implicit = await asIngress(authorizeUrl({ redirect_uri: redirectUri, response_type: 'id_token token' }), { redirect: 'manual' });
    expect(implicit.status).toBe(302);
    const location = implicit.headers.get('location')!;
    expect(location).toMatch(/error=unauthorized_client|error=unsupported_response_type/);

    const password = await asIngress(`/realms/${KEYCLOAK_REALM}/protocol/openid-connect/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${KEYCLOAK_MAS_CLIENT_ID}:${clientSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'password', username: 'alice', password: 'correct horse battery staple', scope: 'openid' }).toString(),
    });
    // Keycloak answers 400 (some versions 401) with unauthorized_client.
    expect([400, 401]).toContain(password.status);
    const refusal = (await password.json()) as any;
    expect(refusal.error).toBe('unauthorized_client');
    expect(refusal.access_token).toBeUndefined();
  });

  test('a request for another host over plain HTTP still gets only https://<sso host> URLs (strict full-URL hostname)', async () => {
    // With KC_HOSTNAME a full https URL, Keycloak builds every URL from it and treats requests as
    // HTTPS; enforcing TLS is the ingress's job (it redirects port 80). sslRequired "all" (checked
    // on the imported realm above) then guards against a later hostname without https.
    const redirectUri = `${MAS.http.public_base}upstream/callback/${PROVIDER.id}`;
    const res = await fetch(`${httpBase}${authorizeUrl({ redirect_uri: redirectUri, code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' })}`, {
      redirect: 'manual',
      headers: { 'X-Forwarded-Proto': 'http', 'X-Forwarded-Host': 'evil.example.com' },
    });
    expect(res.status).toBe(200);
    const html = await res.text();
    const action = /<form[^>]*id="kc-form-login"[^>]*action="([^"]+)"/.exec(html)?.[1];
    expect(action).toMatch(new RegExp(`^https://${escape(SSO_HOST)}/realms/${KEYCLOAK_REALM}/login-actions/`));
    expect(html).not.toMatch(/evil\.example\.com|http:\/\/127\.0\.0\.1/);
  });

  test('health and metrics answer on the management port, and not on the HTTP port', async () => {
    for (const path of [KEYCLOAK_MANAGEMENT_PATHS.live, KEYCLOAK_MANAGEMENT_PATHS.ready, KEYCLOAK_MANAGEMENT_PATHS.started]) {
      const res = await fetch(`${managementBase}${path}`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as any).status).toBe('UP');
    }
    const metrics = await fetch(`${managementBase}${KEYCLOAK_MANAGEMENT_PATHS.metrics}`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^jvm_/m);
    for (const path of Object.values(KEYCLOAK_MANAGEMENT_PATHS)) expect((await asIngress(path)).status).toBe(404);
  });

  test('the kit exposes /realms/, /resources/ and /.well-known/ only: never /admin, never the management port', async () => {
    const exposed = (path: string) => KEYCLOAK_PUBLIC_PATHS.some((prefix) => path.startsWith(prefix));
    expect(exposed('/admin/')).toBe(false);
    expect(exposed('/admin/master/console/')).toBe(false);
    expect(exposed(`/admin/realms/${KEYCLOAK_REALM}`)).toBe(false);
    expect(exposed('/')).toBe(false);
    expect(exposed(`/realms/${KEYCLOAK_REALM}/.well-known/openid-configuration`)).toBe(true);
    // What MAS and browsers need is under the exposed paths: every endpoint of the discovery document.
    const doc = await (await asIngress(`/realms/${KEYCLOAK_REALM}/.well-known/openid-configuration`)).json() as any;
    for (const key of ['authorization_endpoint', 'token_endpoint', 'jwks_uri', 'userinfo_endpoint', 'end_session_endpoint']) {
      expect(exposed(new URL(doc[key]).pathname)).toBe(true);
    }
    // The admin console does exist on the HTTP port: only the ingress keeps it unreachable.
    expect((await asIngress('/admin/master/console/')).status).toBe(200);
    expect(PORTS.keycloakManagement).not.toBe(PORTS.keycloakHttp);
  });
});

describe('reconciling the existing realm: keycloak/reconcile.sh as the realm-reconcile container runs it', () => {
  const rotatedSecret = randomBytes(24).toString('hex');
  const bob = { username: 'bob', password: 'staple battery horse correct' };
  const changedBackchannel = `${CHANGED_MAS.http.public_base}upstream/backchannel-logout/${CHANGED_PROVIDER.id}`;

  test('the changed spec moves MAS only: same issuer and Keycloak settings, another redirect URI and back-channel logout URL', () => {
    expect(CHANGED_FILES['keycloak/keycloak.env']).toBe(FILES['keycloak/keycloak.env']);
    expect(CHANGED_PROVIDER.issuer).toBe(PROVIDER.issuer);
    expect(CHANGED_REDIRECT_URI).not.toBe(REDIRECT_URI);
    expect(CHANGED_REDIRECT_URI.startsWith('https://login.ministry.example.eu/')).toBe(true);
    const client = JSON.parse(CHANGED_FILES[`keycloak/${KEYCLOAK_RECONCILE.client}`]);
    expect(client.redirectUris).toEqual([CHANGED_REDIRECT_URI]);
    expect(client.attributes['backchannel.logout.url']).toBe(changedBackchannel);
    expect(CHANGED_FILES[`keycloak/${KEYCLOAK_RECONCILE.script}`]).toBe(FILES[`keycloak/${KEYCLOAK_RECONCILE.script}`]);
  });

  test('right after the import the realm is already as rendered: the run says so and changes nothing', async () => {
    const before = await realmState();
    const run = await runReconcile('first', FILES, { clientSecret });
    expect(run).toMatchObject({ status: 0 });
    expect(run.output).toContain(`realm ${KEYCLOAK_REALM}: settings already as rendered`);
    expect(run.output).toContain(`client ${KEYCLOAK_MAS_CLIENT_ID}: already as rendered`);
    expect(run.output).toContain(`client ${KEYCLOAK_MAS_CLIENT_ID}: client scopes already as rendered`);
    expect(await realmState()).toEqual(before);
  });

  test('a changed deployment (another auth host, a rotated client secret) reaches the realm; users keep accounts and passwords', async () => {
    await createUser(bob.username, 'Bob', 'Example', 'bob@ministry.example.eu', bob.password);
    const before = await realmState();
    expect(before.users.map((u: { username: string }) => u.username)).toEqual(['alice', 'bob']);
    expect(before.client.redirectUris).toEqual([REDIRECT_URI]);
    // Drift by hand (the admin console), which the reconciliation takes back: registration on, a scope gone.
    await adminSend('PUT', `/admin/realms/${KEYCLOAK_REALM}`, { registrationAllowed: true });
    const scopes: { id: string; name: string }[] = await adminGet(`/admin/realms/${KEYCLOAK_REALM}/client-scopes`);
    const acr = scopes.find((scope) => scope.name === 'acr')!;
    await adminSend('DELETE', `/admin/realms/${KEYCLOAK_REALM}/clients/${before.client.id}/default-client-scopes/${acr.id}`);
    expect((await adminGet(`/admin/realms/${KEYCLOAK_REALM}`)).registrationAllowed).toBe(true);

    const run = await runReconcile('changed', CHANGED_FILES, { clientSecret: rotatedSecret });
    expect(run).toMatchObject({ status: 0 });
    expect(run.output).toContain(`realm ${KEYCLOAK_REALM}: settings updated`);
    expect(run.output).toContain(`client ${KEYCLOAK_MAS_CLIENT_ID}: updated (id ${before.client.id} kept)`);
    expect(run.output).toContain(`client ${KEYCLOAK_MAS_CLIENT_ID}: added default client scope acr`);
    for (const secret of [rotatedSecret, clientSecret, admin.password]) expect(run.output).not.toContain(secret);

    const after = await realmState();
    expect(after.client.id).toBe(before.client.id);
    expect(after.client.redirectUris).toEqual([CHANGED_REDIRECT_URI]);
    expect(after.client.attributes['backchannel.logout.url']).toBe(changedBackchannel);
    expect(after.client.rootUrl).toBe(CHANGED_MAS.http.public_base);
    expect(after.secret).toBe(rotatedSecret);
    expect([...after.client.defaultClientScopes].sort()).toEqual([...REALM.clients[0].defaultClientScopes].sort());
    expect(after.realm).toEqual(before.realm);
    expect(after.users).toEqual(before.users);
    expect(after.credentials).toEqual(before.credentials);

    // Discovery as before; logins with the new redirect URI and secret, for a user from before the import's
    // first test and one from just now; the old redirect URI is refused.
    const doc = await (await asIngress(`/realms/${KEYCLOAK_REALM}/.well-known/openid-configuration`)).json() as any;
    expect(doc.issuer).toBe(CHANGED_PROVIDER.issuer);
    expect(doc.authorization_endpoint).toBe(`${CHANGED_PROVIDER.issuer}/protocol/openid-connect/auth`);
    for (const user of [bob, { username: 'alice', password: 'correct horse battery staple' }]) {
      const { idToken } = await loginAsMas({ ...user, redirectUri: CHANGED_REDIRECT_URI, clientSecret: rotatedSecret });
      expect(idToken).toMatchObject({ iss: CHANGED_PROVIDER.issuer, aud: KEYCLOAK_MAS_CLIENT_ID, preferred_username: user.username });
      expect(idToken.sub).toBe(after.users.find((u: { username: string }) => u.username === user.username).id);
    }
    const old = await asIngress(authorizeUrl({ redirect_uri: REDIRECT_URI, code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' }), { redirect: 'manual' });
    expect(old.status).toBe(400);
  });

  test('a second run changes nothing and exits 0', async () => {
    const before = await realmState();
    const run = await runReconcile('again', CHANGED_FILES, { clientSecret: rotatedSecret });
    expect(run).toMatchObject({ status: 0 });
    expect(run.output).toContain(`realm ${KEYCLOAK_REALM}: settings already as rendered`);
    expect(run.output).toContain(`client ${KEYCLOAK_MAS_CLIENT_ID}: already as rendered`);
    expect(run.output).toContain(`client ${KEYCLOAK_MAS_CLIENT_ID}: client scopes already as rendered`);
    expect(await realmState()).toEqual(before);
  });

  test('a wrong administrator password: exit status 1, a clear message, nothing changed', async () => {
    const before = await realmState();
    // The files of the spec as first booted: had the run signed in, it would have changed the client back.
    const run = await runReconcile('wrong-password', FILES, { clientSecret, adminPassword: `${admin.password}-wrong` });
    expect(run.status).toBe(1);
    expect(run.output).toContain('reconcile: kcadm: Invalid user credentials [invalid_grant]');
    expect(run.output).toContain(`reconcile: FAILED: cannot sign in as ${admin.username} or read realm ${KEYCLOAK_REALM}`);
    expect(run.output).not.toContain(admin.password);
    expect(await realmState()).toEqual(before);
  });

  test('a deleted client is created again from the file; logins work with it', async () => {
    const before = await realmState();
    await adminSend('DELETE', `/admin/realms/${KEYCLOAK_REALM}/clients/${before.client.id}`);
    const run = await runReconcile('recreate', CHANGED_FILES, { clientSecret: rotatedSecret });
    expect(run).toMatchObject({ status: 0 });
    expect(run.output).toMatch(new RegExp(`client ${KEYCLOAK_MAS_CLIENT_ID}: created \\(id [0-9a-f-]{36}\\)`));
    const after = await realmState();
    expect(after.client.id).not.toBe(before.client.id);
    expect(after.client.redirectUris).toEqual([CHANGED_REDIRECT_URI]);
    expect(after.client.attributes['backchannel.logout.url']).toBe(changedBackchannel);
    expect(after.secret).toBe(rotatedSecret);
    expect([...after.client.defaultClientScopes].sort()).toEqual([...before.client.defaultClientScopes].sort());
    expect(after.users).toEqual(before.users);
    expect(after.credentials).toEqual(before.credentials);
    const { idToken } = await loginAsMas({ ...bob, redirectUri: CHANGED_REDIRECT_URI, clientSecret: rotatedSecret });
    expect(idToken.preferred_username).toBe(bob.username);
  });
});

describe('a user by hand: keycloak/create-user.sh as the documented kubectl exec runs it', () => {
  // The first administrator's Keycloak account, as the deploy summary tells the operator to make it.
  const carol = { username: 'carol', email: 'Carol.Admin@Ministry.Example.eu', newPassword: 'a new passphrase for carol 7' };
  let temporary = '';
  // MAS's redirect URI and client secret as the realm has them now (the reconciliation tests above change them).
  const mas = async () => {
    const { client, secret } = await realmState();
    return { redirectUri: client.redirectUris[0] as string, clientSecret: secret as string };
  };

  test('creates an enabled user with the verified e-mail and a temporary password, printed once and nothing else secret', async () => {
    const before = await realmState();
    const run = await runCreateUser('carol', [carol.username, carol.email]);
    expect(run).toMatchObject({ status: 0 });
    const printed = /^create-user: temporary password, shown only now: (\S+)$/m.exec(run.output);
    expect(printed).not.toBeNull();
    temporary = printed![1];
    expect(temporary).toMatch(/^[a-z2-9]{5}(-[a-z2-9]{5}){3}$/);
    expect(run.output.split(temporary)).toHaveLength(2);
    for (const secret of [admin.password, clientSecret]) expect(run.output).not.toContain(secret);
    expect(run.output).toContain(`create-user: created user carol in realm ${KEYCLOAK_REALM}: enabled, e-mail carol.admin@ministry.example.eu (verified)`);
    expect(run.output).toContain('mas-cli manage promote-admin carol');

    const users = await adminGet(`/admin/realms/${KEYCLOAK_REALM}/users?username=carol&exact=true&briefRepresentation=false`);
    expect(users).toHaveLength(1);
    expect(users[0]).toMatchObject({ username: 'carol', email: carol.email.toLowerCase(), emailVerified: true, enabled: true });
    expect(users[0].requiredActions).toContain('UPDATE_PASSWORD');
    const credentials = await adminGet(`/admin/realms/${KEYCLOAK_REALM}/users/${users[0].id}/credentials`);
    expect(credentials.map((c: { type: string }) => c.type)).toEqual(['password']);
    // Nothing else changed: the realm, the client, the other users.
    const after = await realmState();
    expect(after.realm).toEqual(before.realm);
    expect(after.client).toEqual(before.client);
    expect(after.users.filter((u: { username: string }) => u.username !== 'carol')).toEqual(before.users);
  });

  test('the temporary password reaches Keycloak\u2019s update-password form; after a new password (and the name Keycloak\u2019s user profile asks for) the login completes', async () => {
    expect(temporary).not.toBe('');
    const { idToken, requiredActions } = await loginAsMas({
      username: carol.username,
      password: temporary,
      ...(await mas()),
      newPassword: carol.newPassword,
      profile: { firstName: 'Carol', lastName: 'Admin' },
    });
    // First the update-password form, with Keycloak's notice, not an error; then the profile form
    // (Keycloak 26's default user profile requires first and last name, which an account made with
    // only a username and an e-mail does not have yet), then back to MAS with a code.
    expect(requiredActions.map(({ execution, status, form }) => ({ execution, status, form }))).toEqual([
      { execution: 'UPDATE_PASSWORD', status: 200, form: 'kc-passwd-update-form' },
      { execution: 'VERIFY_PROFILE', status: 200, form: 'kc-update-profile-form' },
    ]);
    expect(requiredActions[0].alert).toEqual({ type: 'warning', text: 'You need to change your password to activate your account.' });
    expect(idToken).toMatchObject({ iss: PROVIDER.issuer, aud: KEYCLOAK_MAS_CLIENT_ID, preferred_username: 'carol', email: carol.email.toLowerCase(), name: 'Carol Admin' });
    // What MAS makes of it: the localpart from preferred_username.
    expect(PROVIDER.claims_imports.localpart.template).toBe('{{ user.preferred_username }}');

    const [user] = await adminGet(`/admin/realms/${KEYCLOAK_REALM}/users?username=carol&exact=true&briefRepresentation=false`);
    expect(user.requiredActions).toEqual([]);
    // The new password logs in straight away; the temporary one no longer does.
    const again = await loginAsMas({ username: carol.username, password: carol.newPassword, ...(await mas()) });
    expect(again.requiredActions).toEqual([]);
    expect(again.idToken.preferred_username).toBe('carol');
    await expect(loginAsMas({ username: carol.username, password: temporary, ...(await mas()) })).rejects.toThrow(
      /"form":"kc-form-login".*Invalid username or password/,
    );
  });

  test('a second run for the same user: exit 1, one clear line, the user and its password unchanged', async () => {
    const before = await realmState();
    const run = await runCreateUser('carol-again', [carol.username, 'someone.else@ministry.example.eu']);
    expect(run.status).toBe(1);
    expect(run.output).toBe(`create-user: FAILED: user carol already exists in realm ${KEYCLOAK_REALM}; nothing changed\n`);
    const after = await realmState();
    expect(after.users).toEqual(before.users);
    expect(after.credentials).toEqual(before.credentials);
  });

  test('an e-mail address another user has: exit 1, one clear line, nothing created', async () => {
    const before = await realmState();
    const run = await runCreateUser('same-email', ['carol2', carol.email]);
    expect(run.status).toBe(1);
    expect(run.output).toBe(`create-user: FAILED: another user of realm ${KEYCLOAK_REALM} has the e-mail address ${carol.email.toLowerCase()}; nothing changed\n`);
    expect((await realmState()).users).toEqual(before.users);
  });

  test('a bad username is refused before any call to Keycloak; Keycloak itself refuses what the script refuses for its sake', async () => {
    const before = await realmState();
    for (const [i, username] of ['Carol', 'a=b', 'a/b', 'ab', '_carol', '1234', 'car\u00f6l'].entries()) {
      // KCADM: a stand-in that only notes it was called.
      const run = await runCreateUser(`bad-${i}`, [username, 'x@ministry.example.eu'], { recordKcadm: true });
      expect({ username, status: run.status, kcadmCalled: run.kcadmCalled }).toEqual({ username, status: 2, kcadmCalled: false });
      expect(run.output).toMatch(/^create-user: FAILED: username '[^\n]*\n$/);
    }
    expect((await realmState()).users).toEqual(before.users);
    // '=' and '/' are Matrix localpart characters, and fewer than 3 characters are a localpart, but Keycloak takes none of them.
    for (const username of ['a=b', 'a/b', 'ab']) {
      const res = await asIngress(`/admin/realms/${KEYCLOAK_REALM}/users`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await adminBearer()}`, 'content-type': 'application/json' },
        body: JSON.stringify({ username, enabled: true }),
      });
      expect({ username, status: res.status, body: await res.text() }).toEqual({ username, status: 400, body: expect.stringMatching(/error-username-invalid-character|error-invalid-length/) });
    }
  });

  test('a wrong administrator password: exit 1, one clear line, the admin password never printed, nothing created', async () => {
    const before = await realmState();
    const run = await runCreateUser('wrong-password', ['dave', 'dave@ministry.example.eu'], { adminPassword: `${admin.password}-wrong` });
    expect(run.status).toBe(1);
    expect(run.output).toBe(
      `create-user: FAILED: cannot sign in to Keycloak as ${admin.username} (realm master): Invalid user credentials [invalid_grant]; the password in the Secret keycloak-admin is not the administrator's, or that administrator was deleted\n`,
    );
    expect(run.output).not.toContain(admin.password);
    expect((await realmState()).users).toEqual(before.users);
  });
});

// ------------------------------------------------------------------------------------------------

/** The documented overlay of keycloak.env: database host and ports only; anything else throws. */
function overlayKeycloakSettings(
  rendered: Readonly<Record<string, string>>,
  overlay: { databaseHost: string; ports: Readonly<Record<'KC_DB_URL_PORT' | 'KC_HTTP_PORT' | 'KC_HTTP_MANAGEMENT_PORT', number>> },
): Record<string, string> {
  const allowed = new Set(['KC_DB_URL_PORT', 'KC_HTTP_PORT', 'KC_HTTP_MANAGEMENT_PORT']);
  for (const key of Object.keys(overlay.ports)) if (!allowed.has(key)) throw new Error(`overlay: ${key} is not a port setting`);
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(rendered)) {
    if (key === 'KC_DB_URL_HOST') result[key] = overlay.databaseHost;
    else if (allowed.has(key)) result[key] = String(overlay.ports[key as keyof typeof overlay.ports]);
    else result[key] = value;
  }
  for (const key of Object.keys(result)) {
    if (result[key] !== rendered[key] && key !== 'KC_DB_URL_HOST' && !allowed.has(key)) throw new Error(`overlay changed ${key}`);
  }
  return result;
}

function parseEnvFile(text: string): Record<string, string> {
  const lines = text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
  return Object.fromEntries(
    lines.map((l) => {
      const i = l.indexOf('=');
      if (i <= 0) throw new Error(`not KEY=value: ${l}`);
      return [l.slice(0, i), l.slice(i + 1)];
    }),
  );
}

/**
 * keycloak/reconcile.sh of `files`, verbatim with its two files, in a directory of its own with the
 * overlaid keycloak.env, run with bash as the container runs it; stdout and stderr in one text.
 */
async function runReconcile(
  name: string,
  files: Readonly<Record<string, string>>,
  secrets: { clientSecret: string; adminPassword?: string },
): Promise<{ status: number | null; output: string }> {
  if (!overlay) throw new Error('Keycloak did not start (see beforeAll)');
  const dir = join(root, `reconcile-${name}`);
  mkdirSync(dir, { recursive: true });
  for (const file of [KEYCLOAK_RECONCILE.script, KEYCLOAK_RECONCILE.realmSettings, KEYCLOAK_RECONCILE.client]) {
    writeFileSync(join(dir, file), files[`keycloak/${file}`]);
  }
  writeFileSync(join(dir, 'keycloak.env'), keycloakEnvFile(overlayKeycloakSettings(parseEnvFile(files['keycloak/keycloak.env']), overlay)));
  const started = Date.now();
  const child = spawn('bash', [join(dir, KEYCLOAK_RECONCILE.script)], {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      JAVA_HOME: javaHome,
      KCADM: join(home, 'bin', 'kcadm.sh'),
      [KEYCLOAK_SECRET_ENV.bootstrapAdminUsername]: admin.username,
      [KEYCLOAK_SECRET_ENV.bootstrapAdminPassword]: secrets.adminPassword ?? admin.password,
      [KEYCLOAK_SECRET_ENV.masClientSecret]: secrets.clientSecret,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: Buffer[] = [];
  child.stdout!.on('data', (chunk: Buffer) => chunks.push(chunk));
  child.stderr!.on('data', (chunk: Buffer) => chunks.push(chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 10 * 60_000);
  const status = await new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  clearTimeout(timer);
  const output = Buffer.concat(chunks).toString('utf8');
  timings.push(`reconcile.sh (${name}): ${seconds(Date.now() - started)}, exit ${status}`);
  writeFileSync(join(dir, 'output.log'), output);
  return { status, output };
}

/**
 * keycloak/create-user.sh of the booted spec, verbatim, run with bash as the documented
 * `kubectl exec ... -c realm-reconcile -- bash /config/create-user.sh` runs it: in a directory of
 * its own with the overlaid keycloak.env (the same overlay as reconcile.sh's), KCADM the
 * distribution's bin/kcadm.sh, and the container's environment (the bootstrap administrator and
 * the MAS client secret). `recordKcadm` puts a stand-in at KCADM that only notes it was called.
 */
async function runCreateUser(
  name: string,
  args: string[],
  opts: { adminPassword?: string; recordKcadm?: boolean } = {},
): Promise<{ status: number | null; output: string; kcadmCalled: boolean }> {
  if (!overlay) throw new Error('Keycloak did not start (see beforeAll)');
  const dir = join(root, `create-user-${name}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, KEYCLOAK_CREATE_USER.script), FILES[`keycloak/${KEYCLOAK_CREATE_USER.script}`]);
  writeFileSync(join(dir, 'keycloak.env'), keycloakEnvFile(overlayKeycloakSettings(parseEnvFile(FILES['keycloak/keycloak.env']), overlay)));
  let kcadm = join(home, 'bin', 'kcadm.sh');
  const marker = join(dir, 'kcadm-called');
  if (opts.recordKcadm) {
    kcadm = join(dir, 'record-kcadm.sh');
    writeFileSync(kcadm, `#!/bin/bash\ntouch '${marker}'\nexit 1\n`);
    chmodSync(kcadm, 0o755);
  }
  const started = Date.now();
  const child = spawn('bash', [join(dir, KEYCLOAK_CREATE_USER.script), ...args], {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      JAVA_HOME: javaHome,
      KCADM: kcadm,
      [KEYCLOAK_SECRET_ENV.bootstrapAdminUsername]: admin.username,
      [KEYCLOAK_SECRET_ENV.bootstrapAdminPassword]: opts.adminPassword ?? admin.password,
      [KEYCLOAK_SECRET_ENV.masClientSecret]: clientSecret,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: Buffer[] = [];
  child.stdout!.on('data', (chunk: Buffer) => chunks.push(chunk));
  child.stderr!.on('data', (chunk: Buffer) => chunks.push(chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 5 * 60_000);
  const status = await new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  clearTimeout(timer);
  const output = Buffer.concat(chunks).toString('utf8');
  timings.push(`create-user.sh (${name}): ${seconds(Date.now() - started)}, exit ${status}`);
  writeFileSync(join(dir, 'output.log'), output);
  return { status, output, kcadmCalled: existsSync(marker) };
}

/** What the reconciliation may change and what it must keep: realm, client (with its secret), users, credentials. */
async function realmState() {
  const realm = await adminGet(`/admin/realms/${KEYCLOAK_REALM}`);
  const clients = await adminGet(`/admin/realms/${KEYCLOAK_REALM}/clients?clientId=${KEYCLOAK_MAS_CLIENT_ID}`);
  expect(clients).toHaveLength(1);
  const client = clients[0];
  const secret = (await adminGet(`/admin/realms/${KEYCLOAK_REALM}/clients/${client.id}/client-secret`)).value;
  const users = (await adminGet(`/admin/realms/${KEYCLOAK_REALM}/users?briefRepresentation=false`)).sort((a: { username: string }, b: { username: string }) => a.username.localeCompare(b.username));
  const credentials: Record<string, unknown> = {};
  for (const user of users) credentials[user.username] = await adminGet(`/admin/realms/${KEYCLOAK_REALM}/users/${user.id}/credentials`);
  return { realm, client, secret, users, credentials };
}

/**
 * An authorization-code login with PKCE S256 as MAS performs it, through Keycloak's login form:
 * the code comes back to `redirectUri`, and MAS's token request (client secret in HTTP Basic)
 * returns an ID token; its header and claims are returned.
 *
 * Keycloak may ask for required actions between the login form and the redirect back. Each one's
 * form is filled in as a person would, when the caller provides what it asks for: a new password
 * (UPDATE_PASSWORD: `newPassword`), or first and last name (VERIFY_PROFILE: `profile`); any other
 * form, or one the caller gave nothing for, fails the login. `requiredActions` lists them in order
 * (each as its `execution` parameter), with the page each came on, for the caller to check.
 */
async function loginAsMas(opts: {
  username: string;
  password: string;
  redirectUri: string;
  clientSecret: string;
  newPassword?: string;
  profile?: { firstName: string; lastName: string };
}) {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const authorize = authorizeUrl({ redirect_uri: opts.redirectUri, code_challenge: challenge, code_challenge_method: 'S256' });
  // The browser's cookie jar for the sso host: Keycloak's authentication session lives in it.
  const jar = new Map<string, string>();
  const keep = (res: Response) => {
    for (const cookie of res.headers.getSetCookie()) {
      const pair = cookie.split(';')[0];
      jar.set(pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1));
    }
    return res;
  };
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const local = (url: string) => {
    const u = new URL(url.replace(/&amp;/g, '&'));
    expect(u.origin).toBe(`https://${SSO_HOST}`);
    return u.pathname + u.search;
  };
  const post = async (action: string, form: Record<string, string>) =>
    keep(
      await asIngress(local(action), {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookie() },
        body: new URLSearchParams(form).toString(),
      }),
    );

  const page = keep(await asIngress(authorize, { redirect: 'manual' }));
  expect(page.status).toBe(200);
  const html = await page.text();
  const action = /<form[^>]*id="kc-form-login"[^>]*action="([^"]+)"/.exec(html)?.[1]?.replace(/&amp;/g, '&');
  expect(action).toMatch(new RegExp(`^https://${escape(SSO_HOST)}/realms/${KEYCLOAK_REALM}/login-actions/authenticate`));
  let res = await post(action!, { username: opts.username, password: opts.password, credentialId: '' });

  const requiredActions: { execution: string; status: number; form: string; alert?: { type: string; text: string }; messages: string[] }[] = [];
  for (;;) {
    // A redirect to another page of Keycloak's (a required action) is followed; one to MAS ends the login.
    if (res.status === 302) {
      const location = res.headers.get('location')!;
      if (location.startsWith(opts.redirectUri)) break;
      res = keep(await asIngress(local(location), { redirect: 'manual', headers: { cookie: cookie() } }));
      continue;
    }
    const body = await res.text();
    const [, form, target] = /<form[^>]*id="([^"]+)"[^>]*action="([^"]+)"/.exec(body) ?? [];
    const execution = target ? (new URL(target.replace(/&amp;/g, '&')).searchParams.get('execution') ?? '') : '';
    // The page's message (Keycloak's alert above the form): its type (warning, info, error, ...) and text.
    const message = /<div class="pf-v5-c-alert [^"]*pf-m-(\w+)">[\s\S]*?kc-feedback-text">([^<]*)</.exec(body);
    const alert = message ? { type: message[1], text: message[2].trim() } : undefined;
    // Every message on the page, the alert's and those at the fields (such as a refused login's).
    const messages = [...body.matchAll(/(?:id="input-error[^"]*"|kc-feedback-text")[^>]*>([^<]*)</g)].map((m) => m[1].trim()).filter(Boolean);
    requiredActions.push({ execution, status: res.status, form: form ?? '', ...(alert ? { alert } : {}), messages });
    if (requiredActions.length > 5) throw new Error(`login of ${opts.username}: more than 5 forms after the login: ${JSON.stringify(requiredActions)}`);
    if (alert && /danger|error/.test(alert.type)) throw new Error(`login of ${opts.username}: Keycloak showed an error: ${JSON.stringify(requiredActions)}`);
    if (form === 'kc-passwd-update-form' && opts.newPassword) {
      res = await post(target!, { 'password-new': opts.newPassword, 'password-confirm': opts.newPassword });
    } else if (form === 'kc-update-profile-form' && opts.profile) {
      // The e-mail field is pre-filled with the stored address; a browser sends it back as it is.
      const email = /<input[^>]*name="email"[^>]*value="([^"]*)"/.exec(body)?.[1] ?? /<input[^>]*value="([^"]*)"[^>]*name="email"/.exec(body)?.[1] ?? '';
      res = await post(target!, { email, ...opts.profile });
    } else {
      throw new Error(`login of ${opts.username}: HTTP ${res.status} with form ${form ?? '(none)'} and nothing to fill it with: ${JSON.stringify(requiredActions)}`);
    }
  }
  const back = new URL(res.headers.get('location')!);
  expect(`${back.origin}${back.pathname}`).toBe(opts.redirectUri);
  expect(back.searchParams.get('error')).toBeNull();
  expect(back.searchParams.get('state')).toBe('state-1');
  const code = back.searchParams.get('code');
  expect(code).toBeTruthy();

  const token = await asIngress(`/realms/${KEYCLOAK_REALM}/protocol/openid-connect/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(KEYCLOAK_MAS_CLIENT_ID)}:${encodeURIComponent(opts.clientSecret)}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'authorization_code', code: code!, redirect_uri: opts.redirectUri, code_verifier: verifier }).toString(),
  });
  const tokens = (await token.json()) as any;
  expect(token.status).toBe(200);
  const idToken = JSON.parse(Buffer.from(tokens.id_token.split('.')[1], 'base64url').toString('utf8'));
  const header = JSON.parse(Buffer.from(tokens.id_token.split('.')[0], 'base64url').toString('utf8'));
  return { header, idToken, requiredActions };
}

function authorizeUrl(params: Record<string, string>): string {
  const query = new URLSearchParams({
    client_id: KEYCLOAK_MAS_CLIENT_ID,
    response_type: 'code',
    scope: PROVIDER.scope,
    state: 'state-1',
    nonce: 'nonce-1',
    ...params,
  });
  return `/realms/${KEYCLOAK_REALM}/protocol/openid-connect/auth?${query}`;
}

/** A request as the ingress forwards it: plain HTTP to Keycloak, TLS and the host in X-Forwarded-*. */
function asIngress(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${httpBase}${path}`, {
    ...init,
    headers: { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': SSO_HOST, 'X-Forwarded-Port': '443', ...(init.headers as Record<string, string>) },
    signal: AbortSignal.timeout(60_000),
  });
}

let adminToken: { value: string; expires: number } | undefined;

/** The bootstrap administrator's token (master realm, admin-cli), cluster-internal use only. */
async function adminBearer(): Promise<string> {
  if (adminToken && adminToken.expires > Date.now()) return adminToken.value;
  const res = await asIngress('/realms/master/protocol/openid-connect/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', client_id: 'admin-cli', username: admin.username, password: admin.password }).toString(),
  });
  const body = (await res.json()) as any;
  if (res.status !== 200) throw new Error(`admin token: ${res.status} ${JSON.stringify(body)}`);
  adminToken = { value: body.access_token, expires: Date.now() + (body.expires_in - 10) * 1000 };
  return adminToken.value;
}

async function adminGet(path: string): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await asIngress(path, { headers: { authorization: `Bearer ${await adminBearer()}` } });
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

async function adminSend(method: 'PUT' | 'DELETE', path: string, body?: unknown): Promise<void> {
  const res = await asIngress(path, {
    method,
    headers: { authorization: `Bearer ${await adminBearer()}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status !== 204) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
}

async function createUser(username: string, firstName: string, lastName: string, email: string, password: string): Promise<void> {
  const res = await asIngress(`/admin/realms/${KEYCLOAK_REALM}/users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await adminBearer()}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      username,
      firstName,
      lastName,
      email,
      emailVerified: true,
      enabled: true,
      credentials: [{ type: 'password', value: password, temporary: false }],
    }),
  });
  if (res.status !== 201) throw new Error(`create user: ${res.status} ${await res.text()}`);
}

async function waitForReady(child: ChildProcess): Promise<void> {
  const deadline = Date.now() + BOOT_TIMEOUT_MS;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`Keycloak exited (${child.exitCode ?? child.signalCode}) before it was ready. Log tail:\n${tail(logFile)}`);
    }
    try {
      const res = await fetch(`${managementBase}${KEYCLOAK_MANAGEMENT_PATHS.ready}`, { signal: AbortSignal.timeout(5_000) });
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(1_000);
  }
  throw new Error(`Keycloak was not ready within ${BOOT_TIMEOUT_MS / 1000} s (last: ${last}). Log tail:\n${tail(logFile)}`);
}



function requirePg(): Postgres {
  if (!pg) throw new Error('PostgreSQL did not start (see beforeAll)');
  return pg;
}






function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
