import type { DeploymentSpec } from '../config/spec';
import { PORTS } from '../ports';
import type { RenderedFile } from './files';
import { KEYCLOAK_MAS_CLIENT_ID, KEYCLOAK_REALM, masUpstreamProvider, masUrls } from './mas';
import { deepMerge } from './merge';
import { renderTemplate } from './template-files';
import { SYNAPSE_UPSTREAMS } from './synapse';
import { prettyJson } from './well-known';

/**
 * The bundled Keycloak (identity mode `keycloak` only): its realm, imported at first start and
 * reconciled after every later start, and its server settings. Keycloak is the directory; Matrix
 * Authentication Service is its only client.
 */

/** The database role and database Keycloak uses (postgres/init-keycloak.sql creates both). */
export const KEYCLOAK_DATABASE = { user: 'keycloak', database: 'keycloak' } as const;

/**
 * Where the realm file goes in the Keycloak container: `start --import-realm` imports every
 * `.json` file of the import directory, once, when the realm does not exist yet. Keycloak skips
 * realms it already has; KEYCLOAK_RECONCILE brings an existing realm up to date instead.
 */
export const KEYCLOAK_PATHS = {
  importDir: '/opt/keycloak/data/import',
  realmFile: `/opt/keycloak/data/import/${KEYCLOAK_REALM}-realm.json`,
} as const;

/** Arguments to the image's entrypoint (kc.sh). */
export const KEYCLOAK_ARGS = ['start', '--import-realm'] as const;

/**
 * Environment variables the Keycloak container gets from Kubernetes Secrets (never rendered):
 *
 * - dbPassword: the `keycloak` role's password (the init script gets the same value);
 * - bootstrapAdminUsername/Password: a temporary administrator in the master realm, created on
 *   the first start only; the reconciliation (KEYCLOAK_RECONCILE) signs in as it after every start;
 * - masClientSecret: the MAS client's secret; realm.json refers to it as `${NAME}`, which
 *   Keycloak substitutes from its environment while importing (reconcile.sh does the same for
 *   reconcile-client.json). MAS gets the same value in MAS_SECRET_FILES.upstreamClientSecret.
 */
export const KEYCLOAK_SECRET_ENV = {
  dbPassword: 'KC_DB_PASSWORD',
  bootstrapAdminUsername: 'KC_BOOTSTRAP_ADMIN_USERNAME',
  bootstrapAdminPassword: 'KC_BOOTSTRAP_ADMIN_PASSWORD',
  masClientSecret: 'MATRIX_MAS_CLIENT_SECRET',
} as const;

/**
 * The only paths the ingress may route to Keycloak's HTTP port (PORTS.keycloakHttp), as path
 * prefixes. Never /admin (the admin console and REST API), never / as a whole, and never the
 * management port (PORTS.keycloakManagement: health and metrics).
 */
export const KEYCLOAK_PUBLIC_PATHS = ['/realms/', '/resources/', '/.well-known/'] as const;

/** Served on the management port only (cluster-internal probes and scraping). */
export const KEYCLOAK_MANAGEMENT_PATHS = {
  live: '/health/live',
  ready: '/health/ready',
  started: '/health/started',
  metrics: '/metrics',
} as const;

/** The issuer MAS expects: Keycloak's realm URL on the sso host. */
export function keycloakIssuer(spec: DeploymentSpec): string {
  return `https://${spec.hostnames.sso}/realms/${KEYCLOAK_REALM}`;
}

/**
 * Keycloak's own settings (environment variables). Secrets are not among them: see
 * KEYCLOAK_SECRET_ENV.
 */
