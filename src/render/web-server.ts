import type { DeploymentSpec } from '../config/spec';
import { PORTS } from '../ports';
import type { RenderedFile } from './files';

/** Where the well-known server's container finds the rendered JSON files. */
export const WELL_KNOWN_ROOT = '/srv/well-known';

/** Where the Element Web image keeps the application (and where its config.json is mounted). */
export const ELEMENT_WEB_ROOT = '/app';

/**
 * Both static sites are unprivileged nginx containers whose server block is rendered here and
 * mounted over the image's own (so the headers below are ours, tested with a real nginx, and do
 * not depend on what an image update ships).
 */
export function renderWebServer(spec: DeploymentSpec): RenderedFile[] {
  return [
    { path: 'well-known/nginx.conf', content: wellKnownServer(spec) },
    { path: 'element-web/nginx.conf', content: elementWebServer(spec) },
  ];
}

const HEALTH = ['  location = /healthz {', '    access_log off;', '    default_type text/plain;', '    return 200 "ok\\n";', '  }'];

/**
 * The small web server on server_name: the two `.well-known/matrix` files (the client one with
 * CORS, as the spec requires for web clients) and a redirect of everything else to Element Web.
 * server_name may be the organisation's main domain, so nothing here sets HSTS for it.
 */
function wellKnownServer(spec: DeploymentSpec): string {
  const headers = [
    '    add_header X-Content-Type-Options nosniff always;',
    "    add_header Content-Security-Policy \"default-src 'none'; frame-ancestors 'none'\" always;",
    '    add_header Referrer-Policy no-referrer always;',
  ];
  return [
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
    ...HEALTH,
    '',
    '  location / {',
    `    return 302 https://${spec.hostnames.web}/;`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/**
 * Element Web's own host. The headers are those Element's documentation asks web servers to set
 * (no framing by other sites, no MIME sniffing, the legacy XSS filter in block mode), plus HSTS
 * (the host only exists behind the TLS ingress) and no referrer to other sites. index.html,
 * config.json, version and translations must not be cached, or browsers keep running an old
 * Element or an old configuration after an upgrade; the hashed bundles may be cached.
 * nginx repeats add_header in every location because a location's own add_header replaces the
 * server's.
 */
function elementWebServer(spec: DeploymentSpec): string {
  const headers = [
    '    add_header X-Frame-Options SAMEORIGIN always;',
    '    add_header X-Content-Type-Options nosniff always;',
    '    add_header X-XSS-Protection "1; mode=block" always;',
    "    add_header Content-Security-Policy \"frame-ancestors 'self'\" always;",
    '    add_header Referrer-Policy no-referrer always;',
    '    add_header Strict-Transport-Security "max-age=31536000" always;',
  ];
  return [
    '# Rendered by sovereign-matrix; do not edit.',
    'server {',
    `  listen ${PORTS.elementWeb};`,
    `  server_name ${spec.hostnames.web};`,
    '  server_tokens off;',
    `  root ${ELEMENT_WEB_ROOT};`,
    '  index index.html;',
    '',
    '  location / {',
    ...headers,
    '  }',
    '',
    '  location ~ ^/(index\\.html|config.*\\.json|version|i18n/.*)?$ {',
    ...headers,
    '    add_header Cache-Control "no-cache" always;',
    '  }',
    '',
    ...HEALTH,
    '}',
    '',
  ].join('\n');
}
