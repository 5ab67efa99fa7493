import { Fn, Token } from 'cdktf';
import { stringify } from 'yaml';
import type { DeploymentSpec } from '../config/spec';
import {
  DATA_MOUNT,
  NODE_EXPORTER_DROP_IN,
  NODE_EXPORTER_ENV_FILE,
  NODE_EXPORTER_PACKAGE,
  renderNodeExporterDropIn,
  renderNodeExporterEnv,
} from '../render/k3s-node';

export { DATA_MOUNT };

/**
 * The cloud-init user data of the k3s node, as typed data. The stack hands this structure to
 * Terraform's yamlencode (values such as certificates are only known at apply time); tests
 * serialize the same structure with realistic values and run the real `cloud-init schema` on it.
 */

/** The subset of cloud-config the node uses (https://cloudinit.readthedocs.io, module reference). */
export interface CloudConfig {
  readonly hostname: string;
  readonly fqdn: string;
  readonly prefer_fqdn_over_hostname: boolean;
  readonly ssh_pwauth: boolean;
  readonly package_update: boolean;
  readonly package_upgrade: boolean;
  readonly packages: readonly string[];
  readonly write_files: readonly WriteFile[];
  /** Only where the cloud hands over an unformatted volume (OpenStack); Hetzner formats it. */
  readonly fs_setup?: readonly FsSetup[];
  readonly mounts: readonly (readonly string[])[];
  readonly runcmd: readonly (readonly string[])[];
}

/** cloud-init's cc_disk_setup filesystem entry. */
export interface FsSetup {
  readonly label: string;
  readonly filesystem: 'ext4';
  readonly device: string;
  /** The whole device, no partition table. */
  readonly partition: 'none';
  /** Never: a filesystem already on the volume (a rebuilt server) is kept. */
  readonly overwrite: false;
}

export interface WriteFile {
  readonly path: string;
  readonly content: string;
  readonly permissions: string;
  readonly owner: string;
}

/** Values only Terraform knows: tokens in the stack, sample values in tests. */
export interface NodeInputs {
  /** Stable device path of the data volume (/dev/disk/by-id/...), as the cloud names it. */
  readonly dataDevice: string;
  /** Make an ext4 filesystem on the volume when it has none (a new OpenStack volume is blank). */
  readonly formatDataDevice?: boolean;
  readonly publicIpv4: string;
  readonly privateIpv4: string;
  readonly serverCaCertPem: string;
  readonly serverCaKeyPem: string;
  readonly clientCaCertPem: string;
  readonly clientCaKeyPem: string;
}

/** k3s's data directory (cluster state, certificates) on the volume, so a rebuilt server resumes the same cluster. */
export const K3S_DATA_DIR = `${DATA_MOUNT}/k3s`;
/** Where k3s's local-path provisioner creates persistent volumes (PostgreSQL, media). */
export const STORAGE_DIR = `${DATA_MOUNT}/storage`;
/** Filesystem label of the data volume where cloud-init formats it. */
export const DATA_LABEL = 'sm-data';
/** Pod network of k3s (its default cluster CIDR). */
export const POD_CIDR = '10.42.0.0/16';
/** The cloud's metadata service (Hetzner, OpenStack), which serves the user data (with the CA keys) to anything on the host. */
export const METADATA_ADDRESS = '169.254.169.254/32';

const CA_FILES = ['server-ca.crt', 'server-ca.key', 'client-ca.crt', 'client-ca.key'] as const;
const STAGED_TLS_DIR = '/etc/sovereign-matrix/tls';

export function nodeHostname(spec: DeploymentSpec): string {
  return `${spec.name}-k3s`;
}

