import type { DeploymentSpec } from '../config/spec';
import { PORTS } from '../ports';
import type { RenderedFile } from './files';

/** Where the well-known server's container finds the rendered JSON files. */
export const WELL_KNOWN_ROOT = '/srv/well-known';

/**
 * nginx server block of the small web server that answers on server_name: the two
 * `.well-known/matrix` files (the client one with CORS, as the spec requires for web clients),
 * and a redirect of everything else to Element Web. It runs unprivileged on PORTS.wellKnown.
 */
export function renderWebServer(spec: DeploymentSpec): RenderedFile[] {
  const headers = [
    '    add_header X-Content-Type-Options nosniff always;',
    "    add_header Content-Security-Policy \"default-src 'none'; frame-ancestors 'none'\" always;",
    '    add_header Referrer-Policy no-referrer always;',
  ];
  const content = [
    '# Rendered by sovereign-matrix; do not edit.',
    'server {',
    `  listen ${PORTS.wellKnown};`,
    `  server_name ${spec.serverName};`,
    '  server_tokens off;',
    '',
    '  location = /.well-known/matrix/server {',
    `    alias ${WELL_KNOWN_ROOT}/server.json;`,
    '    default_type application/json;',
    ...headers,
    '  }',
    '',
    '  location = /.well-known/matrix/client {',
    `    alias ${WELL_KNOWN_ROOT}/client.json;`,
    '    default_type application/json;',
    ...headers,
    "    add_header Access-Control-Allow-Origin '*' always;",
    "    add_header Access-Control-Allow-Methods 'GET, OPTIONS' always;",
    "    add_header Access-Control-Allow-Headers 'X-Requested-With, Content-Type, Authorization' always;",
    '  }',
    '',
    '  location = /healthz {',
    '    access_log off;',
    '    default_type text/plain;',
    '    return 200 "ok\\n";',
    '  }',
    '',
    '  location / {',
    `    return 302 https://${spec.hostnames.web}/;`,
    '  }',
    '}',
    '',
  ].join('\n');
  return [{ path: 'well-known/nginx.conf', content }];
}
