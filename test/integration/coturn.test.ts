/**
 * Boots the real coturn with the rendered turnserver.conf and proves its hardening: Synapse-style
 * credentials allocate, wrong and expired ones do not, the relay refuses private, loopback and
 * CGNAT peers that are demonstrably reachable while it relays to a public one, TLS works and old
 * TLS does not, and nothing listens beyond the two TURN ports on the public address.
 *
 * Network: two network namespaces joined by a veth pair. The server namespace holds coturn's
 * "public" address 45.67.89.10 (a public-looking address, so it is outside every denied range;
 * the namespaces are isolated, nothing leaves the machine); the client namespace holds the client
 * and the allowed peer at 45.67.89.20, plus peers at 10.99.0.20, 100.64.99.20 and 192.168.99.20
 * that the server can reach on the same link. A peer on 127.0.0.1 runs inside the server
 * namespace. Needs root (ip netns) and scripts/integration/coturn.sh, which it runs itself.
 *
 * Two coturn builds run the same checks: Debian sid's (the newest Debian build, closest to the
 * pinned image) with the file rendered for the pinned version — byte for byte what the kit
 * deploys, through the overlay — and the host's Debian package with the file rendered for that
 * package's version (what a deployment pinning that version would get).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { coturnRange, DENIED_PEER_RANGES, renderCoturn } from '../../src/render/coturn';
import { PORTS } from '../../src/ports';
import { PINNED_VERSIONS } from '../../src/versions';
import { CLUSTER_BACKUP_YAML, specOf, VALID_YAML } from '../helpers';
import { applyCoturnOverlay } from './coturn-overlay';
import { synapseTurnCredentials } from './turn-credentials';

const ROOT = join(__dirname, '..', '..');
const SERVER_IP = '45.67.89.10';
const PEER_IP = '45.67.89.20';
const PEER_PORT = '3480';
/** Denied peers the server can reach: [namespace, address, why]. */
const DENIED_PEERS: [side: 'server' | 'client', address: string, what: string][] = [
  ['server', '127.0.0.1', 'loopback'],
  ['client', '10.99.0.20', 'private 10/8'],
  ['client', '192.168.99.20', 'private 192.168/16'],
  ['client', '100.64.99.20', 'CGNAT 100.64/10'],
];
const NS = { server: `smc${process.pid}s`, client: `smc${process.pid}c` };
const timings: string[] = [];

function run(command: string, args: string[], timeoutMs = 30_000) {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: timeoutMs });
  return { status: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}

