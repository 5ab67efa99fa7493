import type { DeploymentSpec } from '../../src/config/spec';
import {
  COTURN_CIPHER_LIST,
  coturnOptions,
  coturnRange,
  DENIED_PEER_RANGES,
  renderCoturn,
} from '../../src/render/coturn';
import { renderAll } from '../../src/render/index';
import { PORTS } from '../../src/ports';
import { PINNED_VERSIONS } from '../../src/versions';
import { CLUSTER_BACKUP_YAML, specOf, VALID_YAML } from '../helpers';

const spec = specOf(VALID_YAML);
const withYaml = (extra: string) => specOf(`${VALID_YAML}${extra}`);
/** The same deployment on OpenStack, behind a floating IP (1:1 NAT). */
const onOpenStack = specOf(
  VALID_YAML.replace(/  hetzner:\n(    .*\n)+/, '  openstack:\n    cloud: ovhcloud\n    region: GRA11\n    image: Debian 12\n    external_network: Ext-Net\n    key_pair: ops\n    admin_cidrs: [198.51.100.0/24]\n') + CLUSTER_BACKUP_YAML,
);
/** The same deployment on an existing cluster, where coturn terminates TLS itself. */
const onCluster = specOf(VALID_YAML.replace(/  hetzner:\n(    .*\n)+/, '  kubernetes:\n    context: prod\n') + CLUSTER_BACKUP_YAML);
const withExtra = (coturn: Record<string, string | number | boolean>): DeploymentSpec => ({
  ...spec,
  extra: { ...spec.extra, coturn },
});

/** Every `key=value` / flag line of the rendered file, comments dropped. */
function lines(s: DeploymentSpec = spec): string[] {
  const [file] = renderCoturn(s);
  return file.content.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
}
const values = (key: string, s: DeploymentSpec = spec) =>
  lines(s).filter((line) => line === key || line.startsWith(`${key}=`)).map((line) => line.slice(key.length + 1));
const value = (key: string, s: DeploymentSpec = spec) => {
  const found = values(key, s);
  expect(found).toHaveLength(1);
  return found[0];
};

