import { Construct } from 'constructs';
import { KubeObject } from './kube-object';
import { CERT_RESOLVER } from '../../render/traefik';

import { type AppsContext } from './apps-context';
import { ownsNode } from '../../config/node-target';

/** The cert-manager Issuer the kit creates on an existing cluster (from tls.acme_server). */
export const ACME_ISSUER = 'sovereign-matrix-acme';

/** Secret holding the certificate of every public host the Ingress serves (existing cluster). */
export const INGRESS_TLS_SECRET = 'matrix-tls';

/** Secret coturn reads its TURNS certificate from. */
export const TURN_TLS_SECRET = 'turn-tls';

/** How the public Ingress gets its certificate: annotations, and the Secret cert-manager fills. */
export interface IngressTls {
  readonly annotations: Readonly<Record<string, string>>;
  readonly secretName?: string;
}

/**
 * Where certificates come from. On the kit's k3s, Traefik's ACME resolver (configured in
 * traefik-config.ts) answers the HTTP-01 challenge and keeps the certificates itself. On an
 * existing cluster the kit cannot configure the ingress controller, so it relies on cert-manager,
 * which must be installed (its CRDs have to exist when OpenTofu plans): either the deployment names
 * a ClusterIssuer of the cluster, or the kit creates a namespaced ACME Issuer from tls.acme_server
 * that solves HTTP-01 through the deployment's IngressClass.
 */
export function ingressCertificates(scope: Construct, ctx: AppsContext): IngressTls {
  const { target, tls } = ctx.spec;
  if (ownsNode(target)) {
    return {
      annotations: {
        'traefik.ingress.kubernetes.io/router.entrypoints': 'websecure',
        'traefik.ingress.kubernetes.io/router.tls': 'true',
        'traefik.ingress.kubernetes.io/router.tls.certresolver': CERT_RESOLVER,
      },
    };
  }
  if (tls.clusterIssuer !== undefined) {
    return { annotations: { 'cert-manager.io/cluster-issuer': tls.clusterIssuer }, secretName: INGRESS_TLS_SECRET };
  }
  new KubeObject(scope, 'acme-issuer', {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Issuer',
    metadata: { name: ACME_ISSUER, namespace: ctx.ns, labels: { ...ctx.labels } },
    spec: {
      acme: {
        server: tls.acmeServer,
        email: tls.acmeEmail,
        // cert-manager creates the ACME account key in this Secret; it never leaves the cluster.
        privateKeySecretRef: { name: `${ACME_ISSUER}-account-key` },
        solvers: [{ http01: { ingress: { ingressClassName: target.ingressClass } } }],
      },
    },
  });
  return { annotations: { 'cert-manager.io/issuer': ACME_ISSUER }, secretName: INGRESS_TLS_SECRET };
}

/**
 * The TURNS certificate on an existing cluster with a ClusterIssuer (on the kit's k3s, Traefik
 * terminates TURN over TLS with its own ACME certificate; see render/traefik.ts): a cert-manager Certificate
 * that fills the Secret coturn reads. Only a ClusterIssuer can do this in general: coturn answers
 * on a node's address, where an HTTP-01 challenge through the ingress would not arrive (a
 * ClusterIssuer can use DNS-01 or an internal CA). Elsewhere the Secret stays optional and coturn
 * serves TURN over UDP and TCP only until one is provided (see docs/deploying.md, Certificates).
 */
export class TurnCertificate extends Construct {
  constructor(scope: Construct, id: string, props: { readonly context: AppsContext; readonly namespace: string }) {
    super(scope, id);
    const ctx = props.context;
    const issuer = ctx.spec.tls.clusterIssuer;
    if (ctx.spec.target.kind !== 'kubernetes' || issuer === undefined) return;
    new KubeObject(this, 'certificate', {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: TURN_TLS_SECRET, namespace: props.namespace, labels: { ...ctx.labels } },
      spec: {
        secretName: TURN_TLS_SECRET,
        dnsNames: [ctx.spec.hostnames.turn],
        issuerRef: { kind: 'ClusterIssuer', name: issuer },
      },
    });
  }
}
