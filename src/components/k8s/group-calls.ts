import { GROUP_CALLS_SIZING } from '../../config/sizing';
import { Construct } from 'constructs';
import { KubeObject, KubeSecret } from './kube-object';
import { LIVEKIT_API_SECRET } from './secrets';
import { turnNamespaceName } from '../../render/namespace';
import { containerSecurityContext, POD_DEFAULTS, podSecurityContext, resources, secretFileMounts, substitutePlaceholders } from './workload';
import { componentLabels, selectorLabels } from '../labels';
import { PORTS } from '../../ports';
import { LIVEKIT_ENV, LIVEKIT_SECRET_FILES, LK_JWT_SECRET_FILE } from '../../render/livekit';
import { nodeAddressInside } from '../../render/k3s-node';
import { type AppsContext, UID } from './apps-context';

/** The Secret holding the SFU's API secret, in both namespaces (the same generated value). */
export const LIVEKIT_SECRET_NAME = 'livekit-api-secret';

export interface GroupCallsProps {
  /** The deployment's context. */
  readonly context: AppsContext;
}

/**
 * Group calls: the LiveKit SFU and lk-jwt-service.
 *
 * The SFU needs the node's own address for media (one UDP port per connection in
 * calls.group.media_ports, and ICE/TCP), so like coturn it runs with host networking in the TURN
 * namespace, next to coturn's shared secret, which it reads to mint TURN credentials. Its
 * signalling (WebSocket and room API) reaches it through the ingress: a Service without selector
 * in the deployment's namespace whose one endpoint is the node's address on the signalling port
 * (an Ingress routes only to Services of its own namespace). The Hetzner firewall never opens
 * that port.
 *
 * lk-jwt-service runs like every other component in the deployment's namespace (restricted pod
 * security, default-deny network policies); its environment is its rendered ConfigMap as it is.
 */
export class GroupCalls extends Construct {
  constructor(scope: Construct, id: string, props: GroupCallsProps) {
    super(scope, id);
    const ctx = props.context;
    const group = ctx.spec.calls.group;
    if (!group.enabled) throw new Error('GroupCalls needs calls.group enabled');
    if (!ctx.spec.calls.turn) throw new Error('GroupCalls needs calls.turn (the rules refuse group calls without it)');
    this.sfu(ctx);
    this.authorisationService(ctx);
  }