describe('renderCoturn', () => {
  test('writes coturn/turnserver.conf, and nothing when TURN is off', () => {
    expect(renderCoturn(spec).map((f) => f.path)).toEqual(['coturn/turnserver.conf']);
    expect(renderCoturn(withYaml('calls:\n  turn: false\n'))).toEqual([]);
    expect(coturnOptions(withYaml('calls:\n  turn: false\n'))).toEqual([]);
    expect(renderAll(spec).map((f) => f.path)).toContain('coturn/turnserver.conf');
  });

  test('is deterministic', () => {
    expect(renderCoturn(specOf(VALID_YAML))).toEqual(renderCoturn(specOf(VALID_YAML)));
  });

  test('listens on the TURN and TURNS ports Synapse advertises', () => {
    expect(value('listening-port')).toBe('3478');
    expect(value('listening-port')).toBe(String(PORTS.turn));
    expect(value('tls-listening-port', onCluster)).toBe('5349');
    expect(value('tls-listening-port', onCluster)).toBe(String(PORTS.turns));
  });

  test("leaves TLS to Traefik on the kit's k3s, which holds the ACME certificate", () => {
    expect(values('no-tls')).toEqual(['']);
    for (const absent of ['tls-listening-port', 'cert', 'pkey', 'cipher-list']) expect(values(absent)).toEqual([]);
    expect(values('no-tls', onCluster)).toEqual([]);
  });

  test('uses the shared secret from the environment, never a literal', () => {
    expect(values('use-auth-secret')).toEqual(['']);
    expect(value('static-auth-secret')).toBe('@@TURN_SHARED_SECRET@@');
    expect(value('realm')).toBe('ministry.example.eu');
    const keys = lines().map((line) => line.split('=')[0]);
    for (const other of ['lt-cred-mech', 'user', 'userdb', 'no-auth', 'oauth']) expect(keys).not.toContain(other);
    // the only secret-bearing line is the placeholder
    expect(lines().filter((line) => /secret|password/i.test(line))).toEqual(['use-auth-secret', 'static-auth-secret=@@TURN_SHARED_SECRET@@']);
  });

  test('relays exactly the configured port range, with quotas scaled to it', () => {
    expect([value('min-port'), value('max-port')]).toEqual(['49160', '49259']);
    expect(value('total-quota')).toBe('100');
    expect(value('user-quota')).toBe('12');
    const narrow = withYaml('calls:\n  relay_ports: {min: 50000, max: 50019}\n');
    expect([value('min-port', narrow), value('max-port', narrow)]).toEqual(['50000', '50019']);
    expect(value('total-quota', narrow)).toBe('20');
  });

  test('sets the public address explicitly and allows only it back as a peer', () => {
    for (const key of ['listening-ip', 'relay-ip', 'external-ip', 'allowed-peer-ip']) {
      expect(value(key)).toBe('@@TURN_PUBLIC_IPV4@@');
    }
    expect(lines().some((line) => /stun|0\.0\.0\.0$/.test(line.split('=')[0]))).toBe(false);
  });

  test('behind the floating IP of OpenStack, binds and relays from the private address and announces public/private', () => {
    expect(value('listening-ip', onOpenStack)).toBe('10.0.1.2');
    expect(value('relay-ip', onOpenStack)).toBe('10.0.1.2');
    expect(value('external-ip', onOpenStack)).toBe('@@TURN_PUBLIC_IPV4@@/10.0.1.2');
    expect(value('allowed-peer-ip', onOpenStack)).toBe('@@TURN_PUBLIC_IPV4@@');
    // Traefik terminates TURN over TLS there too, as on Hetzner.
    expect(values('no-tls', onOpenStack)).toEqual(['']);
  });

  test('denies every special-purpose range, as coturn ranges', () => {
    const denied = values('denied-peer-ip');
    expect(denied).toHaveLength(DENIED_PEER_RANGES.length);
    for (const range of [
      '0.0.0.0-0.255.255.255',
      '10.0.0.0-10.255.255.255',
      '100.64.0.0-100.127.255.255',
      '127.0.0.0-127.255.255.255',
      '169.254.0.0-169.254.255.255',
      '172.16.0.0-172.31.255.255',
      '192.0.0.0-192.0.0.255',
      '192.0.2.0-192.0.2.255',
      '192.88.99.0-192.88.99.255',
      '192.168.0.0-192.168.255.255',
      '198.18.0.0-198.19.255.255',
      '198.51.100.0-198.51.100.255',
      '203.0.113.0-203.0.113.255',
      '224.0.0.0-239.255.255.255',
      '240.0.0.0-255.255.255.255',
      '::1',
      '::ffff:0:0-::ffff:ffff:ffff',
      '64:ff9b::-64:ff9b::ffff:ffff',
      '100::-100::ffff:ffff:ffff:ffff',
      '2001::-2001:0:ffff:ffff:ffff:ffff:ffff:ffff',
      '2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff',
      '2002::-2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
      'fc00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
      'fe80::-febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
      'ff00::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
    ]) {
      expect(denied).toContain(range);
    }
    // coturn reads an all-zero bound as "unbounded": `::` alone would deny every peer.
    expect(denied).not.toContain('::');
    expect(denied.every((range) => !range.includes('/'))).toBe(true);
  });

  test('converts CIDR to ranges and refuses what coturn would misread', () => {
    expect(coturnRange('10.0.0.0/8')).toBe('10.0.0.0-10.255.255.255');
    expect(coturnRange('198.51.100.7/32')).toBe('198.51.100.7');
    expect(coturnRange('2001:db8::/32')).toBe('2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff');
    expect(coturnRange('2001:2::/48')).toBe('2001:2::-2001:2:0:ffff:ffff:ffff:ffff:ffff');
    expect(() => coturnRange('::/128')).toThrow(/every address/);
    expect(() => coturnRange('0.0.0.0/32')).toThrow(/every address/);
    expect(() => coturnRange('10.0.0.0')).toThrow(/not a CIDR/);
  });

  test('hardens the relay, TLS and logging for the pinned coturn', () => {
    expect(spec.versions.coturn).toBe(PINNED_VERSIONS.coturn);
    for (const flag of ['no-tcp-relay', 'no-multicast-peers', 'fingerprint', 'simple-log']) {
      expect(values(flag)).toEqual(['']);
    }
    expect(value('stale-nonce')).toBe('600');
    expect(value('log-file')).toBe('stdout');
    expect(value('cert', onCluster)).toBe('/certs/tls.crt');
    expect(value('pkey', onCluster)).toBe('/certs/tls.key');
    expect(value('cipher-list', onCluster)).toBe(COTURN_CIPHER_LIST);
    expect(COTURN_CIPHER_LIST.split(':').every((c) => /^ECDHE-(RSA|ECDSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$/.test(c))).toBe(true);
    const keys = lines().map((line) => line.split('=')[0]);
    // Off by default in the pinned release; rejected (no-tlsv1*) or logged as deprecated there.
    for (const absent of ['no-tlsv1', 'no-tlsv1_1', 'no-cli', 'no-dtls', 'cli', 'cli-password', 'web-admin', 'dtls',
      'no-rfc5780', 'no-stun-backward-compatibility', 'no-software-attribute', 'allow-loopback-peers', 'server-relay']) {
      expect(keys).not.toContain(absent);
    }
  });

  test('adds the hardening flags an older coturn needs', () => {
    const old = withYaml('versions:\n  coturn: 4.6.1\n');
    for (const flag of ['no-tlsv1', 'no-tlsv1_1', 'no-cli', 'no-dtls', 'no-rfc5780', 'no-stun-backward-compatibility', 'no-software-attribute']) {
      expect(values(flag, old)).toEqual(['']);
    }
    const mid = withYaml('versions:\n  coturn: 4.8.0\n');
    expect(values('no-tlsv1', mid)).toEqual([]);
    expect(values('no-cli', mid)).toEqual(['']);
    expect(values('no-dtls', mid)).toEqual(['']);
  });

  test('appends extra settings last: true a flag, false omitted, others key=value', () => {
    const s = withExtra({ 'max-bps': 3000000, 'no-udp-relay': false, 'log-binding': true, 'sock-buf-size': '65536' });
    const all = lines(s);
    expect(all.slice(-3)).toEqual(['max-bps=3000000', 'log-binding', 'sock-buf-size=65536']);
    expect(all).not.toContain('no-udp-relay');
  });

  test('an extra setting replaces the kit option of the same name instead of repeating it', () => {
    expect(values('user-quota', withExtra({ 'user-quota': 4 }))).toEqual(['4']);
    expect(lines(withExtra({ 'user-quota': 4 })).at(-1)).toBe('user-quota=4');
    expect(values('stale-nonce', withExtra({ 'stale-nonce': false }))).toEqual([]);
    // denied-peer-ip adds to the kit's list and cannot remove it
    const more = values('denied-peer-ip', withExtra({ 'denied-peer-ip': '45.0.0.1' }));
    expect(more).toHaveLength(DENIED_PEER_RANGES.length + 1);
    expect(() => renderCoturn(withExtra({ 'denied-peer-ip': false }))).toThrow(/cannot remove/);
  });

  test('refuses managed settings in extra, so they can never appear twice', () => {
    for (const key of ['static-auth-secret', 'use-auth-secret', 'realm', 'min-port', 'max-port', 'allowed-peer-ip', 'external-ip', 'cli-password', 'web-admin']) {
      expect(() => renderCoturn(withExtra({ [key]: key === 'web-admin' ? true : '1' }))).toThrow(/managed by the kit/);
    }
    const keys = lines().map((line) => line.split('=')[0]);
    for (const key of ['static-auth-secret', 'use-auth-secret', 'realm', 'min-port', 'max-port', 'allowed-peer-ip', 'external-ip']) {
      expect(keys.filter((k) => k === key)).toHaveLength(1);
    }
    expect(() => renderCoturn(withExtra({ 'bad key': 1 }))).toThrow(/not a coturn option name/);
    expect(() => renderCoturn(withExtra({ 'alternate-server': '1.2.3.4\nrelay-ip=10.0.0.1' }))).toThrow(/single line/);
  });

  test('every single-valued option appears once', () => {
    const keys = lines().map((line) => line.split('=')[0]).filter((key) => key !== 'denied-peer-ip');
    expect(new Set(keys).size).toBe(keys.length);
  });
});
