import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cloudConfig, cloudConfigDocument, DATA_MOUNT, type CloudConfig, type NodeInputs } from '../../src/components/cloud-init';
import { loadDeploymentFile } from '../../src/config/load';
import { PORTS } from '../../src/ports';
import { NODE_EXPORTER_DROP_IN, NODE_EXPORTER_ENV_FILE, NODE_EXPORTER_PACKAGE, NODE_EXPORTER_UNIT } from '../../src/render/k3s-node';
import { tempDir } from '../helpers';
import { unpackDebianPackage } from './debian-packages';

/**
 * The node's user data, built from the same typed structure the stack hands to Terraform, with
 * realistic values in place of the references, is checked by the real `cloud-init schema`.
 *
 * The node_exporter it sets up is Debian's package (bookworm's 1.5.0, the node's Debian 12;
 * scripts/integration/debian-unpack.sh unpacks it): its systemd unit with the kit's drop-in passes
 * `systemd-analyze verify`, and the binary runs with the ARGS of the kit's environment file, split
 * at whitespace as systemd splits $ARGS. It runs in its own network, mount and PID namespaces
 * (root; `unshare`), where the node's private address is on the loopback device and a tmpfs stands
 * for the data volume at its real mount point, next to a kubelet pod volume it must skip.
 */
const ROOT = join(__dirname, '..', '..');
const DEPLOYMENTS = ['deployments/example.yaml', 'deployments/research-open.yaml', 'test/fixtures/valid/no-turn-allow-list.yaml'];

let inputs: NodeInputs;
let exporterRoot = '';

beforeAll(() => {
  const install = spawnSync('bash', [join(ROOT, 'scripts', 'integration', 'cloud-init.sh')], { stdio: 'inherit' });
  if (install.status !== 0) throw new Error('scripts/integration/cloud-init.sh failed');
  exporterRoot = unpackDebianPackage('prometheus-node-exporter');
  // Real certificates and keys, so multi-line PEM content is exercised as Terraform will supply it.
  const dir = tempDir('sm-pki-');
  const pem = (name: string) => {
    const result = spawnSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${name}`, '-days', '1', '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.crt`)],
      { encoding: 'utf8' },
    );
    if (result.status !== 0) throw new Error(result.stderr);
    return { cert: readFileSync(join(dir, `${name}.crt`), 'utf8'), key: readFileSync(join(dir, `${name}.key`), 'utf8') };
  };
  const server = pem('server-ca');
  const client = pem('client-ca');
  inputs = {
    dataDevice: '/dev/disk/by-id/scsi-0HC_Volume_100200300',
    publicIpv4: '203.0.113.10',
    privateIpv4: '10.0.1.2',
    serverCaCertPem: server.cert,
    serverCaKeyPem: server.key,
    clientCaCertPem: client.cert,
    clientCaKeyPem: client.key,
  };
});

