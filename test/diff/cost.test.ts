import { COST_BASIS, describeCost, money, monthlyCost, sidePrice } from '../../src/diff/cost';
import { hetznerMonthlyCost, totalMonthly } from '../../src/pricing/hetzner';

const stacks = (serverType: string, size: number) =>
  new Map<string, unknown>([
    ['d-infra', { resource: { hcloud_server: { node: { server_type: serverType } }, hcloud_volume: { data: { size } } } }],
    ['d-apps', { resource: { kubernetes_manifest: {} } }],
  ]);
const price = (serverType: string, size: number) => totalMonthly(hetznerMonthlyCost(serverType, size));

describe('the price of one side', () => {
  it('prices the server type and the volume size of the stacks', () => {
    expect(sidePrice(stacks('cx33', 50))).toEqual({ total: price('cx33', 50) });
    expect(sidePrice(stacks('cx33', 100))).toEqual({ total: price('cx33', 100) });
    expect(price('cx33', 100)).toBeGreaterThan(price('cx33', 50));
  });

  it('has none without a Hetzner server and volume (an existing cluster)', () => {
    expect(sidePrice(new Map([['d-apps', { resource: { kubernetes_manifest: {} } }]]))).toBeUndefined();
  });

  it('says why a server type it has no price for is not priced', () => {
    expect(sidePrice(stacks('cx99', 50))).toEqual({ unpriced: expect.stringContaining('cx99') });
  });
});

describe('the price of an OpenStack side', () => {
  const openstack = (cloud: string, flavor: string) =>
    new Map([['d-infra', { resource: { openstack_compute_instance_v2: { node: { flavor_name: flavor, metadata: { 'openstack-cloud': cloud } } }, openstack_blockstorage_volume_v3: { data: { size: 50 } } } }]]);

  it('states the sourced server price and what has none, never a total that looks complete', () => {
    expect(sidePrice(openstack('ovhcloud', 'b3-32'))).toEqual({ unpriced: 'Server b3-32 149.36; no sourced ovhcloud price for volume, floating ipv4' });
    expect(sidePrice(openstack('cleura', 'b.8c24gb'))).toEqual({ unpriced: 'no sourced cleura price for server b.8c24gb, volume, floating ipv4' });
  });

  it('describes a change of flavour without a sum', () => {
    const cost = monthlyCost(openstack('ovhcloud', 'b3-16'), openstack('ovhcloud', 'b3-32'));
    expect(cost?.change).toBeUndefined();
    expect(describeCost(cost)).toContain('not priced (Server b3-32 149.36;');
  });
});

describe('the monthly cost of a deployment across the two sides', () => {
  it('is the difference of both prices, rounded to cents', () => {
    const cost = monthlyCost(stacks('cx33', 50), stacks('ccx33', 100))!;
    expect(cost).toMatchObject({ currency: 'EUR', before: { total: price('cx33', 50) }, after: { total: price('ccx33', 100) }, basis: COST_BASIS });
    expect(cost.change).toBe(Math.round((price('ccx33', 100) - price('cx33', 50)) * 100) / 100);
  });

  it('counts a missing side as 0, and has no change when one side is unpriced', () => {
    expect(monthlyCost(undefined, stacks('cx33', 50))).toMatchObject({ change: price('cx33', 50) });
    expect(monthlyCost(undefined, stacks('cx33', 50))!.before).toBeUndefined();
    expect(monthlyCost(stacks('cx99', 50), stacks('cx33', 50))!.change).toBeUndefined();
    expect(monthlyCost(undefined, new Map())).toBeUndefined();
  });
});

describe('money and cost in words', () => {
  it('writes amounts with two decimals, signed on request', () => {
    expect(money(21.339)).toBe('21.34');
    expect(money(-2)).toBe('-2.00');
    expect([money(13.5, true), money(-2, true), money(0, true)]).toEqual(['+13.50', '-2.00', '±0.00']);
  });

  it('describes a change, no change, a new and a removed deployment, and an unpriced one', () => {
    const [a, b] = [price('cx33', 50), price('cx43', 50)];
    expect(describeCost(monthlyCost(stacks('cx33', 50), stacks('cx43', 50)))).toBe(`EUR ${money(a)} → ${money(b)} (${money(Math.round((b - a) * 100) / 100, true)})`);
    expect(describeCost(monthlyCost(stacks('cx33', 50), stacks('cx33', 50)))).toBe(`EUR ${money(a)} (unchanged)`);
    expect(describeCost(monthlyCost(undefined, stacks('cx33', 50)))).toBe(`EUR ${money(a)} (new, +${money(a)})`);
    expect(describeCost(monthlyCost(stacks('cx33', 50), undefined))).toBe(`EUR ${money(a)} (removed, -${money(a)})`);
    expect(describeCost(monthlyCost(stacks('cx99', 50), stacks('cx33', 50)))).toMatch(/^EUR not priced \(.*cx99.*\) → /);
    expect(describeCost(undefined)).toMatch(/^not priced \(no Hetzner server/);
  });
});
