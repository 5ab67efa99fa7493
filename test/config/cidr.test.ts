import { cidrContains, hasHostBits, networkOf, parseCidr } from '../../src/config/cidr';

describe('parsing a CIDR', () => {
  it('reads IPv4 and IPv6 networks with their prefix', () => {
    expect(parseCidr('198.51.100.0/24')).toEqual({ family: 4, address: (198n << 24n) + (51n << 16n) + (100n << 8n), prefix: 24 });
    expect(parseCidr('2001:db8::/48')).toMatchObject({ family: 6, prefix: 48, address: 0x20010db8n << 96n });
    expect(parseCidr('0.0.0.0/0')).toEqual({ family: 4, address: 0n, prefix: 0 });
  });

  it.each(['198.51.100.0', '198.51.100.0/33', '2001:db8::/129', '198.51.100.0/24/8', '198.51.100.0/x', 'example.eu/24', '::ffff:1.2.3.4/120', '198.51.100.0/0024'])(
    'refuses %s',
    (text) => {
      expect(parseCidr(text)).toBeUndefined();
    },
  );
});

describe('host bits, containment and the network address', () => {
  const cidr = (text: string) => {
    const parsed = parseCidr(text);
    if (!parsed) throw new Error(`not a CIDR: ${text}`);
    return parsed;
  };

  it('sees host bits set beyond the prefix', () => {
    expect(hasHostBits(cidr('10.0.0.1/24'))).toBe(true);
    expect(hasHostBits(cidr('10.0.0.0/24'))).toBe(false);
    expect(hasHostBits(cidr('10.0.0.1/32'))).toBe(false);
    expect(hasHostBits(cidr('2001:db8::1/64'))).toBe(true);
    expect(hasHostBits(cidr('2001:db8::/32'))).toBe(false);
  });

  it('contains a network or address inside it, of the same family only', () => {
    expect(cidrContains(cidr('10.0.0.0/8'), cidr('10.20.30.40/32'))).toBe(true);
    expect(cidrContains(cidr('10.0.0.0/8'), cidr('10.20.0.0/16'))).toBe(true);
    expect(cidrContains(cidr('10.0.0.0/8'), cidr('11.0.0.1/32'))).toBe(false);
    // A wider network is not inside a narrower one, even with the same start.
    expect(cidrContains(cidr('10.0.0.0/16'), cidr('10.0.0.0/8'))).toBe(false);
    expect(cidrContains(cidr('0.0.0.0/0'), cidr('203.0.113.9/32'))).toBe(true);
    expect(cidrContains(cidr('::/0'), cidr('203.0.113.9/32'))).toBe(false);
    expect(cidrContains(cidr('2001:db8::/32'), cidr('2001:db8:1::5/128'))).toBe(true);
  });

  it('writes the network meant, IPv6 compressed as RFC 5952 says', () => {
    expect(networkOf(cidr('10.0.0.1/24'))).toBe('10.0.0.0/24');
    expect(networkOf(cidr('192.168.77.200/20'))).toBe('192.168.64.0/20');
    expect(networkOf(cidr('2001:db8:0:0:1::5/64'))).toBe('2001:db8::/64');
    expect(networkOf(cidr('2001:db8:1:2:3:4:5:6/128'))).toBe('2001:db8:1:2:3:4:5:6/128');
    // Only a run of two or more zero groups becomes '::'.
    expect(networkOf(cidr('2001:0:1:2:3:4:5:6/128'))).toBe('2001:0:1:2:3:4:5:6/128');
  });
});
