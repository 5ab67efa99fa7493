import { TerraformVariable } from 'cdktf';
import { SecretV1 } from '@cdktf/provider-kubernetes/lib/secret-v1';
import { Password } from '@cdktf/provider-random/lib/password';
import { Id } from '@cdktf/provider-random/lib/id';
import { PrivateKey } from '@cdktf/provider-tls/lib/private-key';
import { masUpstreamClientSecretSource } from '../../render/mas';

import { type AppsContext } from './apps-context';

/** Random secrets, created once and kept in state; each becomes a Kubernetes Secret. */
export function addSecrets(ctx: AppsContext): { turn: string } {
  const secret = (id: string, data: Record<string, string>) =>
    new SecretV1(ctx.scope, id, { metadata: { name: id, namespace: ctx.ns, labels: ctx.labels }, data, type: 'Opaque' });
  // Letters and digits only: the values pass through config files and shell substitution.
  const password = (id: string) => new Password(ctx.scope, `${id}-value`, { length: 48, special: false }).result;

  secret('postgres-superuser', { password: password('postgres-superuser') });
  secret('synapse-database', { password: password('synapse-database') });
  secret('synapse-secrets', {
    'macaroon-secret-key': password('synapse-macaroon-secret-key'),
    'form-secret': password('synapse-form-secret'),
  });
  const masShared = password('mas-synapse-shared-secret');
  secret('mas-synapse-shared-secret', { 'synapse-shared-secret': masShared });

  // MAS: 32 random bytes as 64 hex characters (MAS reads the raw file; it must never change),
  // an RSA signing key (RS256 is mandatory in OpenID Connect), its database password, the secret
  // it shares with Synapse, and the upstream provider's client secret where there is one.
  const masDatabase = password('mas-database');
  secret('mas-database', { password: masDatabase });
  const upstream = masUpstreamClientSecretSource(ctx.spec);
  const upstreamSecret =
    upstream.kind === 'generated'
      ? password('mas-upstream-client-secret')
      : upstream.kind === 'deploy-env'
        ? new TerraformVariable(ctx.scope, 'oidc_client_secret', {
            type: 'string',
            sensitive: true,
            nullable: false,
            description: `Client secret at the OIDC provider; deploy passes it from $${upstream.name}.`,
          }).stringValue
        : undefined;
  secret('mas-secrets', {
    'encryption-key': new Id(ctx.scope, 'mas-encryption-key', { byteLength: 32 }).hex,
    'signing-key-rsa.pem': new PrivateKey(ctx.scope, 'mas-signing-key', { algorithm: 'RSA', rsaBits: 4096 }).privateKeyPem,
    'database-password': masDatabase,
    'synapse-shared-secret': masShared,
    ...(upstreamSecret ? { 'upstream-client-secret': upstreamSecret } : {}),
  });
  if (ctx.spec.identity.mode === 'keycloak') {
    secret('keycloak-database', { password: password('keycloak-database') });
    secret('keycloak-admin', { username: 'bootstrap-admin', password: password('keycloak-admin') });
    secret('keycloak-mas-client', { secret: upstreamSecret! });
  }
  const turn = password('turn-shared-secret');
  secret('turn-shared-secret', { 'shared-secret': turn });
  return { turn };
}