export function keycloakSettings(spec: DeploymentSpec): Record<string, string> {
  return {
    KC_DB: 'postgres',
    KC_DB_URL_HOST: SYNAPSE_UPSTREAMS.postgres,
    KC_DB_URL_PORT: String(PORTS.postgres),
    KC_DB_URL_DATABASE: KEYCLOAK_DATABASE.database,
    KC_DB_USERNAME: KEYCLOAK_DATABASE.user,
    // Keycloak 26: the full public URL; every URL it issues (issuer, endpoints) starts with it.
    KC_HOSTNAME: `https://${spec.hostnames.sso}`,
    KC_HOSTNAME_STRICT: 'true',
    // TLS ends at the ingress, which sets X-Forwarded-*; plain HTTP inside the cluster.
    KC_PROXY_HEADERS: 'xforwarded',
    KC_HTTP_ENABLED: 'true',
    KC_HTTP_PORT: String(PORTS.keycloakHttp),
    // Health and metrics on the management port, which no ingress route reaches.
    KC_HEALTH_ENABLED: 'true',
    KC_METRICS_ENABLED: 'true',
    KC_HTTP_MANAGEMENT_PORT: String(PORTS.keycloakManagement),
    // One replica: no cluster discovery.
    KC_CACHE: 'local',
  };
}

/**
 * The realm: one confidential OpenID Connect client for MAS (authorization code flow with PKCE
 * S256 only, exact redirect URI, back-channel logout), HTTPS for every request, no self-service
 * registration, brute-force protection and a length-based password policy. `extra.keycloak` is
 * merged last.
 */
export function keycloakRealm(spec: DeploymentSpec): Record<string, unknown> {
  const provider = masUpstreamProvider(spec);
  if (!provider || spec.identity.mode !== 'keycloak') throw new Error('keycloakRealm: identity mode is not keycloak');
  const mas = masUrls(spec);
  const base: Record<string, unknown> = {
    realm: KEYCLOAK_REALM,
    enabled: true,
    displayName: spec.serverName,
    sslRequired: 'all',
    registrationAllowed: false,
    registrationEmailAsUsername: false,
    loginWithEmailAllowed: true,
    duplicateEmailsAllowed: false,
    // No e-mail transport: no reset mails, no verification mails.
    resetPasswordAllowed: false,
    verifyEmail: false,
    rememberMe: false,
    // The username becomes the Matrix localpart, which never changes.
    editUsernameAllowed: false,
    bruteForceProtected: true,
    permanentLockout: false,
    failureFactor: 5,
    waitIncrementSeconds: 60,
    minimumQuickLoginWaitSeconds: 60,
    quickLoginCheckMilliSeconds: 1000,
    maxFailureWaitSeconds: 900,
    maxDeltaTimeSeconds: 43200,
    // Length over composition rules (NIST SP 800-63B, BSI IT-Grundschutz ORP.4).
    passwordPolicy: 'length(12) and maxLength(128) and notUsername and notEmail and passwordHistory(5)',
    revokeRefreshToken: true,
    refreshTokenMaxReuse: 0,
    eventsEnabled: true,
    eventsExpiration: 90 * 24 * 3600,
    adminEventsEnabled: true,
    adminEventsDetailsEnabled: false,
    clients: [
      {
        clientId: KEYCLOAK_MAS_CLIENT_ID,
        name: 'Matrix Authentication Service',
        enabled: true,
        protocol: 'openid-connect',
        publicClient: false,
        clientAuthenticatorType: 'client-secret',
        secret: `\${${KEYCLOAK_SECRET_ENV.masClientSecret}}`,
        rootUrl: mas.publicBase,
        baseUrl: mas.publicBase,
        redirectUris: [provider.redirectUri],
        webOrigins: [],
        standardFlowEnabled: true,
        implicitFlowEnabled: false,
        directAccessGrantsEnabled: false,
        serviceAccountsEnabled: false,
        authorizationServicesEnabled: false,
        consentRequired: false,
        frontchannelLogout: false,
        fullScopeAllowed: false,
        defaultClientScopes: ['basic', 'profile', 'email', 'acr'],
        optionalClientScopes: [],
        attributes: {
          'pkce.code.challenge.method': 'S256',
          'id.token.signed.response.alg': 'RS256',
          'backchannel.logout.url': provider.backchannelLogoutUri,
          'backchannel.logout.session.required': 'true',
          'backchannel.logout.revoke.offline.tokens': 'false',
          'oauth2.device.authorization.grant.enabled': 'false',
          'oidc.ciba.grant.enabled': 'false',
        },
      },
    ],
  };
  return deepMerge(base, spec.extra.keycloak);
}

