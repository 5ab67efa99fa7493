import type { DeploymentSpec } from '../config/spec';
import { PORTS } from '../ports';
import type { RenderedFile } from './files';
import { KEYCLOAK_MAS_CLIENT_ID, KEYCLOAK_REALM, masUpstreamProvider, masUrls } from './mas';
import { deepMerge } from './merge';
import { SYNAPSE_UPSTREAMS } from './synapse';
import { prettyJson } from './well-known';

/**
 * The bundled Keycloak (identity mode `keycloak` only): its realm, imported at start, and its
 * server settings. Keycloak is the directory; Matrix Authentication Service is its only client.
 */

/** The database role and database Keycloak uses (postgres/init-keycloak.sql creates both). */
export const KEYCLOAK_DATABASE = { user: 'keycloak', database: 'keycloak' } as const;

/**
 * Where the realm file goes in the Keycloak container: `start --import-realm` imports every
 * `.json` file of the import directory, once, when the realm does not exist yet. Later changes to
 * the file are NOT applied to an existing realm (Keycloak skips realms it already has).
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
 *   the first start only;
 * - masClientSecret: the MAS client's secret; realm.json refers to it as `${NAME}`, which
 *   Keycloak substitutes from its environment while importing. MAS gets the same value in
 *   MAS_SECRET_FILES.upstreamClientSecret.
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

/** keycloak/realm.json and keycloak/keycloak.env, in identity mode keycloak; nothing otherwise. */
export function renderKeycloak(spec: DeploymentSpec): RenderedFile[] {
  if (spec.identity.mode !== 'keycloak') return [];
  return [
    { path: 'keycloak/keycloak.env', content: keycloakEnvFile(keycloakSettings(spec)) },
    { path: 'keycloak/realm.json', content: prettyJson(keycloakRealm(spec)) },
  ];
}
