/**
 * What the documents say about each piece of software the kit deploys: licence and upstream.
 * Keyed by container image repository (the tag is the version and comes from the synthesized
 * stack). Licences checked November 2026: Synapse, Matrix Authentication Service and Element
 * Web were relicensed from Apache-2.0 to AGPL-3.0 by Element in November 2023 (Element also
 * sells a commercial licence); Element Web may alternatively be used under GPL-3.0-only.
 */
export interface SoftwareEntry {
  /** Key of the image in `images()` (src/versions.ts), or the non-image component. */
  readonly key: string;
  readonly software: string;
  readonly role: string;
  /** SPDX expression of the licence a deployment uses it under. */
  readonly licence: string;
  readonly upstream: string;
}

export const IMAGE_CATALOGUE: Readonly<Record<string, SoftwareEntry>> = {
  'ghcr.io/element-hq/synapse': {
    key: 'synapse',
    software: 'Synapse',
    role: 'Matrix homeserver',
    licence: 'AGPL-3.0-only (or an Element commercial licence)',
    upstream: 'https://github.com/element-hq/synapse',
  },
  'docker.io/library/postgres': {
    key: 'postgres',
    software: 'PostgreSQL',
    role: 'Database of Synapse',
    licence: 'PostgreSQL',
    upstream: 'https://www.postgresql.org/',
  },
  'docker.io/vectorim/element-web': {
    key: 'elementWeb',
    software: 'Element Web',
    role: 'Web client',
    licence: 'AGPL-3.0-only OR GPL-3.0-only (or an Element commercial licence)',
    upstream: 'https://github.com/element-hq/element-web',
  },
  'ghcr.io/element-hq/matrix-authentication-service': {
    key: 'mas',
    software: 'Matrix Authentication Service',
    role: 'Accounts, login and OAuth 2.0 for Synapse',
    licence: 'AGPL-3.0-only (or an Element commercial licence)',
    upstream: 'https://github.com/element-hq/matrix-authentication-service',
  },
  'quay.io/keycloak/keycloak': {
    key: 'keycloak',
    software: 'Keycloak',
    role: 'Bundled identity provider',
    licence: 'Apache-2.0',
    upstream: 'https://www.keycloak.org/',
  },
  'docker.io/coturn/coturn': {
    key: 'coturn',
    software: 'coturn',
    role: 'TURN/STUN server for voice and video',
    licence: 'BSD-3-Clause',
    upstream: 'https://github.com/coturn/coturn',
  },
  'docker.io/livekit/livekit-server': {
    key: 'livekit',
    software: 'LiveKit',
    role: 'SFU of group calls: forwards the (end-to-end encrypted) media of Element Call, stores nothing',
    licence: 'Apache-2.0',
    upstream: 'https://github.com/livekit/livekit',
  },
  'ghcr.io/element-hq/lk-jwt-service': {
    key: 'lkJwtService',
    software: 'lk-jwt-service (MatrixRTC authorisation service)',
    role: 'Exchanges a Matrix OpenID token for a LiveKit token; creates call rooms for the users allowed to start calls',
    licence: 'AGPL-3.0-only (or an Element commercial licence)',
    upstream: 'https://github.com/element-hq/lk-jwt-service',
  },
  'docker.io/woblerr/pgbackrest': {
    key: 'pgbackrest',
    software: 'pgBackRest',
    role: 'PostgreSQL backups: WAL archiving, base backups, point-in-time recovery',
    // pgBackRest itself is MIT; the image (woblerr/docker-pgbackrest) is MIT too.
    licence: 'MIT',
    upstream: 'https://pgbackrest.org/',
  },
  'docker.io/restic/restic': {
    key: 'restic',
    software: 'restic',
    role: 'Backups of media, signing key and configuration',
    licence: 'BSD-2-Clause',
    upstream: 'https://restic.net/',
  },
  'docker.io/prometheuscommunity/postgres-exporter': {
    key: 'postgresExporter',
    software: 'postgres_exporter',
    role: 'PostgreSQL metrics for the scraper (sidecar of PostgreSQL, role with pg_monitor only)',
    licence: 'Apache-2.0',
    upstream: 'https://github.com/prometheus-community/postgres_exporter',
  },
  'quay.io/prometheus/prometheus': {
    key: 'prometheus',
    software: 'Prometheus',
    role: 'Bundled monitoring: scrapes the deployment, evaluates the alert rules',
    licence: 'Apache-2.0',
    upstream: 'https://prometheus.io/',
  },
  'quay.io/prometheus/alertmanager': {
    key: 'alertmanager',
    software: 'Alertmanager',
    role: 'Bundled monitoring: sends the alerts by e-mail',
    licence: 'Apache-2.0',
    upstream: 'https://prometheus.io/docs/alerting/latest/alertmanager/',
  },
  'docker.io/grafana/grafana': {
    key: 'grafana',
    software: 'Grafana (OSS)',
    role: 'Bundled monitoring: the dashboards',
    licence: 'AGPL-3.0-only',
    upstream: 'https://grafana.com/oss/grafana/',
  },
  'docker.io/nginxinc/nginx-unprivileged': {
    key: 'wellKnown',
    software: 'nginx (unprivileged image)',
    role: 'The .well-known delegation, and the router in front of Synapse’s workers',
    licence: 'BSD-2-Clause',
    upstream: 'https://github.com/nginx/docker-nginx-unprivileged',
  },
  'docker.io/valkey/valkey': {
    key: 'valkey',
    software: 'Valkey',
    role: 'Replication bus and shared cache between Synapse’s processes (with workers)',
    licence: 'BSD-3-Clause',
    upstream: 'https://github.com/valkey-io/valkey',
  },
};