describe('cloud-init user data', () => {
  it.each(DEPLOYMENTS)('of %s passes `cloud-init schema`', (file) => {
    const spec = loadDeploymentFile(join(ROOT, file));
    const path = join(tempDir('sm-cloud-init-'), 'user-data.yaml');
    writeFileSync(path, cloudConfigDocument(cloudConfig(spec, inputs)));
    const result = spawnSync('cloud-init', ['schema', '--config-file', path], { encoding: 'utf8' });
    expect({ status: result.status, output: `${result.stdout}${result.stderr}`.trim() }).toEqual({
      status: 0,
      output: expect.stringContaining('Valid cloud-config'),
    });
    expect(`${result.stdout}${result.stderr}`).not.toMatch(/DEPRECATED/i);
  });

  // OpenStack hands over a blank Cinder volume: cloud-init formats it once (fs_setup, never
  // overwriting a filesystem it finds) and mounts the same device path.
  it('of the OpenStack example, which formats the blank volume, passes `cloud-init schema`', () => {
    const spec = loadDeploymentFile(join(ROOT, 'deployments/ministry-openstack.yaml'));
    const device = '/dev/disk/by-id/virtio-0123456789abcdef0123';
    const config = cloudConfig(spec, { ...inputs, dataDevice: device, formatDataDevice: true });
    expect(config.fs_setup).toEqual([{ label: 'sm-data', filesystem: 'ext4', device, partition: 'none', overwrite: false }]);
    expect(config.mounts[0][0]).toBe(device);
    const path = join(tempDir('sm-cloud-init-'), 'user-data.yaml');
    writeFileSync(path, cloudConfigDocument(config));
    const result = spawnSync('cloud-init', ['schema', '--config-file', path], { encoding: 'utf8' });
    expect({ status: result.status, output: `${result.stdout}${result.stderr}`.trim() }).toEqual({ status: 0, output: expect.stringContaining('Valid cloud-config') });
    expect(`${result.stdout}${result.stderr}`).not.toMatch(/DEPRECATED/i);
  });

  it('is refused by `cloud-init schema` when broken, so the check can fail', () => {
    const spec = loadDeploymentFile(join(ROOT, DEPLOYMENTS[0]));
    const broken = { ...cloudConfig(spec, inputs), packages: 'curl' };
    const path = join(tempDir('sm-cloud-init-'), 'user-data.yaml');
    writeFileSync(path, cloudConfigDocument(broken as never));
    const result = spawnSync('cloud-init', ['schema', '--config-file', path], { encoding: 'utf8' });
    expect(result.status).not.toBe(0);
  });
});

/** The content of the file the user data writes at `path`. */
function written(config: CloudConfig, path: string): string {
  const files = config.write_files.filter((f) => f.path === path);
  expect(files.map((f) => f.path)).toEqual([path]);
  return files[0].content;
}

/** A root directory with Debian's unit, the kit's drop-in and environment file, and what systemd-analyze needs besides. */
function unitRoot(config: CloudConfig, dropIn = written(config, NODE_EXPORTER_DROP_IN)): string {
  const root = tempDir('sm-node-exporter-root-');
  spawnSync('cp', ['-a', `${exporterRoot}/.`, root]);
  for (const [path, content] of [[NODE_EXPORTER_DROP_IN, dropIn], [NODE_EXPORTER_ENV_FILE, written(config, NODE_EXPORTER_ENV_FILE)]]) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  // The targets the unit orders itself after, and the ExecReload binary, from this machine's systemd.
  mkdirSync(join(root, 'lib/systemd/system'), { recursive: true });
  for (const target of readdirSync('/lib/systemd/system').filter((f) => f.endsWith('.target'))) copyFileSync(join('/lib/systemd/system', target), join(root, 'lib/systemd/system', target));
  mkdirSync(join(root, 'bin'), { recursive: true });
  copyFileSync('/bin/kill', join(root, 'bin/kill'));
  return root;
}

