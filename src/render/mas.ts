import { createHash } from 'node:crypto';
import YAML, { isMap, isScalar, type Document } from 'yaml';
import type { DeploymentSpec } from '../config/spec';
import { PORTS } from '../ports';
import type { RenderedFile } from './files';
import { deepMerge } from './merge';
import { SYNAPSE_SECRET_FILES, SYNAPSE_UPSTREAMS } from './synapse';

/**
 * Matrix Authentication Service (MAS) configuration. Every identity mode runs MAS in front of
 * Synapse: in mode `local` the accounts and passwords live in MAS itself; in modes `keycloak` and
 * `oidc` MAS has no passwords and sends every login to one upstream OpenID Connect provider.
 *
 * Secrets never appear in the rendered file: every one of them is a `*_file` option naming a file
 * the stack mounts from a Kubernetes Secret (the MAS image has no shell, so there is no entrypoint
 * that could substitute `@@NAME@@` placeholders; files need none).
 */

/** Where MAS reads its configuration inside the container (a ConfigMap). */
export const MAS_PATHS = {
  configDir: '/config',
  config: '/config/config.yaml',
} as const;

/** MAS reads its configuration from the files named here (`:`-separated); set it to MAS_PATHS.config. */
export const MAS_CONFIG_ENV = 'MAS_CONFIG';

/**
 * Secret files MAS reads, each a Kubernetes Secret key mounted read-only. Formats matter:
 *
 * - encryptionKey: exactly 64 hexadecimal characters (32 bytes) and NOTHING else, not even a
 *   trailing newline (MAS 1.22 hex-decodes the raw file; Terraform `random_id.hex` with
 *   byte_length 32 fits). It encrypts cookies and database fields and must never change after
 *   the first start: a new key makes everything encrypted with the old one unreadable.
 * - signingKeyRsa: an RSA private key, PEM (PKCS#1 or unencrypted PKCS#8; Terraform
 *   `tls_private_key` with algorithm RSA, 2048 bits or more). MAS needs at least one RSA key
 *   (RS256 is mandatory in OpenID Connect).
 * - databasePassword: the `mas` role's password (MAS trims surrounding whitespace).
 * - synapseSharedSecret: the secret Synapse also reads (its `matrix_authentication_service.
 *   secret_path`); the same Kubernetes Secret key mounted at the same path in both pods.
 * - upstreamClientSecret: modes keycloak and oidc only; the client secret at the upstream
 *   provider (keycloak: the generated one Keycloak's realm import also receives, see
 *   KEYCLOAK_MAS_CLIENT_SECRET_ENV; oidc: the value of the environment variable
 *   `identity.oidc.client_secret_env` at deploy time, see masUpstreamClientSecretSource).
 */
export const MAS_SECRET_FILES = {
  encryptionKey: '/secrets/mas/encryption-key',
  signingKeyRsa: '/secrets/mas/signing-key-rsa.pem',
  databasePassword: '/secrets/mas/database-password',
  synapseSharedSecret: SYNAPSE_SECRET_FILES.masSharedSecret,
  upstreamClientSecret: '/secrets/mas/upstream-client-secret',
} as const;

/** The database role and database MAS uses (postgres/init-mas.sql creates both). */
export const MAS_DATABASE = { user: 'mas', database: 'mas' } as const;

/** The in-namespace Service names MAS connects to. */
export const MAS_UPSTREAMS = {
  postgres: SYNAPSE_UPSTREAMS.postgres,
  synapse: 'synapse',
} as const;

/**
 * MAS's two listeners. `web` is what the ingress routes to (all of auth.<server_name>, and the
 * compatibility paths below on the matrix host) and what Synapse calls (discovery and token
 * introspection, through the in-namespace Service `mas`); `internal` serves only /health and
 * /metrics and must never be routed by the ingress.
 */
export const MAS_LISTENERS = {
  web: { name: 'web', port: PORTS.masHttp },
  internal: { name: 'internal', port: PORTS.masInternal },
} as const;

/** Served on the internal listener only. */
export const MAS_HEALTH_PATH = '/health';
export const MAS_METRICS_PATH = '/metrics';

/**
 * Matrix client-server paths on the matrix host that the ingress must send to MAS's web listener
 * (its compatibility layer for clients that still log in the pre-OAuth way), as regular
 * expressions, before the `/_matrix` route to Synapse.
 */
export const MAS_COMPAT_PATH_PATTERNS = ['^/_matrix/client/[^/]+/login', '^/_matrix/client/[^/]+/logout', '^/_matrix/client/[^/]+/refresh'] as const;

/** The realm the bundled Keycloak gets (never `master`) and MAS's client in it. */
export const KEYCLOAK_REALM = 'matrix';
export const KEYCLOAK_MAS_CLIENT_ID = 'matrix-authentication-service';

/** The scopes every upstream provider is asked for; `identity.oidc.scopes` are added. */
export const MAS_BASE_SCOPES = ['openid', 'profile', 'email'] as const;

