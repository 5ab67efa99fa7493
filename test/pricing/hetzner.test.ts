import { HETZNER_SERVER_TYPES, sizeProfile } from '../../src/config/sizing';
import { HETZNER_PRICES, hetznerMonthlyCost, totalMonthly } from '../../src/pricing/hetzner';

describe('Hetzner price table', () => {
  it('prices every server type the kit can choose', () => {
    for (const type of HETZNER_SERVER_TYPES) expect(HETZNER_PRICES.serverMonthly[type.name]).toBeGreaterThan(0);
  });

  it('adds server, IPv4, IPv6 and volume', () => {
    const lines = hetznerMonthlyCost('cx43', 50);
    expect(lines.map((l) => l.monthlyEur)).toEqual([15.99, 0.5, 0, 2.86]);
    expect(totalMonthly(lines)).toBe(19.35);
  });

  it('refuses a type it has no price for rather than guessing', () => {
    expect(() => hetznerMonthlyCost('cx22', 50)).toThrow(/no price for Hetzner server type cx22/);
  });

  it('makes larger profiles cost more', () => {
    const cost = (size: 'small' | 'medium' | 'large') => {
      const p = sizeProfile(size, 'closed');
      return totalMonthly(hetznerMonthlyCost(p.hetznerServerType, p.volumeSizeGiB));
    };
    expect(cost('small')).toBeLessThan(cost('medium'));
    expect(cost('medium')).toBeLessThan(cost('large'));
  });
});
