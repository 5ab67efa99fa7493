import type { DeploymentSpec } from '../config/spec';
import { PORTS } from '../ports';

/**
 * The kit's own k3s node (Hetzner and OpenStack targets), as rendered files see it: its fixed private address,
 * the data volume, and node_exporter's configuration. The infra stack, the node's cloud-init and
 * the scrape configuration all read these, so they live below all three.
 */

/** The private network of a deployment; the node takes a fixed address in its subnet. */
export const NODE_NETWORK = { range: '10.0.0.0/16', subnet: '10.0.1.0/24', nodeIp: '10.0.1.2' } as const;

/**
 * Whether the node's public address sits behind 1:1 NAT: on OpenStack it is a floating IP the
 * router translates to the node's private address, so a program on the node can bind only the
 * private one; on Hetzner the public address is on the NIC.
 */
export function publicAddressBehindNat(spec: DeploymentSpec): boolean {
  return spec.target.kind === 'openstack';
}

/**
 * The node's address for traffic from inside the cluster to a host-network listener (Traefik to
 * coturn, to the SFU's signalling): its public address where that is on the NIC, its private one
 * behind NAT (a floating IP is not reachable from the node itself on every cloud).
 */
export function nodeAddressInside(spec: DeploymentSpec, publicIpv4: string): string {
  return publicAddressBehindNat(spec) ? NODE_NETWORK.nodeIp : publicIpv4;
}

/** Everything that must survive a server rebuild lives on the data volume, mounted here. */
export const DATA_MOUNT = '/var/lib/sovereign-matrix';

/**
 * Debian's prometheus-node-exporter (1.5.0 on Debian 12, the node's image): pinned by the Debian
 * release, with its security updates through unattended-upgrades like every package of the node.
 */
export const NODE_EXPORTER_PACKAGE = 'prometheus-node-exporter';

/** The systemd unit the package installs. */
export const NODE_EXPORTER_UNIT = 'prometheus-node-exporter.service';

/** The kit's settings for the exporter, read by the unit through the drop-in below. */
export const NODE_EXPORTER_ENV_FILE = '/etc/sovereign-matrix/node-exporter.env';

/** The drop-in that points the package's unit at the kit's settings. */
export const NODE_EXPORTER_DROP_IN = `/etc/systemd/system/${NODE_EXPORTER_UNIT}.d/10-sovereign-matrix.conf`;

/**
 * Mount points the filesystem collector skips: Debian's default list, plus the kubelet's per-pod
 * volumes (a tmpfs for every Secret and token a pod mounts: dozens of series that say nothing
 * about the disk). What stays is the root file system and the data volume (DATA_MOUNT), which
 * holds k3s, its persistent volumes and the bundled Prometheus. No spaces: systemd splits $ARGS
 * at whitespace.
 */
export const NODE_EXPORTER_MOUNT_POINTS_EXCLUDE = '^/(dev|proc|run|sys|mnt|media|var/lib/kubelet/.+|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)';

/**
 * The exporter's arguments. It listens on the node's private address only: pods reach it there
 * (the bundled Prometheus), the internet cannot (the Hetzner firewall filters the public
 * interface, and nothing listens on it). Only the filesystem collector runs: the "volume almost
 * full" alerts are what the kit reads from the node; k3s reports pods' CPU and memory itself.
 */
export function nodeExporterArgs(listenAddress: string): string[] {
  return [
    `--web.listen-address=${listenAddress}:${PORTS.nodeExporter}`,
    '--collector.disable-defaults',
    '--collector.filesystem',
    `--collector.filesystem.mount-points-exclude=${NODE_EXPORTER_MOUNT_POINTS_EXCLUDE}`,
  ];
}

/**
 * The environment file: Debian's unit runs `prometheus-node-exporter $ARGS` and systemd splits
 * $ARGS at whitespace, so no argument may contain any (nor a quote, which would be kept).
 */
export function renderNodeExporterEnv(listenAddress: string): string {
  const args = nodeExporterArgs(listenAddress);
  const bad = args.find((a) => /[\s"'\\]/.test(a));
  if (bad !== undefined) throw new Error(`node_exporter argument with whitespace, a quote or a backslash: ${bad}`);
  return ['# Rendered by sovereign-matrix; do not edit. Read by prometheus-node-exporter.service (drop-in 10-sovereign-matrix.conf).', `ARGS="${args.join(' ')}"`, ''].join('\n');
}

/**
 * The drop-in: the kit's environment file after Debian's /etc/default one (a later file wins for
 * the same variable), so the package's conffile stays untouched. The private address arrives with
 * the network, possibly after the unit starts on a reboot: the unit waits for network-online and
 * retries every 10 s without a start limit instead of failing for good.
 */
export function renderNodeExporterDropIn(): string {
  return [
    '# Rendered by sovereign-matrix; do not edit.',
    '[Unit]',
    'Wants=network-online.target',
    'After=network-online.target',
    'StartLimitIntervalSec=0',
    '',
    '[Service]',
    `EnvironmentFile=${NODE_EXPORTER_ENV_FILE}`,
    'Restart=always',
    'RestartSec=10s',
    '',
  ].join('\n');
}
