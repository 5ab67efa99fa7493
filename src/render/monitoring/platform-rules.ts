import type { DeploymentSpec } from '../../config/spec';
import { DATA_MOUNT, NODE_EXPORTER_UNIT } from '../k3s-node';
import { namespaceName, turnNamespaceName } from '../namespace';
import { SYNAPSE_UPSTREAMS } from '../synapse';
import { TRAEFIK_METRICS } from '../traefik';
import type { AlertRule } from './rule-types';
import { SCRAPE_JOBS } from './scrape-config';

/**
 * What the deployment runs on: the disk and the certificates, from where they are measured. On
 * the kit's k3s node (Hetzner) node_exporter reports the data volume and Traefik its ACME
 * certificates; on an existing cluster the cluster's Prometheus Operator stack scrapes the
 * kubelets (one volume per PersistentVolumeClaim) and cert-manager.
 *
 * PostgreSQL's disk has no rule of its own: its data (and WAL) lie on the data volume (k3s) or
 * its own claim (existing cluster), so these rules cover it, and their runbooks say how to see
 * which database grew.
 */

/** Share of a volume in use from which it counts as almost full (warning) and full (critical). */
export const VOLUME_USED_WARNING = 0.8;
export const VOLUME_USED_CRITICAL = 0.9;
/** How far ahead the trend of the free space is extrapolated (critical when it reaches 0), in seconds. */
export const VOLUME_FULL_HORIZON_SECONDS = 24 * 3600;
/** The window the trend is fitted over: long enough that a burst (a large upload) is not a trend. */
export const VOLUME_TREND_WINDOW = '6h';
/** Days before a certificate's expiry from which it is reported. ACME clients renew 30 days ahead. */
export const CERTIFICATE_EXPIRY_WARNING_DAYS = 14;

const DAY_SECONDS = 86400;

/** The free-space comparisons of both volume alerts, for one volume selector. */
function volumeExprs(avail: string, size: string): { almostFull: string; full: string } {
  const free = `${avail} / ${size}`;
  return {
    almostFull: `${free} < ${round(1 - VOLUME_USED_WARNING)}`,
    full: [`${free} < ${round(1 - VOLUME_USED_CRITICAL)}`, `  or predict_linear(${avail}[${VOLUME_TREND_WINDOW}], ${VOLUME_FULL_HORIZON_SECONDS}) < 0`].join('\n'),
  };
}

/** 1 - 0.8 is 0.19999999999999996 in floating point; the rule says 0.2. */
function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** The data volume's device on the node, as the infra stacks attach it (stacks/*-infra.ts). */
const DATA_DEVICE_HINT = {
  hetzner: '/dev/disk/by-id/scsi-0HC_Volume_<volume id>',
  openstack: '/dev/disk/by-id/virtio-<first 20 characters of the volume id>',
} as const;

