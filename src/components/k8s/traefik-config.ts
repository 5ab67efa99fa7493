import { Construct } from 'constructs';
import { KubeObject } from './kube-object';

import { type AppsContext } from './apps-context';
import { PORTS } from '../../ports';
import { COTURN_ENV } from '../../render/coturn';
import { envPlaceholder } from '../../render/files';
import { CERT_RESOLVER, TRAEFIK_METRICS, TURNS_ENTRYPOINT } from '../../render/traefik';

/**
 * Encoded characters Matrix paths carry: `#` of room aliases (`/directory/room/%23alias%3Aserver`),
 * `%`, and `/` and `?` inside state keys and other identifiers. Synapse decodes its own paths, so
 * the proxy must pass them through unchanged. Traefik 3.6.4 to 3.6.6 rejected them by default;
 * later releases allow them again. The kit sets them explicitly so that no Traefik default decides
 * whether room aliases work (the integration test shows each option takes effect). Traefik refuses
 * options it does not know, so src/config/rules.ts refuses a k3s older than 1.36.
 */
export const MATRIX_ENCODED_CHARACTERS = ['allowEncodedHash', 'allowEncodedPercent', 'allowEncodedSlash', 'allowEncodedQuestionMark'] as const;

/** The ConfigMap (in kube-system) and the directory where Traefik reads the kit's dynamic configuration. */
export const TRAEFIK_FILES = { configMap: 'sovereign-matrix-traefik', mountPath: '/sovereign-matrix' } as const;

/**
 * k3s ships Traefik; this configures it for the deployment: the ACME certificate resolver the
 * Ingress names, with the deployment's ACME server (an EU CA if configured) and contact; HTTP
 * sent to HTTPS; the encoded characters Matrix needs let through; TURN over TLS terminated on
 * 5349 (render/traefik.ts); Prometheus metrics (certificate expiry, requests) on an internal entry
 * point the bundled Prometheus scrapes through the chart's metrics Service; and no calling home.
 *
 * The values use only keys the chart has kept across the releases k3s 1.36 and 1.37 bundle
 * (chart 39 to 41): `global.*` (the chart dropped `globalArguments` in 36), `ports.<name>.http.
 * redirections` (moved there in 39), `volumes` and `additionalArguments`. The dynamic
 * configuration comes from a mounted ConfigMap rather than `providers.file.content`, whose type
 * changed from a string (40) to an object (41).
 * HelmChartConfig is a k3s CRD present from the first boot, so it can be planned.
 */
export interface TraefikConfigProps {
  /** The deployment's context. */
  readonly context: AppsContext;
}

export class TraefikConfig extends Construct {
  constructor(scope: Construct, id: string, props: TraefikConfigProps) {
    super(scope, id);
    const ctx = props.context;
    // TURN over TLS (with TURN on): the rendered dynamic configuration, with the address coturn listens on.
    const turns = ctx.files.find((f) => f.path === 'traefik/turns.yaml')?.content.split(envPlaceholder(COTURN_ENV.publicIpv4)).join(ctx.turnPublicIpv4);
    if (turns !== undefined) {
      new KubeObject(this, 'dynamic-config', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: TRAEFIK_FILES.configMap, namespace: 'kube-system', labels: { ...ctx.labels } },
        data: { 'turns.yaml': turns },
      });
    }
    const values = {
      // The chart's defaults ask traefik.io for new versions and send anonymous usage statistics.
      global: { checkNewVersion: false, sendAnonymousUsage: false },
      ports: {
        web: { http: { redirections: { entryPoint: { to: 'websecure', scheme: 'https', permanent: true } } } },
        // k3s's service load balancer exposes the entry point on the node, like 80 and 443.
        ...(turns === undefined ? {} : { [TURNS_ENTRYPOINT]: { port: PORTS.turns, expose: { default: true }, exposedPort: PORTS.turns, protocol: 'TCP' } }),
        // The chart's defaults, set so that no chart default decides: not exposed, so neither the
        // load balancer Service nor the node carries it; only the ClusterIP metrics Service does.
        [TRAEFIK_METRICS.entryPoint]: { port: PORTS.traefikMetrics, expose: { default: false }, exposedPort: PORTS.traefikMetrics, protocol: 'TCP' },
      },
      // traefik_tls_certs_not_after (the ACME certificates' expiry), and requests by entry point
      // and by service. Router labels stay off (the chart's default): one series per Ingress path.
      metrics: {
        prometheus: {
          entryPoint: TRAEFIK_METRICS.entryPoint,
          addEntryPointsLabels: true,
          addServicesLabels: true,
          service: { enabled: true },
        },
      },
      ...(turns === undefined ? {} : { volumes: [{ name: TRAEFIK_FILES.configMap, mountPath: TRAEFIK_FILES.mountPath, type: 'configMap' }] }),
      persistence: { enabled: true },
      additionalArguments: [
        `--certificatesresolvers.${CERT_RESOLVER}.acme.caserver=${ctx.spec.tls.acmeServer}`,
        `--certificatesresolvers.${CERT_RESOLVER}.acme.email=${ctx.spec.tls.acmeEmail}`,
        `--certificatesresolvers.${CERT_RESOLVER}.acme.storage=/data/acme.json`,
        `--certificatesresolvers.${CERT_RESOLVER}.acme.httpchallenge.entrypoint=web`,
        ...MATRIX_ENCODED_CHARACTERS.map((option) => `--entryPoints.websecure.http.encodedCharacters.${option}=true`),
        ...(turns === undefined ? [] : [`--providers.file.directory=${TRAEFIK_FILES.mountPath}`, '--providers.file.watch=true']),
      ],
    };
    new KubeObject(this, 'helm-chart-config', {
      apiVersion: 'helm.cattle.io/v1',
      kind: 'HelmChartConfig',
      metadata: { name: 'traefik', namespace: 'kube-system' },
      spec: { valuesContent: JSON.stringify(values, null, 2) },
    });
  }
}
