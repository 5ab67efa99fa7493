import { Manifest } from '@cdktf/provider-kubernetes/lib/manifest';

import { type AppsContext } from './apps-context';
import { CERT_RESOLVER } from './ingress';

/**
 * k3s ships Traefik; this adds the ACME certificate resolver the Ingress names, with the
 * deployment's ACME server (an EU CA if configured) and contact, sends HTTP to HTTPS, and
 * stops Traefik from calling home.
 * HelmChartConfig is a k3s CRD present from the first boot, so it can be planned.
 */
export function addTraefikAcme(ctx: AppsContext): void {
  const values = {
    // The chart's defaults ask traefik.io for new versions and send anonymous usage statistics.
    globalArguments: ['--global.checknewversion=false', '--global.sendanonymoususage=false'],
    ports: { web: { redirections: { entryPoint: { to: 'websecure', scheme: 'https', permanent: true } } } },
    persistence: { enabled: true },
    additionalArguments: [
      `--certificatesresolvers.${CERT_RESOLVER}.acme.caserver=${ctx.spec.tls.acmeServer}`,
      `--certificatesresolvers.${CERT_RESOLVER}.acme.email=${ctx.spec.tls.acmeEmail}`,
      `--certificatesresolvers.${CERT_RESOLVER}.acme.storage=/data/acme.json`,
      `--certificatesresolvers.${CERT_RESOLVER}.acme.httpchallenge.entrypoint=web`,
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
