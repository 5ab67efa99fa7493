import type { DeploymentSpec } from '../config/spec';
import { PORTS } from '../ports';
import { envPlaceholder, type RenderedFile } from './files';
import { COTURN_ENV, turnsTerminatedByTraefik } from './coturn';
import { nodeAddressInside } from './k3s-node';

/** The Traefik certificate resolver the kit configures on its k3s and names on its routes. */
export const CERT_RESOLVER = 'sovereign-matrix';

/** Traefik's entry point for TURN over TLS; the k3s service load balancer exposes it on the node. */
export const TURNS_ENTRYPOINT = 'turns';

/**
 * Traefik's Prometheus metrics on the kit's k3s: the chart's `metrics` entry point (never exposed
 * on the node), and the ClusterIP Service the chart creates for it with
 * `metrics.prometheus.service.enabled`, named `<chart fullname>-metrics` (charts 39 to 41, which
 * k3s 1.36 and 1.37 bundle), in kube-system where k3s installs Traefik.
 */
export const TRAEFIK_METRICS = { entryPoint: 'metrics', service: 'traefik-metrics', namespace: 'kube-system', path: '/metrics' } as const;

/**
 * Traefik's dynamic configuration for TURN over TLS (file provider): a TCP router for the TURN
 * host's SNI on the `turns` entry point, with a certificate from the kit's ACME resolver, to
 * coturn's TCP listener on the address coturn binds (nothing else): the node's public address,
 * whose placeholder is filled with the same address coturn gets, or behind NAT (OpenStack) its
 * private one.
 */
export function renderTraefik(spec: DeploymentSpec): RenderedFile[] {
  if (!turnsTerminatedByTraefik(spec)) return [];
  const content = [
    '# Rendered by sovereign-matrix; do not edit.',
    '# TURN over TLS: Traefik terminates TLS with the ACME certificate and forwards TURN over TCP to coturn.',
    'tcp:',
    '  routers:',
    '    turns:',
    `      entryPoints: [${TURNS_ENTRYPOINT}]`,
    `      rule: "HostSNI(\`${spec.hostnames.turn}\`)"`,
    '      service: coturn',
    '      tls:',
    `        certResolver: ${CERT_RESOLVER}`,
    '  services:',
    '    coturn:',
    '      loadBalancer:',
    '        servers:',
    `          - address: "${nodeAddressInside(spec, envPlaceholder(COTURN_ENV.publicIpv4))}:${PORTS.turn}"`,
    '',
  ].join('\n');
  return [{ path: 'traefik/turns.yaml', content }];
}
