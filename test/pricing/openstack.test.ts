import { OPENSTACK_CLOUDS } from '../../src/config/openstack-clouds';
import { OPENSTACK_PRICES, openstackMonthlyCost } from '../../src/pricing/openstack';

describe('OpenStack price table', () => {
  it('prices only flavours the cloud profile knows, with a dated source', () => {
    for (const [cloud, prices] of Object.entries(OPENSTACK_PRICES)) {
      const known = OPENSTACK_CLOUDS[cloud as keyof typeof OPENSTACK_CLOUDS].flavours.map((f) => f.name);
      for (const flavour of Object.keys(prices!.flavourMonthly)) expect(known).toContain(flavour);
      expect(prices!.source).toMatch(/https:\/\//);
      expect(prices!.checked).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
  });

  it('prices the OVHcloud server and says what it cannot price', () => {
    const cost = openstackMonthlyCost('ovhcloud', 'b3-32', 50);
    expect(cost.priced).toEqual([{ item: 'Server b3-32', quantity: '1', monthlyEur: 149.36 }]);
    expect(cost.unpriced.map((l) => l.item)).toEqual(['Volume', 'Floating IPv4']);
  });

  it('invents no price on a cloud without a table', () => {
    const cost = openstackMonthlyCost('cleura', 'b.8c24gb', 50);
    expect(cost.priced).toEqual([]);
    expect(cost.unpriced.map((l) => l.item)).toEqual(['Server b.8c24gb', 'Volume', 'Floating IPv4']);
    expect(cost.prices).toBeUndefined();
  });
});
