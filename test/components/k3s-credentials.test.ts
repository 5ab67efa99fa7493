import { Testing } from 'cdktf';
import { K3sCredentials } from '../../src/components/k3s-credentials';

type Json = Record<string, any>;

describe('K3sCredentials', () => {
  let credentials!: K3sCredentials;
  const json: Json = JSON.parse(
    Testing.synthScope((scope) => {
      credentials = new K3sCredentials(scope, 'k3s', { name: 'ministry', validityHours: 87600 });
    }),
  ).resource;

  it('makes a server CA and a client CA of the deployment, on ECDSA P-256 keys', () => {
    const cas = Object.values(json.tls_self_signed_cert as Json);
    expect(cas.map((c) => c.subject[0].common_name).sort()).toEqual(['ministry k3s client CA', 'ministry k3s server CA']);
    for (const ca of cas) expect(ca).toMatchObject({ is_ca_certificate: true, validity_period_hours: 87600, allowed_uses: expect.arrayContaining(['cert_signing']) });
    const keys = Object.values(json.tls_private_key as Json);
    expect(keys).toHaveLength(3);
    for (const key of keys) expect(key).toEqual({ algorithm: 'ECDSA', ecdsa_curve: 'P256' });
  });

  it('signs a cluster-admin client certificate (system:masters) with the client CA, renewed in its last 30 days', () => {
    const [request] = Object.values(json.tls_cert_request as Json);
    expect(request.subject).toEqual([{ common_name: 'sovereign-matrix', organization: 'system:masters' }]);
    const [client] = Object.values(json.tls_locally_signed_cert as Json);
    expect(client).toMatchObject({ validity_period_hours: 87600, early_renewal_hours: 720, allowed_uses: ['digital_signature', 'key_encipherment', 'client_auth'] });
    expect(client.ca_cert_pem).toMatch(/tls_self_signed_cert\.k3s_client-ca-cert_[0-9A-F]+\.cert_pem/);
    expect(client.ca_cert_pem).not.toMatch(/server-ca/);
  });

  it('hands out references to the keys, never key material', () => {
    for (const pair of [credentials.serverCa, credentials.clientCa, credentials.client]) {
      expect(pair.keyPem).toMatch(/^\$\{TfToken\[/);
      expect(pair.certPem).toMatch(/^\$\{TfToken\[/);
    }
    expect(JSON.stringify(json)).not.toMatch(/BEGIN (EC )?PRIVATE KEY/);
  });
});