/** MAS's public URLs, derived from hostnames.auth. The issuer is the public base itself. */
export function masUrls(spec: DeploymentSpec) {
  const base = `https://${spec.hostnames.auth}/`;
  return {
    publicBase: base,
    issuer: base,
    account: `${base}account/`,
  } as const;
}

/** What the stack puts into MAS_SECRET_FILES.upstreamClientSecret, per identity mode. */
export type UpstreamClientSecretSource =
  | { readonly kind: 'none' }
  /** The stack generates it and gives the same value to Keycloak (KEYCLOAK_MAS_CLIENT_SECRET_ENV). */
  | { readonly kind: 'generated' }
  /** Read from this environment variable of the process that runs Terraform, at deploy time. */
  | { readonly kind: 'deploy-env'; readonly name: string };

export function masUpstreamClientSecretSource(spec: DeploymentSpec): UpstreamClientSecretSource {
  switch (spec.identity.mode) {
    case 'local':
      return { kind: 'none' };
    case 'keycloak':
      return { kind: 'generated' };
    case 'oidc':
      return { kind: 'deploy-env', name: spec.identity.oidc.clientSecretEnv };
  }
}

/** The upstream provider MAS sends logins to, or undefined in mode `local`. */
export interface UpstreamProvider {
  /** ULID; see upstreamProviderId. */
  readonly id: string;
  readonly issuer: string;
  readonly clientId: string;
  readonly humanName: string;
  /** The redirect URI to register at the provider (exactly this string). */
  readonly redirectUri: string;
  /** OpenID Connect back-channel logout URI MAS serves for this provider. */
  readonly backchannelLogoutUri: string;
}