function must(command: string, ...args: string[]): string {
  const result = run(command, args);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.output}`);
  return result.output;
}

function inNs(side: 'server' | 'client', command: string, args: string[], timeoutMs?: number) {
  return run('ip', ['netns', 'exec', NS[side], command, ...args], timeoutMs);
}

// --- install (the script is idempotent; this also measures it) ------------------------------
const installStart = Date.now();
const install = spawnSync('bash', [join(ROOT, 'scripts', 'integration', 'coturn.sh')], { encoding: 'utf8' });
if (install.status !== 0) throw new Error(`scripts/integration/coturn.sh failed:\n${install.stderr}`);
timings.push(`install ${((Date.now() - installStart) / 1000).toFixed(1)} s`);
const bins = Object.fromEntries(
  install.stdout.trim().split('\n').map((line) => line.split('=') as [string, string]),
) as { debian: string; sid: string };
const version = (bin: string) => must(join(bin, 'turnserver'), '--version').trim().split('\n').pop() ?? '';

interface Variant {
  name: string;
  bin: string;
  /** The deployment file whose rendered turnserver.conf this build boots. */
  yaml: string;
  /** Whether coturn terminates TLS itself (existing clusters) or Traefik does in front of it (the kit's k3s). */
  ownTls: boolean;
  /** Whether a full TURN allocation over TLS is checked on this build. */
  tlsAllocation: boolean;
}
/** The base deployment on an existing cluster: coturn terminates TURN over TLS with its certificate. */
const ON_CLUSTER_YAML = VALID_YAML.replace(/  hetzner:\n(    .*\n)+/, '  kubernetes:\n    context: prod\n') + CLUSTER_BACKUP_YAML;
const variants: Variant[] = [];
if (bins.sid) {
  variants.push({
    name: `Debian sid coturn ${version(bins.sid)}, file rendered for the pinned ${PINNED_VERSIONS.coturn} on an existing cluster`,
    bin: bins.sid,
    yaml: ON_CLUSTER_YAML,
    ownTls: true,
    tlsAllocation: true,
  });
  variants.push({
    name: `Debian sid coturn ${version(bins.sid)}, file rendered for the pinned ${PINNED_VERSIONS.coturn} on the kit's k3s (TLS by Traefik)`,
    bin: bins.sid,
    yaml: VALID_YAML,
    ownTls: false,
    tlsAllocation: false,
  });
}
const debianVersion = version(bins.debian);
variants.push({
  name: `Debian package coturn ${debianVersion}, file rendered for ${debianVersion} on an existing cluster`,
  bin: bins.debian,
  yaml: `${ON_CLUSTER_YAML}versions:\n  coturn: ${debianVersion}\n`,
  ownTls: true,
  // Debian's 4.6.1 intermittently resets turnutils_uclient's second TLS connection (seen in a CI
  // run: "tls_connect: cannot connect ... errno=104"; not root-caused). The TLS allocation is
  // proven on the sid build for the pinned release; 4.6.1 still gets the TLS 1.2/1.1 handshake test.
  tlsAllocation: false,
});


let userCounter = 0;
/** A fresh user id per allocation: coturn's user quota counts per user id, across expiries. */
const nextUser = () => `@u${++userCounter}:ministry.example.eu`;
const now = () => Date.now() / 1000;

/** A UDP probe from the server namespace: true when `address` echoes (turnutils_peer echoes). */
function reachableFromServer(address: string): boolean {
  const script = `const s=require('dgram').createSocket('udp4');s.on('message',()=>process.exit(0));
    s.send('probe',${PEER_PORT},'${address}');setTimeout(()=>process.exit(1),1500);`;
  return inNs('server', process.execPath, ['-e', script]).status === 0;
}

beforeAll(() => {
  must('ip', 'netns', 'add', NS.server);
  must('ip', 'netns', 'add', NS.client);
  const [s0, c0] = [`${NS.server}0`, `${NS.client}0`];
  must('ip', 'link', 'add', s0, 'type', 'veth', 'peer', 'name', c0);
  must('ip', 'link', 'set', s0, 'netns', NS.server);
  must('ip', 'link', 'set', c0, 'netns', NS.client);
  must('ip', '-n', NS.server, 'addr', 'add', `${SERVER_IP}/24`, 'dev', s0);
  must('ip', '-n', NS.client, 'addr', 'add', `${PEER_IP}/24`, 'dev', c0);
  for (const net of ['10.99.0', '192.168.99', '100.64.99']) {
    must('ip', '-n', NS.server, 'addr', 'add', `${net}.10/24`, 'dev', s0);
    must('ip', '-n', NS.client, 'addr', 'add', `${net}.20/24`, 'dev', c0);
  }
  for (const [side, dev] of [['server', s0], ['client', c0]] as const) {
    must('ip', '-n', NS[side], 'link', 'set', 'lo', 'up');
    must('ip', '-n', NS[side], 'link', 'set', dev, 'up');
  }
});

afterAll(() => {
  for (const ns of Object.values(NS)) run('ip', ['netns', 'del', ns]);
  console.log(`coturn integration timings: ${timings.join(', ')}`);
});

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  // coturn can take several seconds to stop on SIGTERM; the next build needs the ports.
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

