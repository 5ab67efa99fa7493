import { isIPv4 } from 'node:net';
import { MANAGED_SETTINGS } from '../config/managed-settings';
import { cidrContains, parseCidr } from '../config/cidr';
import type { DeploymentSpec } from '../config/spec';
import { PORTS } from '../ports';
import { envPlaceholder, type RenderedFile } from './files';
import { NODE_NETWORK, publicAddressBehindNat } from './k3s-node';
import { ownsNode } from '../config/node-target';

/** Path of the rendered file under the render output directory. */
export const COTURN_CONFIG_PATH = 'coturn/turnserver.conf';

/** Where coturn's TLS certificate is mounted when coturn terminates TLS itself (existing clusters). */
export const COTURN_CERT_PATH = '/certs/tls.crt';
export const COTURN_KEY_PATH = '/certs/tls.key';

/**
 * Environment variables the coturn container's entrypoint substitutes for their placeholders.
 * coturn cannot read its shared secret from a file, so the secret only ever exists in the
 * running container (Synapse reads the same secret from SYNAPSE_TURN_SECRET_PATH).
 */
export const COTURN_ENV = {
  /** The TURN REST API shared secret, the same one Synapse signs credentials with. */
  sharedSecret: 'TURN_SHARED_SECRET',
  /** The server's public IPv4 address, which on Hetzner sits directly on the NIC (no NAT). */
  publicIpv4: 'TURN_PUBLIC_IPV4',
} as const;

/**
 * Whether TURN over TLS is terminated by Traefik. On the kit's k3s, Traefik holds the ACME
 * certificates (its resolver solves HTTP-01 on port 80 for every host, the TURN host included) and
 * cannot hand them to another program, so it terminates TLS on 5349 itself and passes the plain
 * TURN-over-TCP stream to coturn's 3478. On an existing cluster, coturn terminates TLS with the
 * certificate cert-manager puts into its Secret.
 */
export function turnsTerminatedByTraefik(spec: DeploymentSpec): boolean {
  return spec.calls.turn && ownsNode(spec.target);
}

/**
 * Peer addresses the relay must never reach: everything that is not a globally reachable
 * unicast address (IANA special-purpose registries), so TURN cannot be used to reach the node,
 * the cluster, the cloud's private networks or metadata service, or to reflect traffic.
 * coturn does not understand CIDR here (`IP` or `IP-IP` only; 4.11+ aborts on anything else),
 * so `coturnRange` converts each entry. `0.0.0.0/8` starts at the all-zero address, which coturn
 * reads as "no lower bound"; its upper bound keeps the range exact for IPv4 and IPv6 peers never
 * compare below an IPv4 bound.
 */
