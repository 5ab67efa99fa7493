import type { DeploymentSpec } from '../config/spec';
import { PORTS } from '../ports';
import { envPlaceholder, type RenderedFile } from './files';
import { COTURN_ENV, turnsTerminatedByTraefik } from './coturn';

/** The Traefik certificate resolver the kit configures on its k3s and names on its routes. */
export const CERT_RESOLVER = 'sovereign-matrix';

/** Traefik's entry point for TURN over TLS; the k3s service load balancer exposes it on the node. */
export const TURNS_ENTRYPOINT = 'turns';

/**
 * Traefik's dynamic configuration for TURN over TLS (file provider): a TCP router for the TURN
 * host's SNI on the `turns` entry point, with a certificate from the kit's ACME resolver, to
 * coturn's TCP listener on the node's public address (coturn listens on nothing else; the
 * placeholder is filled with the same address coturn gets).
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
    `          - address: "${envPlaceholder(COTURN_ENV.publicIpv4)}:${PORTS.turn}"`,
    '',
  ].join('\n');
  return [{ path: 'traefik/turns.yaml', content }];
}