/** The alerts of the kit's k3s node: its exporters answering, its data volume, its certificates. */
export function k3sNodeRules(spec: DeploymentSpec): AlertRule[] {
  const ns = namespaceName(spec);
  const ssh = `ssh root@<the node's address, \`tofu output ipv4\` of the infra stack>`;
  const fs = `job="${SCRAPE_JOBS.node}",mountpoint="${DATA_MOUNT}"`;
  const volume = volumeExprs(`node_filesystem_avail_bytes{${fs}}`, `node_filesystem_size_bytes{${fs}}`);
  const traefik = `kubectl -n ${TRAEFIK_METRICS.namespace}`;
  const volumeRunbook = [
    `1. See what fills it: \`${ssh} du -xh --max-depth=2 ${DATA_MOUNT} | sort -h | tail -20\`. storage/ holds the persistent volumes (PostgreSQL, media, the bundled Prometheus), k3s/ the cluster and its images.`,
    `2. PostgreSQL: \`kubectl -n ${ns} exec statefulset/${SYNAPSE_UPSTREAMS.postgres} -c ${SYNAPSE_UPSTREAMS.postgres} -- psql -U postgres -c "SELECT datname, pg_size_pretty(pg_database_size(datname)) FROM pg_database ORDER BY pg_database_size(datname) DESC"\`. A growing pg_wal while the WalArchivingFailing or WalArchivingStalled alert fires is WAL waiting for the archive: fix that first.`,
    '3. Media: Synapse keeps uploads and remote media; purge old remote media with the admin API (`/_synapse/admin/v1/purge_media_cache`), or set a media retention in `extra.synapse`.',
    `4. Grow the volume: raise \`target.${spec.target.kind}.volume_size_gib\` in the deployment file, \`sovereign-matrix deploy\`, then \`${ssh} resize2fs ${DATA_DEVICE_HINT[spec.target.kind === 'openstack' ? 'openstack' : 'hetzner']}\` (ext4 grows online). Volumes only grow; check the price with \`sovereign-matrix diff\` first.`,
  ].join('\n');
  return [
    {
      alert: 'NodeExporterDown',
      expr: `up{job="${SCRAPE_JOBS.node}"} == 0`,
      for: '5m',
      labels: { severity: 'warning' },
      annotations: {
        summary: "The node's metrics (node_exporter) are unreachable: the data volume is not watched.",
        description: `For 5 minutes Prometheus has not reached node_exporter on the k3s node's private address. The DataVolumeAlmostFull and DataVolumeFull alerts cannot fire meanwhile.`,
        runbook: [
          `1. Run \`${ssh} systemctl status ${NODE_EXPORTER_UNIT}\`: it restarts every 10 s when it fails; read why with \`${ssh} journalctl -u ${NODE_EXPORTER_UNIT} --since -1h\`.`,
          `2. "cannot assign requested address" means the private network interface has no address: check \`${ssh} ip -4 addr\` and the server's network in the ${spec.target.kind === 'openstack' ? 'OpenStack project (its port on the private network)' : 'Hetzner console'}.`,
          `3. If it runs, check that the Prometheus pod may reach the node: \`kubectl -n ${ns} get networkpolicy\` must allow egress to the node's private address on the exporter's port.`,
        ].join('\n'),
      },
    },
    {
      alert: 'IngressDown',
      expr: `up{job="${SCRAPE_JOBS.traefik}"} == 0`,
      for: '2m',
      labels: { severity: 'critical' },
      annotations: {
        summary: 'Traefik, the ingress of the k3s node, does not answer: clients and other servers cannot reach the deployment.',
        description: `For 2 minutes Prometheus has not reached Traefik's metrics entry point (Service ${TRAEFIK_METRICS.service} in ${TRAEFIK_METRICS.namespace}). Traefik terminates every HTTPS connection and TURN over TLS; certificate expiry is not watched meanwhile.`,
        runbook: [
          `1. Run \`${traefik} get pods -l app.kubernetes.io/name=traefik\`: is the pod Running and Ready?`,
          `2. Run \`${traefik} logs deployment/traefik --since=30m\` (add --previous after a restart) and look for errors in the configuration (a refused argument makes Traefik exit).`,
          `3. k3s installs Traefik with Helm from the kit's HelmChartConfig: \`${traefik} get helmchartconfig traefik -o yaml\` and the installer's log \`${traefik} logs job/helm-install-traefik\`.`,
          `4. Check from outside that the site answers: \`curl -sI https://${spec.hostnames.matrix}/_matrix/client/versions\`.`,
        ].join('\n'),
      },
    },
    {
      alert: 'DataVolumeAlmostFull',
      expr: volume.almostFull,
      for: '15m',
      labels: { severity: 'warning' },
      annotations: {
        summary: `The k3s node's data volume is more than ${VOLUME_USED_WARNING * 100} % full.`,
        description: `For 15 minutes more than ${VOLUME_USED_WARNING * 100} % of the data volume (${DATA_MOUNT}: PostgreSQL, media, k3s) has been in use. When it is full, PostgreSQL stops accepting writes and uploads fail.`,
        runbook: volumeRunbook,
      },
    },
    {
      alert: 'DataVolumeFull',
      expr: volume.full,
      for: '15m',
      labels: { severity: 'critical' },
      annotations: {
        summary: `The k3s node's data volume is more than ${VOLUME_USED_CRITICAL * 100} % full, or fills up within a day at its current rate.`,
        description: `For 15 minutes the data volume (${DATA_MOUNT}) has had less than ${round((1 - VOLUME_USED_CRITICAL) * 100)} % free, or the trend of its free space over the last ${VOLUME_TREND_WINDOW} reaches zero within 24 hours. PostgreSQL stops when it cannot write.`,
        runbook: volumeRunbook,
      },
    },
    {
      alert: 'CertificateExpiresSoon',
      // Traefik keeps the series of a replaced certificate (its old serial) until it restarts, so
      // the newest certificate per name list counts, not each serial.
      expr: `max by (cn, sans) (traefik_tls_certs_not_after{job="${SCRAPE_JOBS.traefik}"}) - time() < ${CERTIFICATE_EXPIRY_WARNING_DAYS} * ${DAY_SECONDS}`,
      for: '1h',
      labels: { severity: 'warning' },
      annotations: {
        summary: `A certificate Traefik serves expires in less than ${CERTIFICATE_EXPIRY_WARNING_DAYS} days: its renewal is failing.`,
        description: `Traefik renews its ACME certificates 30 days before they expire; the one for the names in the alert's sans label (cn is empty when the CA leaves the subject out, as Pebble does) still expires in less than ${CERTIFICATE_EXPIRY_WARNING_DAYS} days. When it expires, clients and other Matrix servers refuse the connection.`,
        runbook: [
          `1. Read why the renewal fails: \`${traefik} logs deployment/traefik --since=24h | grep -i -E 'acme|certificate'\`. Rate limits, DNS that does not point to the node, or port 80 closed all show there.`,
          `2. HTTP-01 needs port 80 from the internet: \`curl -sI http://<the host in sans>/.well-known/acme-challenge/test\` from outside must reach Traefik (a 404 from Traefik is fine).`,
          `3. Check the ACME server in the deployment file (\`tls.acme_server\`) answers: \`curl -s <acme_server>\`.`,
          `4. After fixing, \`${traefik} rollout restart deployment/traefik\` retries at once (the certificates are kept on its volume). The restart also drops series of certificates no route uses any more.`,
        ].join('\n'),
      },
    },
  ];
}