export const DENIED_PEER_RANGES: readonly { readonly cidr: string; readonly why: string }[] = [
  // IPv4
  { cidr: '0.0.0.0/8', why: '"this network" (RFC 791)' },
  { cidr: '10.0.0.0/8', why: 'private (RFC 1918): Hetzner private networks, k3s pods and services' },
  { cidr: '100.64.0.0/10', why: 'carrier-grade NAT shared space (RFC 6598)' },
  { cidr: '127.0.0.0/8', why: 'loopback (RFC 1122)' },
  { cidr: '169.254.0.0/16', why: 'link-local (RFC 3927), includes the cloud metadata service 169.254.169.254' },
  { cidr: '172.16.0.0/12', why: 'private (RFC 1918)' },
  { cidr: '192.0.0.0/24', why: 'IETF protocol assignments (RFC 6890)' },
  { cidr: '192.0.2.0/24', why: 'documentation TEST-NET-1 (RFC 5737)' },
  { cidr: '192.88.99.0/24', why: '6to4 relay anycast (RFC 3068, deprecated by RFC 7526)' },
  { cidr: '192.168.0.0/16', why: 'private (RFC 1918)' },
  { cidr: '198.18.0.0/15', why: 'benchmarking (RFC 2544)' },
  { cidr: '198.51.100.0/24', why: 'documentation TEST-NET-2 (RFC 5737)' },
  { cidr: '203.0.113.0/24', why: 'documentation TEST-NET-3 (RFC 5737)' },
  { cidr: '224.0.0.0/4', why: 'multicast (RFC 5771)' },
  { cidr: '240.0.0.0/4', why: 'reserved (RFC 1112), includes limited broadcast 255.255.255.255' },
  // IPv6
  // Not listed: the unspecified address ::/128. coturn refuses an all-zero peer itself, and it
  // reads an all-zero bound as "unbounded", so `denied-peer-ip=::` would deny every peer of
  // both families (the integration test found this; coturnRange refuses such a range).
  { cidr: '::1/128', why: 'loopback (RFC 4291)' },
  { cidr: '::ffff:0:0/96', why: 'IPv4-mapped (RFC 4291): would reach the IPv4 ranges above' },
  { cidr: '64:ff9b::/96', why: 'NAT64 well-known prefix (RFC 6052): would reach IPv4 through a translator' },
  { cidr: '64:ff9b:1::/48', why: 'NAT64 local-use prefix (RFC 8215)' },
  { cidr: '100::/64', why: 'discard-only (RFC 6666)' },
  { cidr: '2001::/32', why: 'Teredo (RFC 4380): tunnels to IPv4' },
  { cidr: '2001:2::/48', why: 'benchmarking (RFC 5180)' },
  { cidr: '2001:10::/28', why: 'ORCHID (RFC 4843, deprecated)' },
  { cidr: '2001:20::/28', why: 'ORCHIDv2 (RFC 7343)' },
  { cidr: '2001:db8::/32', why: 'documentation (RFC 3849)' },
  { cidr: '2002::/16', why: '6to4 (RFC 3056): tunnels to IPv4' },
  { cidr: '3fff::/20', why: 'documentation (RFC 9637)' },
  { cidr: '5f00::/16', why: 'SRv6 SIDs (RFC 9602)' },
  { cidr: 'fc00::/7', why: 'unique local addresses (RFC 4193)' },
  { cidr: 'fe80::/10', why: 'link-local (RFC 4291)' },
  { cidr: 'fec0::/10', why: 'site-local (RFC 3879, deprecated)' },
  { cidr: 'ff00::/8', why: 'multicast (RFC 4291)' },
];

/**
 * Strong TLS 1.2 suites (forward secrecy, AEAD only; no DHE, so no DH parameters are needed).
 * TLS 1.3 keeps OpenSSL's default suites, which are all strong. TLS 1.0/1.1 are off by default
 * since coturn 4.7 (older releases get `no-tlsv1`/`no-tlsv1_1`, see `coturnOptions`).
 */
export const COTURN_CIPHER_LIST = [
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
].join(':');

/** Concurrent allocations per TURN username (one call needs one per transport and device). */
export const COTURN_USER_QUOTA = 12;

/** Options coturn accepts more than once; extra settings add to them instead of replacing. */
const MULTI_VALUED = new Set(['denied-peer-ip']);

/** One turnserver.conf line: `key=value`, or a bare flag when `value` is undefined. */
export interface CoturnOption {
  readonly key: string;
  readonly value?: string;
  /** Written as a `#` comment line above the option. */
  readonly comment?: string;
}

/** `a.b.c.d/n` or `x::/n` as the `first-last` range coturn's peer lists understand. */
export function coturnRange(cidr: string): string {
  const parsed = parseCidr(cidr);
  if (!parsed) throw new Error(`not a CIDR: ${cidr}`);
  const width = parsed.family === 4 ? 32 : 128;
  const hostMask = (1n << BigInt(width - parsed.prefix)) - 1n;
  const first = parsed.address & ~hostMask;
  const last = first | hostMask;
  const format = parsed.family === 4 ? formatIpv4 : formatIpv6;
  // coturn treats an all-zero bound as unbounded: `::` or `0.0.0.0` alone would deny everything.
  if (last === 0n) throw new Error(`${cidr}: coturn would read this range as "every address"`);
  return first === last ? format(first) : `${format(first)}-${format(last)}`;
}