export function cloudConfig(spec: DeploymentSpec, inputs: NodeInputs): CloudConfig {
  const k3sVersion = spec.versions.k3s;
  const ca: Record<(typeof CA_FILES)[number], string> = {
    'server-ca.crt': inputs.serverCaCertPem,
    'server-ca.key': inputs.serverCaKeyPem,
    'client-ca.crt': inputs.clientCaCertPem,
    'client-ca.key': inputs.clientCaKeyPem,
  };
  return {
    hostname: nodeHostname(spec),
    fqdn: spec.hostnames.matrix,
    prefer_fqdn_over_hostname: false,
    ssh_pwauth: false,
    package_update: true,
    package_upgrade: true,
    packages: ['curl', 'ca-certificates', 'iptables', 'unattended-upgrades'],
    write_files: [
      {
        path: '/etc/rancher/k3s/config.yaml',
        permissions: '0600',
        owner: 'root:root',
        content: stringify(k3sConfig()),
      },
      // Addresses are only known at apply time; k3s merges config.yaml.d/ into its configuration.
      {
        path: '/etc/rancher/k3s/config.yaml.d/10-addresses.yaml',
        permissions: '0600',
        owner: 'root:root',
        content: k3sAddressConfig(spec, inputs),
      },
      // Staged outside the data volume: the volume may not be attached yet when cloud-init runs.
      ...CA_FILES.map((name) => ({
        path: `${STAGED_TLS_DIR}/${name}`,
        permissions: '0600',
        owner: 'root:root',
        content: ca[name],
      })),
      {
        path: '/usr/local/sbin/sovereign-matrix-prepare',
        permissions: '0700',
        owner: 'root:root',
        content: prepareScript(),
      },
      {
        path: '/etc/systemd/system/sovereign-matrix-prepare.service',
        permissions: '0644',
        owner: 'root:root',
        content: [
          '[Unit]',
          'Description=Prepare the sovereign-matrix data volume and node before k3s',
          `RequiresMountsFor=${DATA_MOUNT}`,
          'Before=k3s.service',
          '',
          '[Service]',
          'Type=oneshot',
          'RemainAfterExit=yes',
          'ExecStart=/usr/local/sbin/sovereign-matrix-prepare',
          '',
          '[Install]',
          'WantedBy=multi-user.target',
          '',
        ].join('\n'),
      },
      {
        path: '/etc/systemd/system/k3s.service.d/10-sovereign-matrix.conf',
        permissions: '0644',
        owner: 'root:root',
        content: ['[Unit]', 'Requires=sovereign-matrix-prepare.service', 'After=sovereign-matrix-prepare.service', ''].join('\n'),
      },
      // Written before the package is installed (runcmd), so its first start already reads them.
      { path: NODE_EXPORTER_ENV_FILE, permissions: '0644', owner: 'root:root', content: renderNodeExporterEnv(inputs.privateIpv4) },
      { path: NODE_EXPORTER_DROP_IN, permissions: '0644', owner: 'root:root', content: renderNodeExporterDropIn() },
      {
        path: '/etc/ssh/sshd_config.d/10-sovereign-matrix.conf',
        permissions: '0644',
        owner: 'root:root',
        content: ['PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'PermitRootLogin prohibit-password', 'X11Forwarding no', ''].join('\n'),
      },
    ],
    ...(inputs.formatDataDevice
      ? { fs_setup: [{ label: DATA_LABEL, filesystem: 'ext4', device: inputs.dataDevice, partition: 'none', overwrite: false } as const] }
      : {}),
    mounts: [
      [
        inputs.dataDevice,
        DATA_MOUNT,
        'ext4',
        // nofail: boot does not hang while Terraform attaches the volume; k3s waits for the mount instead.
        'defaults,discard,nofail,x-systemd.device-timeout=300s',
        '0',
        '2',
      ],
    ],
    runcmd: [
      ['systemctl', 'daemon-reload'],
      ['systemctl', 'restart', 'ssh'],
      ['systemctl', 'enable', '--now', 'sovereign-matrix-prepare.service'],
      // Node metrics (render/k3s-node.ts). Not in `packages`: that would pull in its Recommends
      // (the collectors package: timers running smartctl, ipmitool, apt scripts) the kit does not read.
      // The lock timeout waits for a first-boot apt run of unattended-upgrades instead of failing.
      ['apt-get', '-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '-q', '--no-install-recommends', NODE_EXPORTER_PACKAGE],
      // The installer of the pinned release tag; it verifies the k3s binary against the release's checksums.
      [
        'sh',
        '-c',
        `curl -sfL https://raw.githubusercontent.com/k3s-io/k3s/${k3sVersion}/install.sh | INSTALL_K3S_VERSION='${k3sVersion}' INSTALL_K3S_EXEC=server sh -`,
      ],
    ],
  };
}

/** k3s server configuration (/etc/rancher/k3s/config.yaml): everything known before apply. */
export function k3sConfig(): Record<string, unknown> {
  return {
    'data-dir': K3S_DATA_DIR,
    'default-local-storage-path': STORAGE_DIR,
    'write-kubeconfig-mode': '0600',
    // Kubernetes Secrets (database passwords, signing keys) encrypted at rest in the cluster store.
    'secrets-encryption': true,
    'cluster-cidr': POD_CIDR,
    'kube-apiserver-arg': ['profiling=false'],
    'kube-controller-manager-arg': ['profiling=false'],
    'kube-scheduler-arg': ['profiling=false'],
  };
}

/**
 * The node's addresses for k3s. Kept to plain scalars on purpose: it is built from Terraform
 * values, and plain `key: value` lines need no quoting whatever the addresses are.
 */
export function k3sAddressConfig(spec: DeploymentSpec, inputs: NodeInputs): string {
  return [
    `node-ip: ${inputs.privateIpv4}`,
    `node-external-ip: ${inputs.publicIpv4}`,
    'tls-san:',
    `  - ${inputs.publicIpv4}`,
    `  - ${spec.hostnames.matrix}`,
    '',
  ].join('\n');
}

/**
 * Runs before k3s on every boot: installs the Terraform-generated CAs into k3s's data directory on
 * the volume (k3s keeps CAs it finds and generates the rest), and stops pods from reading the
 * metadata service, whose user data holds those CA keys.
 */
function prepareScript(): string {
  return [
    '#!/bin/sh',
    'set -eu',
    `install -d -m 0700 ${K3S_DATA_DIR}/server/tls ${STORAGE_DIR}`,
    `for f in ${CA_FILES.join(' ')}; do`,
    `  install -m 0600 ${STAGED_TLS_DIR}/$f ${K3S_DATA_DIR}/server/tls/$f`,
    'done',
    `iptables -C FORWARD -s ${POD_CIDR} -d ${METADATA_ADDRESS} -j DROP 2>/dev/null || iptables -I FORWARD 1 -s ${POD_CIDR} -d ${METADATA_ADDRESS} -j DROP`,
    '',
  ].join('\n');
}

/** `#cloud-config` document of a configuration, as cloud-init reads it (tests, render). */
export function cloudConfigDocument(config: CloudConfig): string {
  return `#cloud-config\n${stringify(config)}`;
}

/**
 * The same document for Terraform, where some values are references resolved at apply time.
 * JSON is YAML, so the configuration is written as JSON with every value that holds a reference
 * replaced by `jsonencode(value)`: Terraform then quotes certificates and addresses correctly,
 * whatever they contain. Literal text is escaped so Terraform never reads it as a template.
 */
export function cloudConfigForTerraform(config: CloudConfig): string {
  const references: string[] = [];
  const json = JSON.stringify(config, (_key, value: unknown) => {
    if (typeof value !== 'string' || !Token.isUnresolved(value)) return value;
    // cdktf writes a string that mixes text and references as a template without escaping quotes.
    if (/["\\]/.test(value)) throw new Error(`cloud-init value with a reference must not contain quotes or backslashes: ${value}`);
    references.push(value);
    return `@@REFERENCE_${references.length - 1}@@`;
  });
  const literal = json.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{');
  const document = literal.replace(/"@@REFERENCE_(\d+)@@"/g, (_match, index: string) => Fn.jsonencode(references[Number(index)]));
  return `#cloud-config\n${document}`;
}