describe.each(variants)('$name', ({ bin, yaml, ownTls, tlsAllocation }) => {
  const secret = randomBytes(24).toString('hex');
  const spec = specOf(yaml);
  const { min, max } = spec.calls.relayPorts;
  let dir: string;
  let coturn: ChildProcess | undefined;
  const peers: ChildProcess[] = [];
  let log = '';
  const started = Date.now();

  const uclient = (args: string[]) =>
    inNs('client', join(bin, 'turnutils_uclient'), [...args, '-n', '3', '-m', '1', '-l', '100', SERVER_IP], 60_000);
  const allocate = (peer: string, credentials: { username: string; password: string }, extra: string[] = []) =>
    uclient([...extra, '-u', credentials.username, '-w', credentials.password, '-e', peer, '-r', PEER_PORT]);
  const valid = () => synapseTurnCredentials(secret, nextUser(), now() + 3600);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sm-coturn-'));
    must('openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=turn.ministry.example.eu',
      '-keyout', join(dir, 'tls.key'), '-out', join(dir, 'tls.crt'));
    const [file] = renderCoturn(spec);
    const conf = applyCoturnOverlay(file.content, {
      env: { TURN_PUBLIC_IPV4: SERVER_IP, TURN_SHARED_SECRET: secret },
      ...(ownTls ? { paths: { cert: join(dir, 'tls.crt'), pkey: join(dir, 'tls.key') } } : {}),
    });
    writeFileSync(join(dir, 'turnserver.conf'), conf);
    coturn = spawn('ip', ['netns', 'exec', NS.server, join(bin, 'turnserver'), '-c', join(dir, 'turnserver.conf')]);
    coturn.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    coturn.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    for (const [side, address] of [['client', PEER_IP], ...DENIED_PEERS] as const) {
      peers.push(spawn('ip', ['netns', 'exec', NS[side], join(bin, 'turnutils_peer'), '-L', address, '-p', PEER_PORT], { stdio: 'ignore' }));
    }
    const deadline = Date.now() + 15_000;
    while (!/Total auth threads|Total General servers/.test(log)) {
      if (coturn.exitCode !== null || Date.now() > deadline) throw new Error(`coturn did not start:\n${log}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await new Promise((resolve) => setTimeout(resolve, 300)); // the listeners log after the threads
  });

  afterAll(async () => {
    await stop(coturn);
    await Promise.all(peers.map(stop));
    if (dir) rmSync(dir, { recursive: true, force: true });
    timings.push(`${bin.includes('sid') ? 'sid' : 'debian'} run ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  test('boots the rendered file without a single configuration warning or error', () => {
    // Without TLS of its own, coturn (4.18 at least) still looks for its default certificate files
    // and says it found none: expected on k3s, where Traefik terminates TLS. Nothing else may warn.
    const certificateAbsent = /^.*WARNING (Certificate|Private key) file not found or not readable: .*$/gm;
    if (!ownTls && /sid/.test(bin)) expect(log.match(certificateAbsent)).toHaveLength(2);
    const rest = ownTls ? log : log.replace(certificateAbsent, '');
    expect(rest).not.toMatch(/Bad configuration format|deprecated|WARNING|ERROR|CONFIG ERROR/i);
    expect(rest).not.toContain(secret);
    expect(log).not.toContain(secret);
  });

  test('parsed every denied range and allows only the server itself back', () => {
    for (const { cidr } of DENIED_PEER_RANGES) expect(log).toContain(`Black listing: ${coturnRange(cidr)}`);
    expect(log.match(/White listing: .*/g)).toEqual([`White listing: ${SERVER_IP}`]);
  });

  test('listens on the public address and the TURN ports only: no CLI, web admin, DTLS or loopback', () => {
    const sockets = inNs('server', 'ss', ['-H', '-l', '-n', '-t', '-u']).output;
    const listeners = new Set(
      // turnutils_peer on 127.0.0.1 binds the peer port and the one above it (RTP/RTCP).
      sockets.trim().split('\n').filter((line) => !/:(3480|3481)\s/.test(line)).map((line) => {
        const [proto, , , , local] = line.trim().split(/\s+/);
        return `${proto} ${local}`;
      }),
    );
    expect([...listeners].sort()).toEqual(
      [`tcp ${SERVER_IP}:${PORTS.turn}`, ...(ownTls ? [`tcp ${SERVER_IP}:${PORTS.turns}`] : []), `udp ${SERVER_IP}:${PORTS.turn}`].sort(),
    );
  });

  test('allocates over TCP on the TURN port (what Traefik forwards TURN over TLS to on k3s)', () => {
    const result = allocate(PEER_IP, valid(), ['-t']);
    expect(result.output).toMatch(/Total lost packets 0 /);
    expect(result.status).toBe(0);
  });

  test('allocates with Synapse-style credentials and relays to an allowed public peer, from the relay range', () => {
    const result = allocate(PEER_IP, valid());
    expect(result.output).toMatch(/Total lost packets 0 /);
    expect(result.status).toBe(0);
    // The allocation outlives the client (until its lifetime ends): its relay socket is bound.
    const relayPorts = inNs('server', 'ss', ['-H', '-l', '-n', '-u']).output.trim().split('\n')
      .map((line) => line.trim().split(/\s+/)[3])
      .filter((local) => local.startsWith(`${SERVER_IP}:`) && !local.endsWith(`:${PORTS.turn}`))
      .map((local) => Number(local.split(':')[1]));
    expect(relayPorts.length).toBeGreaterThan(0);
    for (const port of relayPorts) {
      expect(port).toBeGreaterThanOrEqual(min);
      expect(port).toBeLessThanOrEqual(max);
    }
  });

  test('refuses credentials signed with another secret', () => {
    const wrong = synapseTurnCredentials(`${secret}x`, nextUser(), now() + 3600);
    const result = allocate(PEER_IP, wrong);
    expect(result.status).not.toBe(0);
    expect(result.output).not.toMatch(/Total lost packets/);
  });

  test('refuses an expired username', () => {
    const expired = synapseTurnCredentials(secret, nextUser(), now() - 60);
    const result = allocate(PEER_IP, expired);
    expect(result.status).not.toBe(0);
    expect(result.output).not.toMatch(/Total lost packets/);
  });

  test.each(DENIED_PEERS)('refuses to relay to a reachable %s peer %s (%s)', (_side, address) => {
    // The peer answers the server directly, so only coturn's policy stands in the way.
    expect(reachableFromServer(address)).toBe(true);
    const result = allocate(address, valid());
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/error 403/);
  });

  // Only where coturn terminates TLS; on k3s the ingress test allocates over TLS through Traefik.
  if (ownTls) (tlsAllocation ? test : test.skip)('allocates over TLS on the TLS port with the certificate', () => {
    const result = allocate(PEER_IP, valid(), ['-t', '-S', '-p', String(PORTS.turns)]);
    expect(result.output).toMatch(/Total lost packets 0 /);
    expect(result.status).toBe(0);
  });

  if (ownTls) test('speaks TLS 1.2 and refuses TLS 1.1', () => {
    const handshake = (protocol: string) =>
      run('sh', ['-c', `echo | ip netns exec ${NS.client} openssl s_client -brief -${protocol} -cipher DEFAULT@SECLEVEL=0 -connect ${SERVER_IP}:${PORTS.turns}`]);
    expect(handshake('tls1_2').output).toMatch(/Protocol version: TLSv1\.2/);
    const old = handshake('tls1_1');
    expect(old.status).not.toBe(0);
    expect(old.output).not.toMatch(/Protocol version: TLSv1\.1/);
  });

  // Last: with Debian's 4.6.1, the TLS listener stopped accepting after this refused attempt
  // (seen while writing this test, not seen with 4.18; not root-caused).
  test('refuses a TCP relay (no-tcp-relay)', () => {
    const result = allocate(PEER_IP, valid(), ['-T']);
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/error 442/);
    expect(result.output).not.toMatch(/Total lost packets/);
  });
});