function formatIpv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 255n)).join('.');
}

function formatIpv6(value: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => ((value >> BigInt((7 - i) * 16)) & 0xffffn).toString(16));
  // RFC 5952: the longest run of two or more zero groups becomes `::`.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  if (bestStart < 0) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLength).join(':')}`;
}

/** `4.17.0`, `v4.6.1` or `4.6.1-r2` as [major, minor]; a version we cannot read is an error. */
function majorMinor(version: string): [number, number] {
  const match = /^v?(\d+)\.(\d+)/.exec(version);
  if (!match) throw new Error(`cannot read the coturn version ${JSON.stringify(version)}`);
  return [Number(match[1]), Number(match[2])];
}

function atLeast(version: string, major: number, minor: number): boolean {
  const [ma, mi] = majorMinor(version);
  return ma > major || (ma === major && mi >= minor);
}

/**
 * Every turnserver.conf option of the deployment, in file order, before serialization.
 * The file is written for the coturn release in `spec.versions.coturn` (the pinned image unless
 * a deployment overrides it): coturn only warns about options it does not know and logs
 * deprecated ones as errors, so options that newer releases made the default are left out for
 * them instead of being written "to be safe" (the integration test fails on either message).
 */
export function coturnOptions(spec: DeploymentSpec): CoturnOption[] {
  if (!spec.calls.turn) return [];
  const version = spec.versions.coturn;
  const publicIp = envPlaceholder(COTURN_ENV.publicIpv4);
  const { min, max } = spec.calls.relayPorts;
  const relayPorts = max - min + 1;
  const options: CoturnOption[] = [
    { key: 'listening-port', value: String(PORTS.turn), comment: 'TURN/STUN over UDP and TCP' },
    ...tlsListener(spec),
    ...addressOptions(spec, publicIp),
    {
      key: 'min-port',
      value: String(min),
      comment: 'Relay ports: exactly calls.relay_ports, the range the firewall opens.',
    },
    { key: 'max-port', value: String(max) },
    { key: 'realm', value: spec.serverName },
    {
      key: 'use-auth-secret',
      comment:
        'TURN REST API: Synapse signs short-lived credentials with this shared secret ' +
        '(username "<expiry>:<user id>", password base64(HMAC-SHA1(secret, username))). ' +
        'The entrypoint substitutes the secret; it never appears in this file.',
    },
    { key: 'static-auth-secret', value: envPlaceholder(COTURN_ENV.sharedSecret) },
    {
      key: 'stale-nonce',
      value: '600',
      comment: 'Nonces expire after 10 minutes.',
    },
    { key: 'fingerprint' },
    {
      key: 'user-quota',
      value: String(Math.min(COTURN_USER_QUOTA, relayPorts)),
      comment: 'Allocation quotas; every allocation holds one relay port, so the total is the range size.',
    },
    { key: 'total-quota', value: String(relayPorts) },
    {
      key: 'no-tcp-relay',
      comment: 'Relay UDP only (RFC 6062 TCP relays are not needed for calls and widen the attack surface).',
    },
    { key: 'no-multicast-peers' },
    {
      key: 'allowed-peer-ip',
      value: publicIp,
      comment: 'The server itself is the only allowed exception, so two clients may both use relays.',
    },
    ...DENIED_PEER_RANGES.map(
      ({ cidr, why }): CoturnOption => ({ key: 'denied-peer-ip', value: coturnRange(cidr), comment: `${cidr}: ${why}` }),
    ),
    ...tlsCertificate(spec),
    ...versionSpecificOptions(version),
    { key: 'log-file', value: 'stdout', comment: 'Logs go to the container log.' },
    { key: 'simple-log' },
  ];
  // An extra setting replaces the kit's option of the same name (false removes it), so every
  // single-valued option appears exactly once and coturn never has to pick between two values.
  const replaced = extraOf(spec);
  const all = [...options.filter((option) => !(option.key in replaced)), ...extraOptions(spec)];
  const seen = new Set<string>();
  for (const { key } of all) {
    if (seen.has(key) && !MULTI_VALUED.has(key)) throw new Error(`coturn option ${key} rendered twice`);
    seen.add(key);
  }
  return all;
}