describe("the node's node_exporter (Debian's package, the kit's drop-in and arguments)", () => {
  const spec = () => loadDeploymentFile(join(ROOT, DEPLOYMENTS[0]));

  it('is installed without its Recommends, after the files that configure it are written', () => {
    const config = cloudConfig(spec(), inputs);
    const install = config.runcmd.find((c) => c.includes(NODE_EXPORTER_PACKAGE));
    expect(install).toEqual(expect.arrayContaining(['apt-get', 'install', '--no-install-recommends', NODE_EXPORTER_PACKAGE]));
    expect(config.packages).not.toContain(NODE_EXPORTER_PACKAGE);
    // cloud-init writes files (init stage) before runcmd (final stage) runs.
    expect(written(config, NODE_EXPORTER_ENV_FILE)).toMatch(/^ARGS="/m);
  });

  it("passes `systemd-analyze verify` with Debian's unit, and the check fails on a broken drop-in", () => {
    const config = cloudConfig(spec(), inputs);
    const verify = (root: string) => spawnSync('systemd-analyze', ['verify', `--root=${root}`, '--man=no', NODE_EXPORTER_UNIT], { encoding: 'utf8' });
    const good = verify(unitRoot(config));
    expect({ status: good.status, output: `${good.stdout}${good.stderr}` }).toEqual({ status: 0, output: '' });
    const bad = verify(unitRoot(config, written(config, NODE_EXPORTER_DROP_IN).replace('Restart=always', 'Restart=always\nRestartEvery=10s')));
    expect(`${bad.stdout}${bad.stderr}`).toContain("Unknown key 'RestartEvery'");
  });

  it('listens on the private address only and reports the data volume, not the kubelet pod volumes', () => {
    if (process.getuid?.() !== 0) throw new Error('this test needs root: it runs the exporter in its own namespaces (unshare)');
    const config = cloudConfig(spec(), inputs);
    const argsLine = /^ARGS="([^"]*)"$/m.exec(written(config, NODE_EXPORTER_ENV_FILE));
    expect(argsLine).not.toBeNull();
    // systemd splits an unquoted $ARGS at whitespace and removes no quotes.
    const args = argsLine![1].split(/\s+/).filter(Boolean);
    const ip = inputs.privateIpv4;
    const podVolume = '/var/lib/kubelet/pods/0b1c/volumes/kubernetes.io~projected/kube-api-access-x';
    const quote = (a: string) => `'${a.replace(/'/g, "'\\''")}'`;
    const script = [
      'set -e',
      'ip link set lo up',
      `ip addr add ${ip}/32 dev lo`,
      // A tmpfs over /var/lib first: the mount points below exist in this namespace only.
      'mount -t tmpfs tmpfs /var/lib',
      `mkdir -p ${DATA_MOUNT} ${podVolume}`,
      `mount -t tmpfs -o size=64m tmpfs ${DATA_MOUNT}`,
      `mount -t tmpfs -o size=1m tmpfs ${podVolume}`,
      `${quote(join(exporterRoot, 'usr/bin/prometheus-node-exporter'))} ${args.map(quote).join(' ')} >/dev/null 2>&1 &`,
      'exporter=$!',
      `for i in $(seq 50); do curl -sf -o /dev/null http://${ip}:${PORTS.nodeExporter}/metrics && break; sleep 0.1; done`,
      `echo "private: $(curl -s -o /dev/null -w '%{http_code}' http://${ip}:${PORTS.nodeExporter}/metrics)"`,
      `echo "loopback: $(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:${PORTS.nodeExporter}/metrics)"`,
      `curl -s http://${ip}:${PORTS.nodeExporter}/metrics | grep -E '^node_filesystem_(avail|size)_bytes' || true`,
      'kill $exporter',
    ].join('\n');
    const result = spawnSync('unshare', ['--net', '--mount', '--pid', '--fork', '--mount-proc', 'sh', '-c', script], { encoding: 'utf8', timeout: 60_000 });
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    const lines = result.stdout.split('\n');
    expect(lines).toContain('private: 200');
    expect(lines).toContain('loopback: 000'); // connection refused: nothing listens there
    const mounts = (metric: string) => lines.filter((l) => l.startsWith(`${metric}{`)).map((l) => /mountpoint="([^"]*)"/.exec(l)![1]);
    expect(mounts('node_filesystem_avail_bytes')).toContain(DATA_MOUNT);
    expect(mounts('node_filesystem_size_bytes')).toContain(DATA_MOUNT);
    expect(mounts('node_filesystem_avail_bytes').filter((m) => m.startsWith('/var/lib/kubelet'))).toEqual([]);
    const size = lines.find((l) => l.startsWith('node_filesystem_size_bytes{') && l.includes(`mountpoint="${DATA_MOUNT}"`))!;
    expect(Number(size.split(' ').pop())).toBe(64 * 1024 * 1024);
  });
});
