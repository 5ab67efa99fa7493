import { Construct } from 'constructs';
import { KubeSecret, type SecretValue } from './kube-object';
import { BACKUP_CREDENTIAL_ENV } from '../../render/backup';
import { masUpstreamClientSecretSource } from '../../render/mas';
import { BACKUP_SECRET } from './backup';
import { REPLICATION_SECRET_KEY } from './synapse';
import { hasWorkers } from '../../render/synapse-workers';
import { usesCloudNativePg } from './cloudnative-pg';
import { type AppsContext } from './apps-context';

/** The generated values the Secrets share; each id is also the value's Terraform resource name. */
const password = (id: string): SecretValue => ({ kind: 'password', id: `${id}-value`, length: 48 });

/** The TURN shared secret, used by Synapse (to mint credentials) and coturn (to check them). */
export const TURN_SHARED_SECRET = password('turn-shared-secret');

/**
 * The SFU's API secret, shared by LiveKit (which checks tokens and signs webhooks) and
 * lk-jwt-service (which signs tokens and creates rooms). Letters and digits only, so the key file
 * (`name: secret`) reads the same to both.
 */
export const LIVEKIT_API_SECRET = password('livekit-api-secret');

export interface SecretsProps {
  /** The deployment's context. */
  readonly context: AppsContext;
}

/**
 * Every Secret of the deployment's namespace, by name and key, with where each value comes
 * from. Values are generated once and kept (Terraform state, or the cluster for GitOps).
 */
export class Secrets extends Construct {
  constructor(scope: Construct, id: string, props: SecretsProps) {
    super(scope, id);
    const ctx = props.context;
    const secret = (name: string, data: Record<string, SecretValue>) =>
      new KubeSecret(this, name, { name, namespace: ctx.ns, labels: ctx.labels, data });

    // CloudNativePG reads the superuser from a basic-auth style Secret and refuses one whose
    // `username` is not postgres (the instance manager's reconcileUser); the bundled image needs none.
    const superuserName: Record<string, SecretValue> = usesCloudNativePg(ctx.spec) ? { username: { kind: 'literal', value: 'postgres' } } : {};
    secret('postgres-superuser', { ...superuserName, password: password('postgres-superuser') });
    secret('synapse-database', { password: password('synapse-database') });
    secret('synapse-secrets', {
      'macaroon-secret-key': password('synapse-macaroon-secret-key'),
      'form-secret': password('synapse-form-secret'),
      ...(hasWorkers(ctx.spec) ? { [REPLICATION_SECRET_KEY]: password('synapse-replication-secret') } : {}),
    });
    const masShared = password('mas-synapse-shared-secret');
    secret('mas-synapse-shared-secret', { 'synapse-shared-secret': masShared });

    // MAS: 32 random bytes as 64 hex characters (MAS reads the raw file; it must never change),
    // an RSA signing key (RS256 is mandatory in OpenID Connect), its database password, the secret
    // it shares with Synapse, and the upstream provider's client secret where there is one.
    const masDatabase = password('mas-database');
    secret('mas-database', { password: masDatabase });
    const upstream = masUpstreamClientSecretSource(ctx.spec);
    const upstreamSecret: SecretValue | undefined =
      upstream.kind === 'generated'
        ? password('mas-upstream-client-secret')
        : upstream.kind === 'deploy-env'
          ? { kind: 'input', id: 'oidc_client_secret', environment: upstream.name, description: 'Client secret at the OIDC provider' }
          : undefined;
    secret('mas-secrets', {
      'encryption-key': { kind: 'hex', id: 'mas-encryption-key', bytes: 32 },
      'signing-key-rsa.pem': { kind: 'rsa-key', id: 'mas-signing-key', bits: 4096 },
      'database-password': masDatabase,
      'synapse-shared-secret': masShared,
      ...(upstreamSecret ? { 'upstream-client-secret': upstreamSecret } : {}),
    });
    if (ctx.spec.identity.mode === 'keycloak') {
      secret('keycloak-database', { password: password('keycloak-database') });
      secret('keycloak-admin', { username: { kind: 'literal', value: 'bootstrap-admin' }, password: password('keycloak-admin') });
      secret('keycloak-mas-client', { secret: upstreamSecret! });
    }
    if (ctx.spec.calls.turn) secret('turn-shared-secret', { 'shared-secret': TURN_SHARED_SECRET });
    if (ctx.spec.calls.group.enabled) secret('livekit-api-secret', { secret: LIVEKIT_API_SECRET });
    // Backups: the bucket's credentials and the passphrase are the operator's, never generated:
    // a generated passphrase would live only in this cluster, which is what a backup must survive.
    const backup = ctx.spec.backup;
    if (backup.enabled) {
      secret(BACKUP_SECRET, {
        'access-key-id': { kind: 'input', id: 'backup_access_key_id', environment: BACKUP_CREDENTIAL_ENV.accessKeyId, description: 'Access key ID of the backup bucket' },
        'secret-access-key': { kind: 'input', id: 'backup_secret_access_key', environment: BACKUP_CREDENTIAL_ENV.secretAccessKey, description: 'Secret access key of the backup bucket' },
        passphrase: { kind: 'input', id: 'backup_passphrase', environment: backup.passphraseEnv, description: 'Encryption passphrase of the backups (keep a copy outside the cluster)' },
      });
    }
  }
}