/**
 * Where coturn listens and relays from, and the address it announces. On Hetzner the public IPv4
 * address is on the NIC; on OpenStack it is a floating IP (1:1 NAT to the node's private address),
 * so coturn binds the private address and announces `public/private`, coturn's form for a server
 * behind 1:1 NAT.
 */
function addressOptions(spec: DeploymentSpec, publicIp: string): CoturnOption[] {
  const nat = publicAddressBehindNat(spec);
  const local = nat ? NODE_NETWORK.nodeIp : publicIp;
  return [
    {
      key: 'listening-ip',
      value: local,
      comment: nat
        ? 'The node\'s private address, not 0.0.0.0: coturn runs with hostNetwork, and the public address is a floating IP ' +
          'the router translates to this one (OpenStack, 1:1 NAT). Without listening-ip coturn binds every local address, ' +
          'including loopback and the pod network, which would offer TURN to workloads inside the cluster.'
        : 'The public IPv4 address, not 0.0.0.0: coturn runs with hostNetwork on a node whose NIC carries ' +
          'the public address (Hetzner, no NAT). Without listening-ip coturn binds every local address, ' +
          'including loopback and the pod network, which would offer TURN to workloads inside the cluster ' +
          '(and, before 4.7, turn on RFC 5780 NAT discovery with two IPv4 listeners).',
    },
    {
      key: 'relay-ip',
      value: local,
      comment: nat
        ? 'Relay from the address the floating IP maps to, never from a pod address.'
        : 'Relay from the public address only, never from a private or pod address.',
    },
    {
      key: 'external-ip',
      value: nat ? `${publicIp}/${local}` : publicIp,
      comment: nat
        ? 'Announced as the relayed address: the floating IP, mapped to the private address coturn binds; set explicitly, never discovered through a third-party STUN service.'
        : 'Announced as the relayed address; set explicitly, never discovered through a third-party STUN service.',
    },
  ];
}

/** coturn's own TLS listener, unless Traefik terminates TURN over TLS in front of it. */
function tlsListener(spec: DeploymentSpec): CoturnOption[] {
  if (turnsTerminatedByTraefik(spec)) {
    return [
      {
        key: 'no-tls',
        comment:
          `TURN over TLS (port ${PORTS.turns}) is terminated by Traefik with the ACME certificate of the ingress ` +
          `and reaches this server as TURN over TCP on port ${PORTS.turn}.`,
      },
    ];
  }
  return [{ key: 'tls-listening-port', value: String(PORTS.turns), comment: 'TURN over TLS' }];
}

function tlsCertificate(spec: DeploymentSpec): CoturnOption[] {
  if (turnsTerminatedByTraefik(spec)) return [];
  return [
    { key: 'cert', value: COTURN_CERT_PATH, comment: 'TLS: the certificate cert-manager issues into the turn-tls Secret.' },
    { key: 'pkey', value: COTURN_KEY_PATH },
    { key: 'cipher-list', value: COTURN_CIPHER_LIST },
  ];
}

/**
 * Hardening that older coturn releases need as options and newer ones have as their default
 * (where they log the option as deprecated or reject it). From coturn's ChangeLog:
 * - 4.7: TLS 1.0/1.1 off by default and `no-tlsv1*` unknown; RFC 5780 NAT discovery, the
 *   backward-compatible STUN MAPPED-ADDRESS and the SOFTWARE attribute off by default;
 * - 4.10: the telnet CLI is off by default and `no-cli` is logged as a deprecated option;
 * - 4.17: DTLS listeners start only with `dtls` and `no-dtls` is logged as deprecated.
 * The web admin has been off by default since 4.5 and is never enabled (`web-admin` is managed).
 */
