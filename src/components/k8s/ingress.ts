import { Construct } from 'constructs';
import { KubeObject } from './kube-object';
import { PORTS } from '../../ports';
import { KEYCLOAK_PUBLIC_PATHS } from '../../render/keycloak';
import { LK_JWT_PUBLIC_PATHS } from '../../render/matrix-rtc';

import { type AppsContext } from './apps-context';
import { ingressCertificates } from './certificates';
import { synapseFrontService } from './synapse-workers';

/** Client API versions whose login, logout and refresh endpoints MAS answers (its compatibility layer). */
const MAS_COMPAT_VERSIONS = ['r0', 'v3'] as const;
const MAS_COMPAT_ENDPOINTS = ['login', 'logout', 'refresh'] as const;

/**
 * Public routes. Synapse gets only /_matrix and /_synapse/client, never /_synapse/admin or
 * metrics; server_name serves the .well-known delegation; Element Web gets its own host.
 */
export interface IngressProps {
  /** The deployment's context. */
  readonly context: AppsContext;
}

export class Ingress extends Construct {
  constructor(scope: Construct, id: string, props: IngressProps) {
    super(scope, id);
    const ctx = props.context;
    const { hostnames, serverName } = ctx.spec;
    const backend = (name: string, port: number) => ({ service: { name, port: { number: port } } });
    const prefix = (paths: readonly string[], name: string, port: number) =>
      paths.map((path) => ({ path, pathType: 'Prefix' as const, backend: backend(name, port) }));
    // MAS answers the pre-OAuth login, logout and refresh endpoints; longer prefixes win over /_matrix.
    // Synapse's process, or with workers the router that picks one by path.
    const synapse = synapseFrontService(ctx);
    const compat = MAS_COMPAT_VERSIONS.flatMap((v) => MAS_COMPAT_ENDPOINTS.map((e) => `/_matrix/client/${v}/${e}`));
    const rules = [
      {
        host: hostnames.matrix,
        http: { paths: [...prefix(['/_matrix', '/_synapse/client'], synapse.name, synapse.port), ...prefix(compat, 'mas', PORTS.masHttp)] },
      },
      { host: serverName, http: { paths: prefix(['/'], 'well-known', PORTS.wellKnown) } },
      { host: hostnames.web, http: { paths: prefix(['/'], 'element-web', PORTS.elementWeb) } },
      { host: hostnames.auth, http: { paths: prefix(['/'], 'mas', PORTS.masHttp) } },
      ...(ctx.spec.identity.mode === 'keycloak'
        ? [
            {
              host: hostnames.sso,
              // Only the realm endpoints and static resources; never /admin, never the management port.
              http: { paths: prefix(KEYCLOAK_PUBLIC_PATHS.map((p) => p.replace(/\/$/, '')), 'keycloak', PORTS.keycloakHttp) },
            },
          ]
        : []),
      ...(ctx.spec.calls.group.enabled
        ? [
            {
              // Group calls: the authorisation service's client endpoints, everything else the SFU's
              // signalling (WebSocket and the room API lk-jwt-service calls); longer prefixes win.
              host: hostnames.rtc,
              http: { paths: [...prefix(LK_JWT_PUBLIC_PATHS, 'lk-jwt-service', PORTS.lkJwtHttp), ...prefix(['/'], 'livekit', PORTS.livekitHttp)] },
            },
          ]
        : []),
    ];
    const tls = ingressCertificates(this, ctx);
    const ingressClass = ctx.spec.target.kind === 'kubernetes' ? ctx.spec.target.ingressClass : 'traefik';
    new KubeObject(this, 'ingress', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: {
        name: 'matrix',
        namespace: ctx.ns,
        labels: { ...ctx.labels },
        annotations: { ...tls.annotations },
      },
      spec: {
        ingressClassName: ingressClass,
        tls: [{ hosts: rules.map((r) => r.host), ...(tls.secretName === undefined ? {} : { secretName: tls.secretName }) }],
        rules,
      },
    });
  }
}