/**
 * The alerts of a deployment on an existing cluster, from what the operator's stack scrapes there:
 * kubelet volume statistics of the deployment's claims, and cert-manager's certificates in its
 * namespaces (the Ingress certificate; the TURN one with a ClusterIssuer).
 */
export function clusterRules(spec: DeploymentSpec): AlertRule[] {
  const ns = namespaceName(spec);
  const namespaces = `${ns}|${turnNamespaceName(ns)}`;
  const pvc = `namespace="${ns}"`;
  const volume = volumeExprs(`kubelet_volume_stats_available_bytes{${pvc}}`, `kubelet_volume_stats_capacity_bytes{${pvc}}`);
  const cert = 'certmanager_certificate_expiration_timestamp_seconds';
  const volumeRunbook = [
    `1. The alert's persistentvolumeclaim label names the claim: \`kubectl -n ${ns} get pvc\` lists them with their size.`,
    `2. PostgreSQL's claim: \`kubectl -n ${ns} exec statefulset/${SYNAPSE_UPSTREAMS.postgres} -c ${SYNAPSE_UPSTREAMS.postgres} -- psql -U postgres -c "SELECT datname, pg_size_pretty(pg_database_size(datname)) FROM pg_database ORDER BY pg_database_size(datname) DESC"\`; a growing pg_wal while WalArchivingFailing or WalArchivingStalled fires is WAL waiting for the archive.`,
    '3. The media claim: purge old remote media with the admin API (`/_synapse/admin/v1/purge_media_cache`), or set a media retention in `extra.synapse`.',
    `4. Grow the claim if its StorageClass allows expansion (\`kubectl get storageclass -o custom-columns=NAME:.metadata.name,EXPAND:.allowVolumeExpansion\`): a larger \`size\` profile, then \`sovereign-matrix deploy\`; \`sovereign-matrix diff\` shows what changes.`,
  ].join('\n');
  return [
    {
      alert: 'PersistentVolumeAlmostFull',
      expr: volume.almostFull,
      for: '15m',
      labels: { severity: 'warning' },
      annotations: {
        summary: `A persistent volume of the deployment is more than ${VOLUME_USED_WARNING * 100} % full.`,
        description: `For 15 minutes more than ${VOLUME_USED_WARNING * 100} % of a PersistentVolumeClaim in ${ns} (label persistentvolumeclaim) has been in use. When PostgreSQL's is full it stops accepting writes; when the media one is, uploads fail.`,
        runbook: volumeRunbook,
      },
    },
    {
      alert: 'PersistentVolumeFull',
      expr: volume.full,
      for: '15m',
      labels: { severity: 'critical' },
      annotations: {
        summary: `A persistent volume of the deployment is more than ${VOLUME_USED_CRITICAL * 100} % full, or fills up within a day at its current rate.`,
        description: `For 15 minutes a PersistentVolumeClaim in ${ns} has had less than ${round((1 - VOLUME_USED_CRITICAL) * 100)} % free, or the trend of its free space over the last ${VOLUME_TREND_WINDOW} reaches zero within 24 hours.`,
        runbook: volumeRunbook,
      },
    },
    {
      alert: 'CertificateExpiresSoon',
      // A ServiceMonitor without honorLabels moves cert-manager's own `namespace` label (the
      // Certificate's) to `exported_namespace`; either form is read.
      expr: `max by (namespace, exported_namespace, name) (${cert}{namespace=~"${namespaces}"} or ${cert}{exported_namespace=~"${namespaces}"}) - time() < ${CERTIFICATE_EXPIRY_WARNING_DAYS} * ${DAY_SECONDS}`,
      for: '1h',
      labels: { severity: 'warning' },
      annotations: {
        summary: `A certificate of the deployment expires in less than ${CERTIFICATE_EXPIRY_WARNING_DAYS} days: cert-manager's renewal is failing.`,
        description: `cert-manager renews certificates well before they expire (two thirds into their life by default); the Certificate in the alert's labels (name, namespace) still expires in less than ${CERTIFICATE_EXPIRY_WARNING_DAYS} days.`,
        runbook: [
          `1. Run \`kubectl -n ${ns} describe certificate <name>\` (the TURN certificate lives in ${turnNamespaceName(ns)}) and read its conditions and events.`,
          `2. Follow the chain: \`kubectl -n ${ns} get certificaterequests,orders,challenges\` and describe the newest; a pending HTTP-01 challenge means the ingress does not route /.well-known/acme-challenge/ from the internet.`,
          '3. Read cert-manager\'s own log: `kubectl -n cert-manager logs deployment/cert-manager --since=24h | grep -i error`.',
          `4. After fixing, \`kubectl -n ${ns} delete certificaterequest --all\` makes cert-manager try again at once.`,
        ].join('\n'),
      },
    },
  ];
}
