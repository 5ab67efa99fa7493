import type { DeploymentSpec } from '../config/spec';
import { PORTS } from '../ports';
import type { RenderedFile } from './files';
import { KEYCLOAK_MAS_CLIENT_ID, KEYCLOAK_REALM, masUpstreamProvider, masUrls } from './mas';
import { deepMerge } from './merge';
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

/** keycloak/reconcile.sh: see KEYCLOAK_RECONCILE. Needs bash and coreutils (sleep, timeout). */
export function keycloakReconcileScript(spec: DeploymentSpec): string {
  const client = keycloakMasClient(spec) as { defaultClientScopes?: string[]; optionalClientScopes?: string[] };
  const env = KEYCLOAK_SECRET_ENV;
  const placeholder = `\${${env.masClientSecret}}`;
  const word = (value: string): string => {
    if (!/^[A-Za-z0-9_.:-]+$/.test(value)) throw new Error(`keycloak reconcile.sh: ${JSON.stringify(value)} is not a plain shell word`);
    return value;
  };
  const words = (values: readonly string[] = []): string => values.map(word).join(' ');
  return `#!/bin/bash
# keycloak/reconcile.sh, rendered by sovereign-matrix; do not edit.
#
# Keycloak imports realm.json only while the realm does not exist. This script brings an existing
# realm up to date with the rendered files, through Keycloak's admin CLI (kcadm.sh):
#   - the realm settings in ${KEYCLOAK_RECONCILE.realmSettings} (kcadm update realms/<realm>;
#     settings the file does not name keep their values);
#   - the client in ${KEYCLOAK_RECONCILE.client}, updated in place (kcadm update clients/<id>), so its
#     internal id and the sessions that refer to it stay; created when it is missing; its default
#     and optional client scopes set to exactly the file's.
# Users, their credentials and everything else in the realm are never touched.
#
# It waits until Keycloak's readiness endpoint on the management port answers, then signs in to the
# master realm as the bootstrap administrator over the HTTP port on 127.0.0.1 (both ports from
# keycloak.env next to this file), once per kcadm call, storing no token. Exit status 0 when the
# realm matches the files, 1 otherwise (the last line says why).
#
# Environment (from Kubernetes Secrets): ${env.bootstrapAdminUsername}, ${env.bootstrapAdminPassword}
# and ${env.masClientSecret}, which replaces ${placeholder} in the client as Keycloak
# does for realm.json; the client goes to kcadm on its standard input, never in an argument or a
# file. KCADM overrides the path of the admin CLI.
set -uo pipefail
# No globbing: the unquoted expansions below split lists; they never name files.
set -f

REALM=${word(KEYCLOAK_REALM)}
CLIENT_ID=${word(KEYCLOAK_MAS_CLIENT_ID)}
DEFAULT_SCOPES=(${words(client.defaultClientScopes)})
OPTIONAL_SCOPES=(${words(client.optionalClientScopes)})
PLACEHOLDER='${placeholder}'
READY_PATH=${KEYCLOAK_MANAGEMENT_PATHS.ready}
KCADM=\${KCADM:-${KEYCLOAK_RECONCILE.kcadm}}

log() { printf 'reconcile: %s\\n' "$*"; }
fail() {
  log "FAILED: $*" >&2
  exit 1
}

case $0 in
  */*) dir=\${0%/*} ;;
  *) dir=. ;;
esac

KC_HTTP_PORT=''
KC_HTTP_MANAGEMENT_PORT=''
while IFS='=' read -r key value; do
  case $key in
    KC_HTTP_PORT) KC_HTTP_PORT=$value ;;
    KC_HTTP_MANAGEMENT_PORT) KC_HTTP_MANAGEMENT_PORT=$value ;;
  esac
done <"$dir/keycloak.env"
[[ $KC_HTTP_PORT =~ ^[0-9]+$ && $KC_HTTP_MANAGEMENT_PORT =~ ^[0-9]+$ ]] || fail "$dir/keycloak.env names no KC_HTTP_PORT or KC_HTTP_MANAGEMENT_PORT"
for name in ${env.bootstrapAdminUsername} ${env.bootstrapAdminPassword} ${env.masClientSecret}; do
  [[ -n \${!name:-} ]] || fail "the environment variable $name is empty or not set"
done

secret=$${env.masClientSecret}
if [[ $secret == *[\\"\\\\]* || $secret == *[[:cntrl:]]* ]]; then
  fail '${env.masClientSecret} holds a quote, a backslash or a control character, which a JSON string cannot take as it is'
fi
client=$(<"$dir/${KEYCLOAK_RECONCILE.client}") || fail "cannot read $dir/${KEYCLOAK_RECONCILE.client}"
[[ $client == *"$PLACEHOLDER"* ]] || fail "$dir/${KEYCLOAK_RECONCILE.client} has no $PLACEHOLDER"
client=\${client//"$PLACEHOLDER"/"$secret"}
[[ $client != *'\${'* ]] || fail "$dir/${KEYCLOAK_RECONCILE.client} refers to another variable than $PLACEHOLDER"

# Keycloak's readiness, in bash alone (the image has no curl): one HTTP/1.1 GET, status line only.
ready() {
  local status=''
  { exec 3<>"/dev/tcp/127.0.0.1/$KC_HTTP_MANAGEMENT_PORT"; } 2>/dev/null || return 1
  printf 'GET %s HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nConnection: close\\r\\n\\r\\n' "$READY_PATH" >&3
  IFS= read -r -t 10 status <&3
  exec 3>&-
  [[ $status == 'HTTP/1.1 200'* ]]
}

log "waiting for Keycloak to be ready (http://127.0.0.1:$KC_HTTP_MANAGEMENT_PORT$READY_PATH)"
waited=0
until ready; do
  sleep 5
  waited=$((waited + 5))
  if ((waited % 60 == 0)); then log "still waiting for Keycloak after $waited s"; fi
done

export KC_CLI_PASSWORD=$${env.bootstrapAdminPassword}
# A short-lived JVM: small heap, quick start, no files (no perf data in /tmp, no kcadm config).
export KC_OPTS='-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData -Xmx64m'
server=http://127.0.0.1:$KC_HTTP_PORT
# kcadm with a time limit, signed in for this one call (--no-config). Its "Logging into" line is
# dropped; any other message it prints goes to the log.
kcadm() {
  local err rc line
  { err=$(timeout 120 "$KCADM" "$@" --no-config --server "$server" --realm master --user "$${env.bootstrapAdminUsername}" 2>&1 1>&3 3>&-); rc=$?; } 3>&1
  local IFS=$'\\n'
  for line in $err; do
    [[ $line == 'Logging into '* ]] || log "kcadm: $line" >&2
  done
  ((rc != 124)) || log "kcadm: no answer within 120 s" >&2
  return "$rc"
}
log "Keycloak is ready; signing in to $server as $${env.bootstrapAdminUsername} (realm master)"

# The realm's settings. Unchanged means: the realm as Keycloak returns it is the same before and
# after the update.
before=$(kcadm get "realms/$REALM" -c) ||
  fail "cannot sign in as $${env.bootstrapAdminUsername} or read realm $REALM; 'Invalid user credentials' means the password in the Secret keycloak-admin is not the administrator's, or that administrator was deleted"
after=$(kcadm update "realms/$REALM" -f "$dir/${KEYCLOAK_RECONCILE.realmSettings}" -o -c) || fail "cannot update the settings of realm $REALM"
if [[ $after == "$before" ]]; then log "realm $REALM: settings already as rendered"; else log "realm $REALM: settings updated"; fi

# The client (its representation holds the secret: it is compared, never printed).
found=$(kcadm get clients -r "$REALM" -q "clientId=$CLIENT_ID" -c) || fail "cannot look up client $CLIENT_ID"
if [[ $found == '[]' ]]; then
  id=$(printf '%s' "$client" | kcadm create clients -r "$REALM" -f - -i) || fail "cannot create client $CLIENT_ID"
  log "client $CLIENT_ID: created (id $id)"
  found=$(kcadm get clients -r "$REALM" -q "clientId=$CLIENT_ID" -c) || fail "cannot look up client $CLIENT_ID"
fi
[[ $found =~ ^\\[\\{\\"id\\":\\"([0-9A-Za-z-]+)\\" ]] || fail "unexpected answer when looking up client $CLIENT_ID"
id=\${BASH_REMATCH[1]}
current=\${found#[}
current=\${current%]}
after=$(printf '%s' "$client" | kcadm update "clients/$id" -r "$REALM" -f - -o -c) || fail "cannot update client $CLIENT_ID"
if [[ $after == "$current" ]]; then log "client $CLIENT_ID: already as rendered"; else log "client $CLIENT_ID: updated (id $id kept)"; fi

# Its client scopes, which the update leaves alone: exactly the rendered ones.
declare -A desired=() present=()
wanted=() had=()
for scope in "\${DEFAULT_SCOPES[@]}"; do desired[$scope]=default wanted+=("default:$scope"); done
for scope in "\${OPTIONAL_SCOPES[@]}"; do desired[$scope]=optional wanted+=("optional:$scope"); done
for kind in default optional; do
  re="\\"\${kind}ClientScopes\\":\\\\[([^]]*)\\\\]"
  [[ $current =~ $re ]] || fail "the answer for client $CLIENT_ID names no \${kind}ClientScopes"
  IFS=,
  for scope in \${BASH_REMATCH[1]//\\"/}; do present[$scope]=$kind had+=("$kind:$scope"); done
  unset IFS
done
remove=() add=()
for item in "\${had[@]}"; do [[ \${desired[\${item#*:}]:-} == "\${item%%:*}" ]] || remove+=("$item"); done
for item in "\${wanted[@]}"; do [[ \${present[\${item#*:}]:-} == "\${item%%:*}" ]] || add+=("$item"); done
if ((\${#remove[@]} + \${#add[@]} == 0)); then
  log "client $CLIENT_ID: client scopes already as rendered"
else
  listed=$(kcadm get client-scopes -r "$REALM" --fields id,name --format csv --noquotes) || fail "cannot list the client scopes of realm $REALM"
  declare -A scope_id=()
  IFS=$'\\n'
  for line in $listed; do scope_id[\${line#*,}]=\${line%%,*}; done
  unset IFS
  for item in "\${remove[@]}"; do
    kind=\${item%%:*} scope=\${item#*:}
    kcadm delete "clients/$id/$kind-client-scopes/\${scope_id[$scope]:-?}" -r "$REALM" || fail "cannot remove the $kind client scope $scope from client $CLIENT_ID"
    log "client $CLIENT_ID: removed $kind client scope $scope"
  done
  for item in "\${add[@]}"; do
    kind=\${item%%:*} scope=\${item#*:}
    [[ -n \${scope_id[$scope]:-} ]] || fail "realm $REALM has no client scope $scope"
    kcadm update "clients/$id/$kind-client-scopes/\${scope_id[$scope]}" -r "$REALM" || fail "cannot add the $kind client scope $scope to client $CLIENT_ID"
    log "client $CLIENT_ID: added $kind client scope $scope"
  done
fi

log "done: realm $REALM has the rendered settings and client; users and their credentials were not touched"
`;
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

/** keycloak/create-user.sh: see KEYCLOAK_CREATE_USER. Needs bash and coreutils (od, timeout). */
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
  return `#!/bin/bash
# keycloak/create-user.sh, rendered by sovereign-matrix; do not edit.
#
# Creates a user in Keycloak's realm ${KEYCLOAK_REALM}, for example the first administrator, after deploy:
#
#   ${keycloakCreateUserCommand('<namespace>')}
#
# The user is enabled, has <email> as a verified e-mail address and a generated temporary password,
# which is printed once, here, and nowhere else; Keycloak requires a new password at the first login
# (and, as its default user profile requires them, the first and last name). At that first login,
# through Element Web (https://${spec.hostnames.web}/) and Matrix Authentication Service, MAS creates
# the Matrix account @<username>:${spec.serverName}; \`mas-cli manage promote-admin <username>\` in the
# mas deployment then makes it an administrator.
#
# <username> becomes the Matrix localpart and never changes: a-z, 0-9, '.', '_' and '-' (a Matrix
# localpart may also hold '=' and '/', Keycloak's usernames may not), at least 3 characters (Keycloak)
# and at most ${maxLocalpartLength(spec)} (@<username>:${spec.serverName} is at most 255), not beginning with '_' and not
# only digits (Synapse reserves both). Inputs are checked before any call to Keycloak.
#
# It signs in to the master realm as the bootstrap administrator (${env.bootstrapAdminUsername} and
# ${env.bootstrapAdminPassword} from the environment, the password handed to kcadm.sh in KC_CLI_PASSWORD, never
# in an argument) over Keycloak's HTTP port on 127.0.0.1 (from keycloak.env next to this script),
# storing no token. The new user, with the temporary password, goes to kcadm.sh on its standard
# input. Exit status 0 when the user was created; otherwise 1 (2 for wrong arguments), nothing is
# created, and one line says why. KCADM overrides the path of the admin CLI.
set -uo pipefail
set -f

REALM=${word(KEYCLOAK_REALM)}
MAX_LENGTH=${maxLocalpartLength(spec)}
ALPHABET=${word(c.passwordAlphabet)}
PASSWORD_GROUPS=${c.passwordGroups}
KCADM=\${KCADM:-${KEYCLOAK_RECONCILE.kcadm}}

# One line on standard error; exit status 1, or 2 for wrong arguments (refuse).
fail() {
  printf 'create-user: FAILED: %s\\n' "$*" >&2
  exit 1
}
refuse() {
  printf 'create-user: FAILED: %s\\n' "$*" >&2
  exit 2
}

if (($# != 2)); then
  refuse "usage: ${usage}"
fi
username=$1
# Keycloak stores e-mail addresses in lowercase.
email=\${2,,}

# The username: a Matrix localpart that Keycloak accepts as a username as well.
if [[ ! $username =~ ^[a-z0-9._=/-]+$ ]]; then
  refuse "username '\${username//[^[:print:]]/?}' is not a Matrix localpart: only lowercase a-z, 0-9 and . _ = - / are allowed"
elif [[ $username == *[=/]* ]]; then
  refuse "username '$username': Keycloak does not accept '=' or '/' in a username; use a-z, 0-9, '.', '_' and '-'"
elif [[ $username == _* ]]; then
  refuse "username '$username' begins with '_', which Synapse reserves for application services"
elif [[ $username =~ ^[0-9]+$ ]]; then
  refuse "username '$username' is only digits, which Synapse reserves for guests"
elif ((\${#username} < 3)); then
  refuse "username '$username' is shorter than 3 characters, the least Keycloak accepts"
elif ((\${#username} > MAX_LENGTH)); then
  refuse "username '\${username:0:20}...' is longer than $MAX_LENGTH characters: @<username>:${spec.serverName} would exceed 255"
fi
# The e-mail address: a plain address (also safe in the JSON below: no quote, backslash or space).
if [[ ! $email =~ ^[A-Za-z0-9._%+-]+@[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$ ]] || ((\${#email} > 254)); then
  refuse "'\${email//[^[:print:]]/?}' is not an e-mail address this script accepts (letters, digits and . _ % + - before the @, a domain name after it)"
fi

case $0 in
  */*) dir=\${0%/*} ;;
  *) dir=. ;;
esac
KC_HTTP_PORT=''
[[ -r $dir/keycloak.env ]] || fail "cannot read $dir/keycloak.env"
while IFS='=' read -r key value; do
  [[ $key != KC_HTTP_PORT ]] || KC_HTTP_PORT=$value
done <"$dir/keycloak.env"
[[ $KC_HTTP_PORT =~ ^[0-9]+$ ]] || fail "$dir/keycloak.env names no KC_HTTP_PORT"
for name in ${env.bootstrapAdminUsername} ${env.bootstrapAdminPassword}; do
  [[ -n \${!name:-} ]] || fail "the environment variable $name is empty or not set; run this in the ${c.container} container of the Keycloak pod"
done

# The temporary password: random bytes from the kernel, 5 bits of each (32 characters, no bias).
bytes=($(od -An -tu1 -N$((PASSWORD_GROUPS * 5)) /dev/urandom)) || fail 'cannot read /dev/urandom'
((\${#bytes[@]} == PASSWORD_GROUPS * 5)) || fail 'cannot read /dev/urandom'
password=''
for ((i = 0; i < \${#bytes[@]}; i++)); do
  ((i == 0 || i % 5)) || password+=-
  password+=\${ALPHABET:$((bytes[i] % 32)):1}
done
unset bytes

export KC_CLI_PASSWORD=$${env.bootstrapAdminPassword}
# A short-lived JVM: small heap, quick start, no files (no perf data in /tmp, no kcadm config).
export KC_OPTS='-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData -Xmx64m'
server=http://127.0.0.1:$KC_HTTP_PORT

# One call: the user with its credential, so a refusal leaves nothing behind. kcadm's messages are
# kept (its "Logging into" line dropped) and folded into the one line that says why.
user=$(printf '{"username":"%s","email":"%s","emailVerified":true,"enabled":true,"requiredActions":["UPDATE_PASSWORD"],"credentials":[{"type":"password","value":"%s","temporary":true}]}' "$username" "$email" "$password")
err=$(printf '%s' "$user" | timeout 120 "$KCADM" create users -r "$REALM" -f - --no-config --server "$server" --realm master --user "$${env.bootstrapAdminUsername}" 2>&1 >/dev/null)
rc=$?
unset user
if ((rc != 0)); then
  message=''
  while IFS= read -r line; do
    [[ $line == 'Logging into '* || -z $line ]] || message+=\${message:+; }$line
  done <<<"$err"
  case $message in
    *'Invalid user credentials'*) fail "cannot sign in to Keycloak as $${env.bootstrapAdminUsername} (realm master): $message; the password in the Secret keycloak-admin is not the administrator's, or that administrator was deleted" ;;
    *'User exists with same username'*) fail "user $username already exists in realm $REALM; nothing changed" ;;
    *'User exists with same email'*) fail "another user of realm $REALM has the e-mail address $email; nothing changed" ;;
    *'Failed to send request'* | *'Connection refused'*) fail "cannot reach Keycloak at $server: $message; is the keycloak container of this pod ready?" ;;
    *) ((rc != 124)) || message='no answer within 120 s'; fail "Keycloak did not create user $username in realm $REALM: \${message:-kcadm.sh exited with status $rc}" ;;
  esac
fi

printf 'create-user: created user %s in realm %s: enabled, e-mail %s (verified)\\n' "$username" "$REALM" "$email"
printf 'create-user: temporary password, shown only now: %s\\n' "$password"
printf 'create-user: next, log in at https://%s/ as %s with it; Keycloak asks for a new password (and the first and last name), then MAS creates @%s:%s. Then make it an administrator: mas-cli manage promote-admin %s (in deploy/mas)\\n' ${word(spec.hostnames.web)} "$username" "$username" ${word(spec.serverName)} "$username"
`;
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