/** Components that are not container images of the apps stack. */
export const PLATFORM_CATALOGUE = {
  k3s: {
    key: 'k3s',
    software: 'k3s',
    role: 'Kubernetes distribution on the node',
    licence: 'Apache-2.0',
    upstream: 'https://github.com/k3s-io/k3s',
  },
  traefik: {
    key: 'traefik',
    software: 'Traefik',
    role: 'Ingress controller (bundled with k3s), TLS and ACME',
    licence: 'MIT',
    upstream: 'https://github.com/traefik/traefik',
  },
  debian: {
    key: 'debian',
    software: 'Debian GNU/Linux',
    role: 'Operating system of the node (the cloud’s Debian image)',
    licence: 'DFSG-free licences (per package)',
    upstream: 'https://www.debian.org/',
  },
} as const satisfies Record<string, SoftwareEntry>;

/** `registry/path` and tag of an image reference. */
export function splitImage(image: string): { repository: string; tag: string } {
  const colon = image.lastIndexOf(':');
  const slash = image.lastIndexOf('/');
  if (colon < 0 || colon < slash) return { repository: image, tag: 'latest' };
  return { repository: image.slice(0, colon), tag: image.slice(colon + 1) };
}

/** The registry host of an image reference (`docker.io` for Docker Hub short names). */
export function registryOf(image: string): string {
  const first = image.split('/')[0];
  return image.includes('/') && /[.:]/.test(first) ? first : 'docker.io';
}

/** Hetzner Cloud locations: code -> city and country (the EU ones the kit allows). */
export const HETZNER_LOCATIONS: Readonly<Record<string, { readonly city: string; readonly country: string }>> = {
  fsn1: { city: 'Falkenstein', country: 'Germany' },
  nbg1: { city: 'Nuremberg', country: 'Germany' },
  hel1: { city: 'Helsinki', country: 'Finland' },
};

/** The legal entity behind Hetzner Cloud and where it is seated. */
export const HETZNER_PROVIDER = {
  name: 'Hetzner Online GmbH',
  seat: 'Gunzenhausen, Germany',
  jurisdiction: 'Germany (EU); GDPR applies',
  api: 'https://api.hetzner.cloud/v1',
} as const;
