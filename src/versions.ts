/**
 * Every version the kit deploys, in one place. A deployment file may override a component's
 * version (`versions:`), for example to roll out a security release before the kit ships it.
 *
 * Bump a version here, run the integration suite (it boots the same Synapse release from PyPI),
 * and say why in the commit message.
 */
export const PINNED_VERSIONS = {
  /** Synapse homeserver; the integration suite installs the same release from PyPI. */
  synapse: '1.163.2',
  /** PostgreSQL major.minor for Synapse, MAS and Keycloak (Synapse needs >= 14). */
  postgres: '17.9',
  elementWeb: '1.12.30',
  /** Matrix Authentication Service. */
  mas: '1.22.0',
  keycloak: '26.7.3',
  coturn: '4.17.0',
  k3s: 'v1.37.0+k3s1',
} as const;

export type ComponentVersions = { readonly [K in keyof typeof PINNED_VERSIONS]: string };

/**
 * The backup tools. The restore drill (test/integration/backup-drill.test.ts) runs the same
 * releases from Debian (scripts/integration/postgres.sh); test/versions.test.ts keeps them equal.
 */
export const BACKUP_TOOL_VERSIONS = {
  pgbackrest: '2.55.1',
  restic: '0.18.0',
} as const;

/**
 * The bundled monitoring stack (spec.monitoring.stack 'bundled'): not overridable per deployment,
 * like the backup tools. The integration tests run the same Prometheus and Alertmanager releases,
 * built from their Go modules by scripts/tools.sh (test/versions.test.ts keeps them equal).
 */
export const MONITORING_VERSIONS = {
  /** Prometheus 3.16.0 is the Go module v0.316.0, the newest the Go module proxy serves (2026-12). */
  prometheus: '3.16.0',
  /** Newest `go list -m -versions github.com/prometheus/alertmanager` lists (2026-12). */
  alertmanager: '0.35.0',
  /**
   * Grafana OSS. Its Go module is not served (and is AGPL, so nothing of it is built here); its
   * release pipeline publishes @grafana/data with the same version, and 13.2.3 is the newest
   * stable one npm serves (2026-12): a real, patched release of the current minor.
   */
  grafana: '13.2.3',
} as const;

/**
 * Group calls (calls.group), the releases ESS Community 26.8 pins; not overridable per deployment.
 * The integration suite boots the same LiveKit release, built from the Go module proxy by
 * scripts/tools.sh (test/versions.test.ts keeps the two equal). lk-jwt-service is served by no
 * package registry here: its configuration follows its documentation for this release.
 */
export const CALL_VERSIONS = {
  livekit: '1.13.5',
  lkJwtService: '0.6.0',
} as const;

/**
 * CloudNativePG (scale.postgres.engine cloudnative-pg): the kit does not install the operator, it
 * creates a Cluster for the cluster's own. This is the release whose Cluster CRD the control-plane
 * test validates the kit's Cluster against (scripts/tools.sh copies it from the Go module).
 */
export const CLOUDNATIVE_PG_VERSION = '1.30.1';

/**
 * Container images, by registry path; the tag comes from the (possibly overridden) version. With a
 * registry mirror every reference is pulled through it as `<mirror>/<reference>`, so one mirror
 * holds every upstream registry's images under their own paths.
 */
export function images(versions: ComponentVersions, registryMirror?: string): Readonly<Record<keyof ReturnType<typeof upstreamImages>, string>> {
  const all = upstreamImages(versions);
  if (registryMirror === undefined) return all;
  return Object.fromEntries(Object.entries(all).map(([key, ref]) => [key, `${registryMirror}/${ref}`])) as Record<keyof typeof all, string>;
}

/** nginx as a non-root user on port 8080: the well-known server and the Synapse router. */
const NGINX_UNPRIVILEGED = 'docker.io/nginxinc/nginx-unprivileged:1.28.0-alpine';

