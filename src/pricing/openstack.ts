import type { CostLine } from './hetzner';

/**
 * List prices of the flavours the kit chooses on the OpenStack clouds it knows, net EUR per month
 * (730 hours, excluding VAT, no savings plan), with the date they were read and where.
 *
 * OVHcloud: the b3 general-purpose flavours of src/config/openstack-clouds.ts, from the
 * MoveInfra EU cloud price comparison (CC BY 4.0), generated 2026-10-28 from OVHcloud's price
 * API: data/eu-cloud-prices.csv, server baskets 2/8, 4/16 and 8/32 vCPU/GB. Checked 2026-12-07.
 *
 * Not priced, because no public source was found when this table was written: OVHcloud's block
 * storage and floating IP, every Open Telekom Cloud and Cleura price. The bill of materials says
 * so line by line instead of guessing; a deployment there shows only what is sourced.
 *
 * Prices move: refresh this table (and its date) when a provider announces a change.
 */
export interface CloudPrices {
  readonly checked: string;
  readonly effective: string;
  readonly currency: 'EUR';
  readonly source: string;
  readonly flavourMonthly: Readonly<Record<string, number>>;
}

export const OPENSTACK_PRICES: Readonly<Partial<Record<string, CloudPrices>>> = {
  ovhcloud: {
    checked: '2026-12-07',
    effective: '2026-10-28',
    currency: 'EUR',
    source:
      "OVHcloud Public Cloud list prices via OVHcloud's price API, as recorded by the MoveInfra EU cloud price comparison generated 2026-10-28 (https://raw.githubusercontent.com/moveinfra/eu-cloud-prices/main/data/eu-cloud-prices.csv)",
    flavourMonthly: { 'b3-8': 37.38, 'b3-16': 74.68, 'b3-32': 149.36 },
  },
};

/** A line the kit cannot price, and why. */
export interface UnpricedLine {
  readonly item: string;
  readonly quantity: string;
  readonly why: string;
}

export interface OpenStackCost {
  readonly priced: readonly CostLine[];
  readonly unpriced: readonly UnpricedLine[];
  readonly prices?: CloudPrices;
}

/**
 * The monthly cost of a single-node OpenStack deployment, as far as sourced prices go: the server
 * when its flavour is in the table; the volume and the floating IP are listed as not priced.
 */
export function openstackMonthlyCost(cloud: string, flavor: string, volumeSizeGiB: number): OpenStackCost {
  const prices = OPENSTACK_PRICES[cloud];
  const server = prices?.flavourMonthly[flavor];
  const noSource = `no sourced ${cloud} price in src/pricing/openstack.ts`;
  return {
    priced: server === undefined ? [] : [{ item: `Server ${flavor}`, quantity: '1', monthlyEur: server }],
    unpriced: [
      ...(server === undefined ? [{ item: `Server ${flavor}`, quantity: '1', why: noSource }] : []),
      { item: 'Volume', quantity: `${volumeSizeGiB} GiB`, why: noSource },
      { item: 'Floating IPv4', quantity: '1', why: noSource },
    ],
    ...(prices ? { prices } : {}),
  };
}
