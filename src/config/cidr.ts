import { isIPv4, isIPv6 } from 'node:net';

export interface Cidr {
  readonly family: 4 | 6;
  /** Address as a big integer, so IPv4 and IPv6 share one host-bit check. */
  readonly address: bigint;
  readonly prefix: number;
}

/** Parses `198.51.100.0/24` or `2001:db8::/48`; undefined when it is neither. */
export function parseCidr(text: string): Cidr | undefined {
  const [address, prefixText, ...rest] = text.split('/');
  if (rest.length > 0 || prefixText === undefined || !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (isIPv4(address) && prefix <= 32) {
    const value = address.split('.').reduce((acc, octet) => (acc << 8n) + BigInt(octet), 0n);
    return { family: 4, address: value, prefix };
  }
  if (isIPv6(address) && prefix <= 128 && !address.includes('.')) {
    return { family: 6, address: ipv6ToBigInt(address), prefix };
  }
  return undefined;
}

/** True when bits beyond the prefix are set (`10.0.0.1/24`), which usually means a typo. */
export function hasHostBits(cidr: Cidr): boolean {
  const width = cidr.family === 4 ? 32 : 128;
  const hostMask = (1n << BigInt(width - cidr.prefix)) - 1n;
  return (cidr.address & hostMask) !== 0n;
}

/** True when `inner` (an address is a /32 or /128) lies wholly inside `outer` of the same family. */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  if (outer.family !== inner.family || inner.prefix < outer.prefix) return false;
  const shift = BigInt((outer.family === 4 ? 32 : 128) - outer.prefix);
  return outer.address >> shift === inner.address >> shift;
}

/** The network address of the CIDR, written back in the usual notation. */
export function networkOf(cidr: Cidr): string {
  const width = cidr.family === 4 ? 32 : 128;
  const hostMask = (1n << BigInt(width - cidr.prefix)) - 1n;
  const network = cidr.address & ~hostMask;
  if (cidr.family === 4) {
    const octets = [24n, 16n, 8n, 0n].map((shift) => String((network >> shift) & 255n));
    return `${octets.join('.')}/${cidr.prefix}`;
  }
  const groups = Array.from({ length: 8 }, (_, i) => ((network >> BigInt((7 - i) * 16)) & 0xffffn).toString(16));
  return `${compressIpv6(groups)}/${cidr.prefix}`;
}

function ipv6ToBigInt(address: string): bigint {
  const [head, tail] = address.includes('::') ? address.split('::') : [address, undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array(8 - headGroups.length - tailGroups.length).fill('0');
  return [...headGroups, ...zeros, ...tailGroups].reduce((acc, group) => (acc << 16n) + BigInt(`0x${group}`), 0n);
}

/** Replaces the longest run of zero groups with `::` (RFC 5952). */
function compressIpv6(groups: string[]): string {
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === '0') j++;
    if (j - i > bestLength && j - i > 1) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLength).join(':')}`;
}