function upstreamImages(versions: ComponentVersions) {
  return {
    synapse: `ghcr.io/element-hq/synapse:v${versions.synapse}`,
    postgres: `docker.io/library/postgres:${versions.postgres}`,
    elementWeb: `docker.io/vectorim/element-web:v${versions.elementWeb}`,
    mas: `ghcr.io/element-hq/matrix-authentication-service:${versions.mas}`,
    keycloak: `quay.io/keycloak/keycloak:${versions.keycloak}`,
    coturn: `docker.io/coturn/coturn:${versions.coturn}`,
    /** The PostgreSQL backup agent (pgBackRest); not overridable per deployment. */
    pgbackrest: `docker.io/woblerr/pgbackrest:${BACKUP_TOOL_VERSIONS.pgbackrest}`,
    /**
     * PostgreSQL under CloudNativePG (scale.postgres.engine cloudnative-pg): CloudNativePG's own
     * operand image, not the library image (its instance manager expects that image's layout and
     * user, uid 26). The same PostgreSQL release as the bundled one, so a deployment file's
     * `versions.postgres` moves both. `standard`: PostgreSQL and its usual extensions on Debian
     * trixie; the `system` flavour (CloudNativePG 1.30's default, with Barman in the image) is
     * deprecated upstream, and the kit does not use in-image Barman.
     */
    cloudnativePgPostgres: `ghcr.io/cloudnative-pg/postgresql:${versions.postgres}-standard-trixie`,
    /** The files backup agent (restic's official image); not overridable per deployment. */
    restic: `docker.io/restic/restic:${BACKUP_TOOL_VERSIONS.restic}`,
    /**
     * postgres_exporter, the metrics sidecar beside PostgreSQL; not overridable per deployment.
     * The reference ESS pins (element-hq/ess-helm values.yaml): 0.18 reads PostgreSQL 17's moved
     * checkpoint statistics (Debian's 0.11, which the integration test runs, does not). Docker
     * Hub, as ESS; the project also publishes quay.io/prometheuscommunity, for a mirror.
     */
    postgresExporter: 'docker.io/prometheuscommunity/postgres-exporter:v0.18.1',
    /** The bundled monitoring stack (MONITORING_VERSIONS); not overridable per deployment. */
    prometheus: `quay.io/prometheus/prometheus:v${MONITORING_VERSIONS.prometheus}`,
    alertmanager: `quay.io/prometheus/alertmanager:v${MONITORING_VERSIONS.alertmanager}`,
    /** grafana/grafana is the OSS edition (grafana/grafana-oss stopped at 12.4). */
    grafana: `docker.io/grafana/grafana:${MONITORING_VERSIONS.grafana}`,
    /** The SFU of group calls. */
    livekit: `docker.io/livekit/livekit-server:v${CALL_VERSIONS.livekit}`,
    /** The MatrixRTC authorisation service (Element's image on GitHub's registry). */
    lkJwtService: `ghcr.io/element-hq/lk-jwt-service:${CALL_VERSIONS.lkJwtService}`,
    /**
     * The replication bus of Synapse's workers (Synapse speaks Redis's protocol); not overridable
     * per deployment. Valkey, the Linux Foundation's fork of Redis OSS 7.2.4, because Redis itself
     * left open source with 7.4 (RSALv2/SSPLv1; ESS pins redis:7.4-alpine) and a government's
     * bill of materials should not carry that. 8.1.10 is the 8.1 line's security release of
     * 2026-08-31; the integration test runs Debian's Redis 7.0 with the same configuration.
     */
    valkey: 'docker.io/valkey/valkey:8.1.10-alpine',
    /** Serves the .well-known delegation files; not overridable per deployment. */
    wellKnown: NGINX_UNPRIVILEGED,
    /** The router between the ingress and Synapse's workers: the same nginx. */
    synapseRouter: NGINX_UNPRIVILEGED,
  } as const;
}

/**
 * Terraform providers the synthesized stacks require, pinned exactly (every stack's
 * required_providers is rewritten to these). scripts/tools.sh builds the same versions from
 * source; test/versions.test.ts fails when the two disagree. kubernetes is the version the
 * @cdktf/provider-kubernetes bindings were generated from; random and tls are newer than their
 * prebuilt bindings (same major version; `tofu validate` proves the resources we use match).
 */
export const PROVIDER_VERSIONS: Readonly<Record<string, string>> = {
  hcloud: '1.68.0',
  kubernetes: '2.38.0',
  openstack: '3.4.0',
  random: '3.9.0',
  tls: '4.2.1',
};

/** Operating system image of the Hetzner k3s node. */
export const HETZNER_IMAGE = 'debian-12';