/**
 * The reconciliation of an existing realm. Keycloak imports realm.json only while the realm does
 * not exist, so a later change (another hostnames.auth moves MAS's redirect URI and back-channel
 * logout URL; a rotated client secret) would never reach it. keycloak/reconcile.sh applies the
 * kit-managed parts of the realm through Keycloak's admin CLI (kcadm.sh, in the image), run by a
 * second container of the Keycloak pod after each start:
 *
 * - realmSettings: keycloakRealmSettings(spec), PUT to the realm (settings it does not name keep
 *   their values);
 * - client: the MAS client exactly as in realm.json (the secret as the same `${NAME}` reference,
 *   which the script replaces from its environment as Keycloak does on import), updated in place
 *   so its internal id and sessions stay, created when missing, its client scopes set to the
 *   file's.
 *
 * Users and credentials are never part of it. Keycloak's partial import was tried and rejected:
 * its OVERWRITE deletes the client and creates it anew (a new internal id every run, the client's
 * sessions dropped), and it stores `${NAME}` literally as the secret.
 */
export const KEYCLOAK_RECONCILE = {
  script: 'reconcile.sh',
  realmSettings: 'reconcile-realm.json',
  client: 'reconcile-client.json',
  /** The admin CLI in the image (the distribution zip has it at bin/kcadm.sh as well). */
  kcadm: '/opt/keycloak/bin/kcadm.sh',
} as const;

/**
 * Parts of a realm representation that are resources of their own rather than settings. The
 * reconciliation's realm PUT leaves them out: users are never touched, the client is reconciled
 * on its own, and anything else of this kind (from extra.keycloak) is imported at first start only.
 */
export const KEYCLOAK_REALM_RESOURCES = [
  'id',
  'users',
  'federatedUsers',
  'clients',
  'clientScopes',
  'defaultDefaultClientScopes',
  'defaultOptionalClientScopes',
  'scopeMappings',
  'clientScopeMappings',
  'roles',
  'defaultRole',
  'defaultRoles',
  'groups',
  'defaultGroups',
  'identityProviders',
  'identityProviderMappers',
  'protocolMappers',
  'components',
  'authenticationFlows',
  'authenticatorConfig',
  'requiredActions',
  'organizations',
] as const;

/** The realm's own settings: keycloakRealm(spec) without KEYCLOAK_REALM_RESOURCES. */
export function keycloakRealmSettings(spec: DeploymentSpec): Record<string, unknown> {
  const skip = new Set<string>(KEYCLOAK_REALM_RESOURCES);
  return Object.fromEntries(Object.entries(keycloakRealm(spec)).filter(([key]) => !skip.has(key)));
}

/** The MAS client, exactly as realm.json has it. */
export function keycloakMasClient(spec: DeploymentSpec): Record<string, unknown> {
  const clients = keycloakRealm(spec).clients as Record<string, unknown>[];
  const client = clients.find((c) => c.clientId === KEYCLOAK_MAS_CLIENT_ID);
  if (!client) throw new Error(`keycloakMasClient: the realm has no client ${KEYCLOAK_MAS_CLIENT_ID}`);
  return client;
}

/**
 * Lines both Keycloak scripts run the same way, written once in templates/keycloak/shared/:
 * script-dir.sh (the directory of the running script, where keycloak.env is) and kcadm-session.sh
 * (the bootstrap administrator's password and a small JVM for kcadm.sh). Each fills a placeholder
 * on a line of its own, so the block's last newline is left to the including template.
 */
function sharedBlock(file: string, values: Readonly<Record<string, string>> = {}): string {
  return renderTemplate(`keycloak/shared/${file}`, values).replace(/\n$/, '');
}

