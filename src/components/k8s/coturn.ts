import { Construct } from 'constructs';
import { KubeObject, KubeSecret } from './kube-object';
import { TURN_SHARED_SECRET } from './secrets';
import {
  containerSecurityContext,
  POD_DEFAULTS,
  podSecurityContext,
  resources,
  substitutePlaceholders,
} from './workload';
import { TurnCertificate, TURN_TLS_SECRET } from './certificates';
import { COTURN_CERT_PATH, COTURN_ENV, COTURN_KEY_PATH, turnsTerminatedByTraefik } from '../../render/coturn';
import { turnNamespaceName } from '../../render/namespace';

import { type AppsContext, UID } from './apps-context';

/**
 * coturn needs the node's own address for relaying, so it runs with host networking in a
 * namespace of its own (host networking is outside the "restricted" pod security profile).
 * The firewall of the infra stack opens exactly its ports. Its rendered configuration carries
 * placeholders for the shared secret and the public address, filled in at container start.
 */
export interface CoturnProps {
  /** The deployment's context. */
  readonly context: AppsContext;
}

export class Coturn extends Construct {
  constructor(scope: Construct, id: string, props: CoturnProps) {
    super(scope, id);
    const ctx = props.context;
    const turnNs = turnNamespaceName(ctx.ns);
    new KubeObject(this, 'namespace', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: turnNs,
        labels: { ...ctx.labels, 'pod-security.kubernetes.io/enforce': 'privileged', 'pod-security.kubernetes.io/warn': 'baseline' },
      },
    });
    const config = ctx.configMap(this, 'coturn', turnNs);
    new TurnCertificate(this, 'certificate', { context: ctx, namespace: turnNs });
    new KubeSecret(this, 'shared-secret', {
      name: 'turn-shared-secret',
      namespace: turnNs,
      labels: ctx.labels,
      data: { 'shared-secret': TURN_SHARED_SECRET },
    });
    // On the kit's k3s Traefik terminates TURN over TLS; elsewhere coturn does, with the turn-tls certificate.
    const ownTls = !turnsTerminatedByTraefik(ctx.spec);
    const component = 'coturn';
    ctx.deployment(this, component, { digest: config.digest, namespace: turnNs, recreate: true }, {
      ...POD_DEFAULTS,
      hostNetwork: true,
      dnsPolicy: 'ClusterFirstWithHostNet',
      securityContext: podSecurityContext(UID.coturn),
      containers: [
        {
          name: component,
          image: ctx.image.coturn,
          command: ['sh', '-c', `${substitutePlaceholders('/config/turnserver.conf', '/tmp/turnserver.conf')} && exec turnserver -c /tmp/turnserver.conf`],
          env: [
            { name: COTURN_ENV.sharedSecret, valueFrom: { secretKeyRef: { name: 'turn-shared-secret', key: 'shared-secret' } } },
            { name: COTURN_ENV.publicIpv4, value: ctx.turnPublicIpv4 },
          ],
          resources: resources({ cpu: 0.25, memoryGiB: 0.25 }),
          securityContext: containerSecurityContext(UID.coturn),
          volumeMounts: [
            { name: 'config', mountPath: '/config', readOnly: true },
            ...(ownTls ? [{ name: 'tls', mountPath: COTURN_CERT_PATH.slice(0, COTURN_CERT_PATH.lastIndexOf('/')), readOnly: true }] : []),
            { name: 'tmp', mountPath: '/tmp' },
            { name: 'state', mountPath: '/var/lib/coturn' },
          ],
        },
      ],
      volumes: [
        { name: 'config', configMap: { name: config.name } },
        ...(ownTls
          ? [
              {
                // The TURNS certificate (see addTurnCertificate). Optional: without it coturn serves TURN
                // over UDP and TCP and logs that TLS is off.
                name: 'tls',
                secret: {
                  secretName: TURN_TLS_SECRET,
                  optional: true,
                  items: [
                    { key: 'tls.crt', path: COTURN_CERT_PATH.slice(COTURN_CERT_PATH.lastIndexOf('/') + 1) },
                    { key: 'tls.key', path: COTURN_KEY_PATH.slice(COTURN_KEY_PATH.lastIndexOf('/') + 1) },
                  ],
                },
              },
            ]
          : []),
        { name: 'tmp', emptyDir: {} },
        { name: 'state', emptyDir: {} },
      ],
    });
  }
}