  private sfu(ctx: AppsContext): void {
    const scope = new Construct(this, 'livekit');
    const turnNs = turnNamespaceName(ctx.ns);
    const config = ctx.configMap(scope, 'livekit', turnNs);
    new KubeSecret(scope, 'api-secret', { name: LIVEKIT_SECRET_NAME, namespace: turnNs, labels: ctx.labels, data: { secret: LIVEKIT_API_SECRET } });
    const keyDir = LIVEKIT_SECRET_FILES.keyFile.slice(0, LIVEKIT_SECRET_FILES.keyFile.lastIndexOf('/'));
    const turnDir = LIVEKIT_SECRET_FILES.turnSecret.slice(0, LIVEKIT_SECRET_FILES.turnSecret.lastIndexOf('/'));
    const component = 'livekit';
    // The key file must not be readable by others (LiveKit refuses it): umask 077 before writing.
    const start = [
      'umask 077',
      substitutePlaceholders('/config/keys.yaml', LIVEKIT_SECRET_FILES.keyFile),
      substitutePlaceholders('/config/livekit.yaml', '/tmp/livekit.yaml'),
      'exec /livekit-server --config /tmp/livekit.yaml',
    ].join(' && ');
    ctx.deployment(scope, component, { digest: config.digest, namespace: turnNs, recreate: true }, {
      ...POD_DEFAULTS,
      hostNetwork: true,
      dnsPolicy: 'ClusterFirstWithHostNet',
      securityContext: podSecurityContext(UID.livekit),
      containers: [
        {
          name: component,
          image: ctx.image.livekit,
          command: ['sh', '-c', start],
          env: [
            { name: LIVEKIT_ENV.nodeIp, value: ctx.turnPublicIpv4 },
            { name: LIVEKIT_ENV.apiSecret, valueFrom: { secretKeyRef: { name: LIVEKIT_SECRET_NAME, key: 'secret' } } },
          ],
          // LiveKit answers 200 on / once its signalling listens (on the node's address: host network).
          readinessProbe: { httpGet: { path: '/', port: PORTS.livekitHttp }, periodSeconds: 10 },
          livenessProbe: { httpGet: { path: '/', port: PORTS.livekitHttp }, initialDelaySeconds: 10, periodSeconds: 30 },
          resources: resources(GROUP_CALLS_SIZING.livekit),
          securityContext: containerSecurityContext(UID.livekit),
          volumeMounts: [
            { name: 'config', mountPath: '/config', readOnly: true },
            { name: 'keys', mountPath: keyDir },
            { name: 'turn-secret', mountPath: turnDir, readOnly: true },
            { name: 'tmp', mountPath: '/tmp' },
          ],
        },
      ],
      volumes: [
        { name: 'config', configMap: { name: config.name } },
        { name: 'keys', emptyDir: { medium: 'Memory' } },
        {
          name: 'turn-secret',
          // coturn's Secret in this namespace; no permission for others, or LiveKit refuses it.
          secret: { secretName: 'turn-shared-secret', defaultMode: 0o400, items: [{ key: 'shared-secret', path: LIVEKIT_SECRET_FILES.turnSecret.slice(turnDir.length + 1) }] },
        },
        { name: 'tmp', emptyDir: {} },
      ],
    });
    // The ingress's way to the SFU's signalling port on the node (see the class comment).
    const service = new Construct(this, 'sfu-service');
    new KubeObject(service, 'service', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: component, namespace: ctx.ns, labels: componentLabels(ctx.spec.name, component) },
      spec: { ports: [{ name: 'signalling', port: PORTS.livekitHttp, targetPort: PORTS.livekitHttp, protocol: 'TCP' }] },
    });
    new KubeObject(service, 'endpoints', {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: component,
        namespace: ctx.ns,
        labels: { ...componentLabels(ctx.spec.name, component), 'kubernetes.io/service-name': component },
      },
      addressType: 'IPv4',
      // The SFU listens with hostNetwork; behind NAT (OpenStack) the ingress reaches it on the private address.
      endpoints: [{ addresses: [nodeAddressInside(ctx.spec, ctx.turnPublicIpv4)] }],
      ports: [{ name: 'signalling', port: PORTS.livekitHttp, protocol: 'TCP' }],
    });
  }

  private authorisationService(ctx: AppsContext): void {
    const scope = new Construct(this, 'lk-jwt-service');
    const component = 'lk-jwt-service';
    const config = ctx.configMap(scope, component);
    const secret = secretFileMounts([{ secretName: LIVEKIT_SECRET_NAME, key: 'secret', path: LK_JWT_SECRET_FILE }]);
    ctx.deployment(scope, component, { digest: config.digest }, {
      ...POD_DEFAULTS,
      // On the SFU's node: its webhooks come from the node's own network, and a network policy
      // cannot block a pod's own node (Kubernetes documents this), while traffic from another
      // node would need an allowance by address. On the kit's single k3s node this always holds.
      affinity: {
        podAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [
            { labelSelector: { matchLabels: selectorLabels(ctx.spec.name, 'livekit') }, namespaces: [turnNamespaceName(ctx.ns)], topologyKey: 'kubernetes.io/hostname' },
          ],
        },
      },
      securityContext: podSecurityContext(UID.lkJwtService),
      containers: [
        {
          name: component,
          image: ctx.image.lkJwtService,
          envFrom: [{ configMapRef: { name: config.name } }],
          ports: [{ name: 'http', containerPort: PORTS.lkJwtHttp, protocol: 'TCP' }],
          readinessProbe: { httpGet: { path: '/healthz', port: PORTS.lkJwtHttp }, periodSeconds: 10 },
          livenessProbe: { httpGet: { path: '/healthz', port: PORTS.lkJwtHttp }, initialDelaySeconds: 5, periodSeconds: 30 },
          resources: resources(GROUP_CALLS_SIZING.lkJwtService),
          securityContext: containerSecurityContext(UID.lkJwtService),
          volumeMounts: secret.mounts,
        },
      ],
      volumes: secret.volumes,
    });
    ctx.service(scope, component, PORTS.lkJwtHttp);
  }
}