/** keycloak/reconcile.sh (templates/keycloak/reconcile.sh): see KEYCLOAK_RECONCILE. Needs bash and coreutils (sleep, timeout). */
export function keycloakReconcileScript(spec: DeploymentSpec): string {
  const client = keycloakMasClient(spec) as { defaultClientScopes?: string[]; optionalClientScopes?: string[] };
  const env = KEYCLOAK_SECRET_ENV;
  const placeholder = `\${${env.masClientSecret}}`;
  const word = (value: string): string => {
    if (!/^[A-Za-z0-9_.:-]+$/.test(value)) throw new Error(`keycloak reconcile.sh: ${JSON.stringify(value)} is not a plain shell word`);
    return value;
  };
  const words = (values: readonly string[] = []): string => values.map(word).join(' ');
  return renderTemplate(`keycloak/${KEYCLOAK_RECONCILE.script}`, {
    REALM_SETTINGS_FILE: KEYCLOAK_RECONCILE.realmSettings,
    CLIENT_FILE: KEYCLOAK_RECONCILE.client,
    ADMIN_USERNAME_ENV: env.bootstrapAdminUsername,
    ADMIN_PASSWORD_ENV: env.bootstrapAdminPassword,
    CLIENT_SECRET_ENV: env.masClientSecret,
    CLIENT_SECRET_REFERENCE: placeholder,
    REALM: word(KEYCLOAK_REALM),
    CLIENT_ID: word(KEYCLOAK_MAS_CLIENT_ID),
    DEFAULT_SCOPES: words(client.defaultClientScopes),
    OPTIONAL_SCOPES: words(client.optionalClientScopes),
    READY_PATH: KEYCLOAK_MANAGEMENT_PATHS.ready,
    KCADM_PATH: KEYCLOAK_RECONCILE.kcadm,
    SCRIPT_DIR: sharedBlock('script-dir.sh'),
    KCADM_SESSION: sharedBlock('kcadm-session.sh', { ADMIN_PASSWORD_ENV: env.bootstrapAdminPassword }),
  });
}

/**
 * keycloak/create-user.sh: the first administrator's account (or any other) in the realm, by hand,
 * after deploy. MAS creates the Matrix account itself at the person's first login through Keycloak
 * (localpart = Keycloak username, see masUpstreamProvider's claims imports); `mas-cli manage
 * promote-admin` then makes it an administrator. The script lands in the keycloak ConfigMap, which
 * both containers of the Keycloak pod mount at `configDir`; it is run in `container`, whose
 * environment has the bootstrap administrator (KEYCLOAK_SECRET_ENV) and whose root filesystem is
 * read-only (kcadm.sh runs with --no-config and no perf data, as in reconcile.sh), with
 * keycloakCreateUserCommand(namespace).
 *
 * It creates an enabled user with that e-mail (verified) and a generated temporary password, which
 * it prints once; Keycloak asks for a new password (and, with its default user profile, for first
 * and last name) at the first login.
 */
export const KEYCLOAK_CREATE_USER = {
  script: 'create-user.sh',
  /** The Deployment of the Keycloak pod. */
  deployment: 'keycloak',
  /** The Keycloak pod's container to run it in (the admin CLI, the Secrets, no server of its own). */
  container: 'realm-reconcile',
  /** Where the keycloak ConfigMap is mounted in both containers of the pod. */
  configDir: '/config',
  /** Characters of a generated temporary password: 32 (no l, o, 0, 1), 5 bits from each random byte. */
  passwordAlphabet: 'abcdefghijkmnpqrstuvwxyz23456789',
  /** Groups of five characters, joined by '-': 4 x 5 x 5 = 100 random bits, 23 characters. */
  passwordGroups: 4,
} as const;

/** The command that runs keycloak/create-user.sh in the Keycloak pod of `namespace`. */
export function keycloakCreateUserCommand(namespace: string): string {
  const c = KEYCLOAK_CREATE_USER;
  return `kubectl --namespace ${namespace} exec -it deploy/${c.deployment} -c ${c.container} -- bash ${c.configDir}/${c.script} <username> <email>`;
}

/**
 * The longest localpart a Matrix user ID on this server can have: `@<localpart>:<server_name>` is
 * at most 255 characters (Matrix specification, user identifiers; Synapse checks the same).
 */