export function masUpstreamProvider(spec: DeploymentSpec): UpstreamProvider | undefined {
  const { publicBase } = masUrls(spec);
  const uris = (id: string) => ({
    redirectUri: `${publicBase}upstream/callback/${id}`,
    backchannelLogoutUri: `${publicBase}upstream/backchannel-logout/${id}`,
  });
  switch (spec.identity.mode) {
    case 'local':
      return undefined;
    case 'keycloak': {
      const id = upstreamProviderId(spec.name, `keycloak/${KEYCLOAK_REALM}`);
      return {
        id,
        issuer: `https://${spec.hostnames.sso}/realms/${KEYCLOAK_REALM}`,
        clientId: KEYCLOAK_MAS_CLIENT_ID,
        humanName: 'Single sign-on',
        ...uris(id),
      };
    }
    case 'oidc': {
      const { oidc } = spec.identity;
      const id = upstreamProviderId(spec.name, `oidc/${oidc.issuer}`);
      return { id, issuer: oidc.issuer, clientId: oidc.clientId, humanName: oidc.displayName, ...uris(id) };
    }
  }
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * A deterministic ULID for an upstream provider: 128 bits of SHA-256 over the deployment name and
 * what identifies the provider, in Crockford base32 (26 characters, the first 0-7).
 *
 * Why stable: MAS keys the provider by this id in its database, links every user's upstream
 * identity (`sub`) to it, and builds the redirect URI registered at the provider from it
 * (/upstream/callback/<id>). A random id per render would, on the next deploy, create a second
 * provider whose users have no links (their localparts already exist, so their logins fail) and
 * whose redirect URI the provider does not know. So the id depends only on what makes it the
 * same provider: for Keycloak the realm (not the sso hostname: a renamed host keeps the same
 * users and `sub`s), for an external provider its issuer (another issuer is another identity
 * namespace).
 */
export function upstreamProviderId(deployment: string, provider: string): string {
  const digest = createHash('sha256').update(`sovereign-matrix/mas-upstream-provider\0${deployment}\0${provider}`).digest();
  let value = BigInt(`0x${digest.subarray(0, 16).toString('hex')}`);
  let out = '';
  for (let i = 0; i < 26; i++) {
    out = CROCKFORD[Number(value & 31n)] + out;
    value >>= 5n;
  }
  return out;
}

export const ULID_PATTERN = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;

function upstreamOauth2(spec: DeploymentSpec): Record<string, unknown> {
  const provider = masUpstreamProvider(spec);
  if (!provider) return { providers: [] };
  const extraScopes = spec.identity.mode === 'oidc' ? spec.identity.oidc.scopes : [];
  const scope = [...new Set([...MAS_BASE_SCOPES, ...extraScopes])].join(' ');
  return {
    providers: [
      {
        id: provider.id,
        human_name: provider.humanName,
        issuer: provider.issuer,
        discovery_mode: 'oidc',
        client_id: provider.clientId,
        client_secret_file: MAS_SECRET_FILES.upstreamClientSecret,
        token_endpoint_auth_method: 'client_secret_basic',
        scope,
        // Keycloak's client requires S256; for an external provider, discovery decides.
        pkce_method: spec.identity.mode === 'keycloak' ? 'always' : 'auto',
        // Keycloak puts the profile and email claims into the ID token; some national providers
        // return them only from the userinfo endpoint.
        fetch_userinfo: spec.identity.mode === 'oidc',
        // A Keycloak (or provider) session that ends also ends the MAS browser session it
        // started; devices keep their sessions (ending those would lose unbacked-up keys).
        on_backchannel_logout: 'logout_browser_only',
        claims_imports: {
          // Identities come from the directory: no confirmation screen, nothing to choose.
          skip_confirmation: true,
          localpart: { action: 'require', template: '{{ user.preferred_username }}', on_conflict: 'fail' },
          displayname: { action: 'force', template: '{{ user.name }}' },
          email: { action: 'force', template: '{{ user.email }}' },
        },
      },
    ],
  };
}

/**
 * MAS's config.yaml as an object, with the escape hatch (`extra.mas`) merged last. Key order is
 * fixed here, so serialization is deterministic.
 */
export function masConfig(spec: DeploymentSpec): Record<string, unknown> {
  const urls = masUrls(spec);
  const local = spec.identity.mode === 'local';
  const base: Record<string, unknown> = {
    http: {
      public_base: urls.publicBase,
      issuer: urls.issuer,
      listeners: [
        {
          name: MAS_LISTENERS.web.name,
          resources: [{ name: 'discovery' }, { name: 'human' }, { name: 'oauth' }, { name: 'compat' }, { name: 'graphql' }, { name: 'assets' }],
          binds: [{ host: '0.0.0.0', port: MAS_LISTENERS.web.port }],
        },
        {
          name: MAS_LISTENERS.internal.name,
          resources: [{ name: 'health' }, { name: 'prometheus' }],
          binds: [{ host: '0.0.0.0', port: MAS_LISTENERS.internal.port }],
        },
      ],
    },
    database: {
      host: MAS_UPSTREAMS.postgres,
      port: PORTS.postgres,
      username: MAS_DATABASE.user,
      database: MAS_DATABASE.database,
      password_file: MAS_SECRET_FILES.databasePassword,
    },
    matrix: {
      kind: 'synapse',
      homeserver: spec.serverName,
      endpoint: `http://${MAS_UPSTREAMS.synapse}:${PORTS.synapseHttp}/`,
      secret_file: MAS_SECRET_FILES.synapseSharedSecret,
    },
    secrets: {
      encryption_file: MAS_SECRET_FILES.encryptionKey,
      keys: [{ key_file: MAS_SECRET_FILES.signingKeyRsa }],
    },
    passwords: local ? { enabled: true, minimum_complexity: 3 } : { enabled: false },
    account: {
      // Accounts are created by the administrators (mode local) or by the first login through
      // the directory (other modes); never by self-service sign-up.
      password_registration_enabled: false,
      password_registration_email_required: true,
      password_change_allowed: local,
      // No e-mail transport is configured: recovery codes and e-mail verification could not be
      // delivered, and addresses come from the directory in the other modes.
      password_recovery_enabled: false,
      email_change_allowed: false,
      displayname_change_allowed: true,
      // Account lifecycle belongs to the administrators (deactivation erases the account).
      account_deactivation_allowed: false,
      login_with_email_allowed: false,
    },
    upstream_oauth2: upstreamOauth2(spec),
    telemetry: { metrics: { exporter: 'prometheus' } },
  };
  return deepMerge(base, spec.extra.mas);
}

const COMMENTS: Readonly<Record<string, string>> = {
  http: [
    ' Listener "web" is the one the ingress routes to (auth host, and the compatibility login',
    ' paths on the matrix host) and the one Synapse calls for discovery and token introspection.',
    ' Listener "internal" serves only /health and /metrics; no ingress route leads to it.',
    ' trusted_proxies keeps its default, the private ranges the cluster network uses.',
  ].join('\n'),
  database: ' No password here: MAS reads it from a file mounted from a Kubernetes Secret.',
  matrix: ' The shared secret is the file Synapse reads too (matrix_authentication_service.secret_path).',
  secrets: [
    ' Files mounted from Kubernetes Secrets. The encryption key is 64 hex characters and must never',
    ' change after the first start: a new one makes every encrypted value unreadable.',
  ].join('\n'),
  upstream_oauth2: [
    ' The provider id is a ULID derived from the deployment and the provider, so it stays the same',
    ' on every render: MAS links users to it and the provider knows its redirect URI.',
  ].join('\n'),
};

/** mas/config.yaml. */
export function renderMas(spec: DeploymentSpec): RenderedFile[] {
  const doc = new YAML.Document(masConfig(spec));
  doc.commentBefore = [
    ' Matrix Authentication Service configuration rendered by sovereign-matrix from the deployment',
    ' file; do not edit. Change the deployment file (or its extra.mas escape hatch) and render again.',
  ].join('\n');
  commentKeys(doc, COMMENTS);
  return [{ path: 'mas/config.yaml', content: doc.toString({ lineWidth: 0, indentSeq: true }) }];
}

function commentKeys(doc: Document, comments: Readonly<Record<string, string>>): void {
  if (!isMap(doc.contents)) return;
  for (const pair of doc.contents.items) {
    if (isScalar(pair.key) && typeof pair.key.value === 'string' && comments[pair.key.value]) {
      pair.key.commentBefore = comments[pair.key.value];
    }
  }
}
