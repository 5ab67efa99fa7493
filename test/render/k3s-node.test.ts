import { PORTS } from '../../src/ports';
import {
  DATA_MOUNT,
  NODE_EXPORTER_ENV_FILE,
  NODE_EXPORTER_MOUNT_POINTS_EXCLUDE,
  NODE_NETWORK,
  nodeAddressInside,
  nodeExporterArgs,
  publicAddressBehindNat,
  renderNodeExporterDropIn,
  renderNodeExporterEnv,
} from '../../src/render/k3s-node';
import { CLUSTER_BACKUP_YAML, specOf, VALID_YAML } from '../helpers';

describe('node_exporter on the k3s node', () => {
  it("listens on the node's private address only, on PORTS.nodeExporter, with the filesystem collector alone", () => {
    const args = nodeExporterArgs(NODE_NETWORK.nodeIp);
    expect(args[0]).toBe(`--web.listen-address=10.0.1.2:${PORTS.nodeExporter}`);
    expect(PORTS.nodeExporter).toBe(9100);
    expect(args.filter((a) => a.startsWith('--web.listen-address'))).toHaveLength(1);
    expect(args.filter((a) => /^--collector\.[a-z_-]+$/.test(a))).toEqual(['--collector.disable-defaults', '--collector.filesystem']);
  });

  it("skips the kubelet's per-pod mounts but keeps the root file system and the data volume", () => {
    const exclude = new RegExp(NODE_EXPORTER_MOUNT_POINTS_EXCLUDE);
    for (const kept of ['/', DATA_MOUNT, '/boot/efi']) expect({ kept, excluded: exclude.test(kept) }).toEqual({ kept, excluded: false });
    for (const skipped of ['/var/lib/kubelet/pods/0b1c/volumes/kubernetes.io~projected/kube-api-access-x', '/run/k3s/containerd/io.containerd.runtime.v2.task/k8s.io/abc/rootfs', '/proc', '/sys/fs/cgroup']) {
      expect({ skipped, excluded: exclude.test(skipped) }).toEqual({ skipped, excluded: true });
    }
  });

  it('writes the arguments as one ARGS line systemd splits at whitespace', () => {
    const env = renderNodeExporterEnv('10.0.1.2');
    const line = env.split('\n').find((l) => l.startsWith('ARGS='))!;
    expect(/^ARGS="([^"]*)"$/.exec(line)![1].split(' ')).toEqual(nodeExporterArgs('10.0.1.2'));
    expect(() => renderNodeExporterEnv('10.0.1.2 --web.listen-address=:9100')).toThrow('whitespace');
  });

  it("points the package's unit at the kit's file, waits for the network and never gives up restarting", () => {
    const dropIn = renderNodeExporterDropIn();
    expect(dropIn).toContain(`\nEnvironmentFile=${NODE_EXPORTER_ENV_FILE}\n`);
    expect(dropIn).toContain('\nAfter=network-online.target\n');
    expect(dropIn).toContain('\nStartLimitIntervalSec=0\n');
    expect(dropIn).toContain('\nRestart=always\n');
    // ExecStart stays Debian's ($ARGS); the drop-in changes only where ARGS comes from.
    expect(dropIn).not.toContain('ExecStart');
  });
});

describe('the node address inside the cluster', () => {
  const openstack = specOf(
    VALID_YAML.replace(/  hetzner:\n(    .*\n)+/, '  openstack:\n    cloud: ovhcloud\n    region: GRA11\n    image: Debian 12\n    external_network: Ext-Net\n    key_pair: ops\n    admin_cidrs: [198.51.100.0/24]\n') + CLUSTER_BACKUP_YAML,
  );

  it('is the public address on Hetzner, where it is on the NIC', () => {
    expect(publicAddressBehindNat(specOf(VALID_YAML))).toBe(false);
    expect(nodeAddressInside(specOf(VALID_YAML), '203.0.113.7')).toBe('203.0.113.7');
  });

  it('is the private address on OpenStack, behind the floating IP', () => {
    expect(publicAddressBehindNat(openstack)).toBe(true);
    expect(nodeAddressInside(openstack, '203.0.113.7')).toBe(NODE_NETWORK.nodeIp);
  });
});
