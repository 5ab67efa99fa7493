import { Manifest } from '@cdktf/provider-kubernetes/lib/manifest';

import { type AppsContext } from './apps-context';
import { CERT_RESOLVER } from './certificates';
import { PORTS } from '../../ports';
import { COTURN_ENV } from '../../render/coturn';
import { envPlaceholder } from '../../render/files';
import { TURNS_ENTRYPOINT } from '../../render/traefik';

/**
 * Encoded characters Matrix paths carry and Traefik (3.7, bundled with the pinned k3s) rejects by
 * default: `#` of room aliases (`/directory/room/%23alias%3Aserver`), `%`, and `/` and `?` inside
 * state keys and other identifiers. Synapse decodes its own paths, so the proxy must pass them
 * through unchanged. These options exist from Traefik 3.6; k3s 1.36 and later bundle Traefik 3.7
 * (src/config/rules.ts refuses an older k3s override).
 */
export const MATRIX_ENCODED_CHARACTERS = ['allowEncodedHash', 'allowEncodedPercent', 'allowEncodedSlash', 'allowEncodedQuestionMark'] as const;

/**
 * k3s ships Traefik; this configures it for the deployment: the ACME certificate resolver the
 * Ingress names, with the deployment's ACME server (an EU CA if configured) and contact; HTTP
 * sent to HTTPS; the encoded characters Matrix needs let through; TURN over TLS terminated on
 * 5349 (render/traefik.ts); and no calling home.
 * HelmChartConfig is a k3s CRD present from the first boot, so it can be planned.
 */
export function addTraefikConfig(ctx: AppsContext): void {
  // TURN over TLS (with TURN on): the rendered dynamic configuration, with the address coturn listens on.
  const turns = ctx.files.find((f) => f.path === 'traefik/turns.yaml')?.content.split(envPlaceholder(COTURN_ENV.publicIpv4)).join(ctx.turnPublicIpv4);
  const values = {
    // The chart's defaults ask traefik.io for new versions and send anonymous usage statistics.
    globalArguments: ['--global.checknewversion=false', '--global.sendanonymoususage=false'],
    ports: {
      web: { redirections: { entryPoint: { to: 'websecure', scheme: 'https', permanent: true } } },
      // k3s's service load balancer exposes the entry point on the node, like 80 and 443.
      ...(turns === undefined ? {} : { [TURNS_ENTRYPOINT]: { port: PORTS.turns, expose: { default: true }, exposedPort: PORTS.turns, protocol: 'TCP' } }),
    },
    ...(turns === undefined ? {} : { providers: { file: { enabled: true, watch: true, content: turns } } }),
    persistence: { enabled: true },
    additionalArguments: [
      `--certificatesresolvers.${CERT_RESOLVER}.acme.caserver=${ctx.spec.tls.acmeServer}`,
      `--certificatesresolvers.${CERT_RESOLVER}.acme.email=${ctx.spec.tls.acmeEmail}`,
      `--certificatesresolvers.${CERT_RESOLVER}.acme.storage=/data/acme.json`,
      `--certificatesresolvers.${CERT_RESOLVER}.acme.httpchallenge.entrypoint=web`,
      ...MATRIX_ENCODED_CHARACTERS.map((option) => `--entryPoints.websecure.http.encodedCharacters.${option}=true`),
    ],
  };
  new Manifest(ctx.scope, 'traefik-acme', {
    manifest: {
      apiVersion: 'helm.cattle.io/v1',
      kind: 'HelmChartConfig',
      metadata: { name: 'traefik', namespace: 'kube-system' },
      spec: { valuesContent: JSON.stringify(values, null, 2) },
    },
  });
}
