import { Construct } from 'constructs';
import { CertRequest } from '@cdktf/provider-tls/lib/cert-request';
import { LocallySignedCert } from '@cdktf/provider-tls/lib/locally-signed-cert';
import { PrivateKey } from '@cdktf/provider-tls/lib/private-key';
import { SelfSignedCert } from '@cdktf/provider-tls/lib/self-signed-cert';

export interface K3sCredentialsProps {
  /** Deployment name, used in certificate subjects. */
  readonly name: string;
  /** Lifetime of the CAs and the client certificate. */
  readonly validityHours: number;
}

export interface KeyPair {
  readonly certPem: string;
  readonly keyPem: string;
}

/**
 * The trust that lets the apps stack reach the k3s node with no manual step: Terraform makes the
 * cluster's server CA and client CA (k3s keeps CAs it finds at first start and generates the
 * rest) and a client certificate in `system:masters` signed by the client CA. The keys exist only
 * in Terraform state (sensitive) and in the node's user data, never in the synthesized JSON.
 */
export class K3sCredentials extends Construct {
  readonly serverCa: KeyPair;
  readonly clientCa: KeyPair;
  readonly client: KeyPair;

  constructor(scope: Construct, id: string, props: K3sCredentialsProps) {
    super(scope, id);
    this.serverCa = this.certificateAuthority('server-ca', `${props.name} k3s server CA`, props.validityHours);
    this.clientCa = this.certificateAuthority('client-ca', `${props.name} k3s client CA`, props.validityHours);

    const clientKey = this.key('client-key');
    const request = new CertRequest(this, 'client-request', {
      privateKeyPem: clientKey.privateKeyPem,
      // Kubernetes maps O to groups: system:masters is cluster-admin.
      subject: [{ commonName: 'sovereign-matrix', organization: 'system:masters' }],
    });
    const clientCert = new LocallySignedCert(this, 'client-cert', {
      certRequestPem: request.certRequestPem,
      caCertPem: this.clientCa.certPem,
      caPrivateKeyPem: this.clientCa.keyPem,
      validityPeriodHours: props.validityHours,
      // Renewed by a plan within the last 30 days of its life.
      earlyRenewalHours: 30 * 24,
      allowedUses: ['digital_signature', 'key_encipherment', 'client_auth'],
    });
    this.client = { certPem: clientCert.certPem, keyPem: clientKey.privateKeyPem };
  }

  private key(id: string): PrivateKey {
    return new PrivateKey(this, id, { algorithm: 'ECDSA', ecdsaCurve: 'P256' });
  }

  private certificateAuthority(id: string, commonName: string, validityHours: number): KeyPair {
    const key = this.key(`${id}-key`);
    const cert = new SelfSignedCert(this, `${id}-cert`, {
      privateKeyPem: key.privateKeyPem,
      subject: [{ commonName }],
      isCaCertificate: true,
      validityPeriodHours: validityHours,
      allowedUses: ['cert_signing', 'crl_signing', 'digital_signature', 'key_encipherment'],
    });
    return { certPem: cert.certPem, keyPem: key.privateKeyPem };
  }
}