function versionSpecificOptions(version: string): CoturnOption[] {
  const options: CoturnOption[] = [];
  if (!atLeast(version, 4, 7)) {
    options.push(
      { key: 'no-tlsv1', comment: `coturn ${version} still allows TLS 1.0/1.1 unless told not to.` },
      { key: 'no-tlsv1_1' },
      { key: 'no-rfc5780', comment: 'No NAT behaviour discovery and no SOFTWARE attribute (smaller STUN responses).' },
      { key: 'no-stun-backward-compatibility' },
      { key: 'no-software-attribute' },
    );
  }
  if (!atLeast(version, 4, 10)) options.push({ key: 'no-cli', comment: `The telnet CLI is on by default before 4.10.` });
  if (!atLeast(version, 4, 17)) {
    options.push({ key: 'no-dtls', comment: 'Clients use TURN over TLS/TCP; no DTLS listener.' });
  }
  return options;
}

function extraOf(spec: DeploymentSpec): Readonly<Record<string, string | number | boolean>> {
  const extra = spec.extra.coturn;
  const managed: Record<string, string> = MANAGED_SETTINGS.coturn;
  for (const key of Object.keys(extra)) {
    // Validation refuses these with a precise message; this guards the renderer's own contract.
    if (key in managed) throw new Error(`extra.coturn.${key} is managed by the kit: ${managed[key]}`);
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_-]*$/.test(key)) throw new Error(`extra.coturn.${key} is not a coturn option name`);
  }
  // Multi-valued options add to the kit's entries rather than replacing them.
  return Object.fromEntries(Object.entries(extra).filter(([key]) => !MULTI_VALUED.has(key)));
}

/** extra.coturn, last and in the file's order: true is a bare flag, false leaves the option out. */
function extraOptions(spec: DeploymentSpec): CoturnOption[] {
  const options = Object.entries(spec.extra.coturn).flatMap(([key, value]): CoturnOption[] => {
    if (value === false) {
      if (MULTI_VALUED.has(key)) throw new Error(`extra.coturn.${key}: false cannot remove the kit's ${key} entries`);
      return [];
    }
    const text = value === true ? undefined : String(value);
    if (text !== undefined && /[\r\n]/.test(text)) throw new Error(`extra.coturn.${key} must be a single line`);
    return [{ key, value: text }];
  });
  return options.map((option, i) => (i === 0 ? { ...option, comment: 'extra.coturn from the deployment file' } : option));
}

/** The options as turnserver.conf text. */
export function serializeCoturn(options: readonly CoturnOption[]): string {
  const lines = [
    '# turnserver.conf rendered by sovereign-matrix; do not edit, change the deployment file.',
    `# @@NAME@@ placeholders are substituted from the environment by the container entrypoint.`,
  ];
  for (const option of options) {
    if (option.comment) lines.push('', `# ${option.comment}`);
    lines.push(option.value === undefined ? option.key : `${option.key}=${option.value}`);
  }
  return `${lines.join('\n')}\n`;
}

/** coturn's configuration, or nothing when the deployment runs no TURN server. */
export function renderCoturn(spec: DeploymentSpec): RenderedFile[] {
  if (!spec.calls.turn) return [];
  return [{ path: COTURN_CONFIG_PATH, content: serializeCoturn(coturnOptions(spec)) }];
}

/**
 * Why an address cannot be where clients reach TURN, or undefined for a public IPv4 address.
 * The ranges refused are the ones the relay refuses as peers: everything not globally reachable.
 */
export function publicIpv4Problem(text: string): string | undefined {
  const address = isIPv4(text) ? parseCidr(`${text}/32`) : undefined;
  if (!address) return `'${text}' is not an IPv4 address (expected the public IPv4 address of the node coturn runs on, four numbers separated by dots)`;
  const range = DENIED_PEER_RANGES.find((r) => {
    const cidr = parseCidr(r.cidr);
    return cidr !== undefined && cidrContains(cidr, address);
  });
  if (!range) return undefined;
  return `'${text}' is not a public address: it is in ${range.cidr}, ${range.why}; clients on the internet cannot reach TURN there (expected the public IPv4 address of the node coturn runs on, or of a UDP load balancer in front of it)`;
}