export function maxLocalpartLength(spec: DeploymentSpec): number {
  return 255 - 2 - spec.serverName.length;
}

/** keycloak/create-user.sh (templates/keycloak/create-user.sh): see KEYCLOAK_CREATE_USER. Needs bash and coreutils (od, timeout). */
export function keycloakCreateUserScript(spec: DeploymentSpec): string {
  if (spec.identity.mode !== 'keycloak') throw new Error('keycloakCreateUserScript: identity mode is not keycloak');
  const env = KEYCLOAK_SECRET_ENV;
  const c = KEYCLOAK_CREATE_USER;
  const word = (value: string): string => {
    if (!/^[A-Za-z0-9_.:/-]+$/.test(value)) throw new Error(`keycloak create-user.sh: ${JSON.stringify(value)} is not a plain shell word`);
    return value;
  };
  if (c.passwordAlphabet.length !== 32 || new Set(c.passwordAlphabet).size !== 32) throw new Error('keycloak create-user.sh: the password alphabet must have 32 distinct characters');
  const usage = `bash ${c.configDir}/${c.script} <username> <email>`;
  return renderTemplate(`keycloak/${c.script}`, {
    REALM: word(KEYCLOAK_REALM),
    COMMAND: keycloakCreateUserCommand('<namespace>'),
    USAGE: usage,
    WEB_HOST: word(spec.hostnames.web),
    SERVER_NAME: word(spec.serverName),
    MAX_LOCALPART_LENGTH: String(maxLocalpartLength(spec)),
    ADMIN_USERNAME_ENV: env.bootstrapAdminUsername,
    ADMIN_PASSWORD_ENV: env.bootstrapAdminPassword,
    PASSWORD_ALPHABET: word(c.passwordAlphabet),
    PASSWORD_GROUPS: String(c.passwordGroups),
    KCADM_PATH: KEYCLOAK_RECONCILE.kcadm,
    CONTAINER: c.container,
    SCRIPT_DIR: sharedBlock('script-dir.sh'),
    KCADM_SESSION: sharedBlock('kcadm-session.sh', { ADMIN_PASSWORD_ENV: env.bootstrapAdminPassword }),
  });
}

/** Settings as an environment file (KEY=value lines, sorted), for a ConfigMap or `--env-file`. */
export function keycloakEnvFile(settings: Readonly<Record<string, string>>): string {
  const lines = Object.keys(settings)
    .sort()
    .map((key) => {
      const value = settings[key];
      if (!/^[A-Za-z0-9_./:@+-]*$/.test(value)) throw new Error(`keycloak.env: ${key} has characters an env file cannot hold unquoted`);
      return `${key}=${value}`;
    });
  return [
    '# Keycloak settings rendered by sovereign-matrix; do not edit. Secrets (KC_DB_PASSWORD, the',
    '# bootstrap administrator, the MAS client secret) come from Kubernetes Secrets, not from here.',
    ...lines,
    '',
  ].join('\n');
}

/**
 * keycloak/realm.json, keycloak/keycloak.env, the reconciliation (KEYCLOAK_RECONCILE) and the
 * script that creates users (KEYCLOAK_CREATE_USER), in identity mode keycloak; nothing otherwise.
 */
export function renderKeycloak(spec: DeploymentSpec): RenderedFile[] {
  if (spec.identity.mode !== 'keycloak') return [];
  return [
    { path: 'keycloak/keycloak.env', content: keycloakEnvFile(keycloakSettings(spec)) },
    { path: 'keycloak/realm.json', content: prettyJson(keycloakRealm(spec)) },
    { path: `keycloak/${KEYCLOAK_RECONCILE.client}`, content: prettyJson(keycloakMasClient(spec)) },
    { path: `keycloak/${KEYCLOAK_RECONCILE.realmSettings}`, content: prettyJson(keycloakRealmSettings(spec)) },
    { path: `keycloak/${KEYCLOAK_RECONCILE.script}`, content: keycloakReconcileScript(spec) },
    { path: `keycloak/${KEYCLOAK_CREATE_USER.script}`, content: keycloakCreateUserScript(spec) },
  ];
}
