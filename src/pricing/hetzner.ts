/**
 * Hetzner Cloud list prices, net EUR per month (monthly cap, excluding VAT), for new orders in
 * the EU locations (fsn1, nbg1, hel1; Germany and Finland are priced alike).
 *
 * Source: Hetzner's price adjustment for new orders effective 2026-06-15, as read from Hetzner's
 * pricing API and price-adjustment documentation by public price trackers (mixxor/eu-cloud-prices
 * prices/hetzner.json, commit of 2026-06-15 and 2026-08-17; robhunter/agentdeals PRs 1286/1323 of
 * 2026-09-03/04; CanineHQ/canine PR 677 of 2026-07-26). Checked 2026-11-27. Server prices exclude
 * the primary IPv4, which is billed separately. Servers ordered before 2026-06-15 keep the lower
 * prices of 2026-04-01 until rescaled.
 *
 * Prices move: refresh this table (and its date) when Hetzner announces a change.
 */
export const HETZNER_PRICES = {
  checked: '2026-11-27',
  effective: '2026-06-15',
  currency: 'EUR',
  source:
    "Hetzner Cloud price adjustment for new orders of 2026-06-15, via Hetzner's pricing API as recorded by public price trackers",
  serverMonthly: {
    cx23: 5.49,
    cx33: 8.49,
    cx43: 15.99,
    cx53: 29.49,
    cpx12: 11.49,
    cpx22: 19.49,
    cpx32: 35.49,
    cpx42: 69.49,
    cpx52: 100.49,
    cpx62: 129.99,
    ccx13: 42.99,
    ccx23: 85.99,
    ccx33: 138.49,
    ccx43: 275.99,
    ccx53: 533.49,
    ccx63: 853.49,
    cax11: 5.99,
    cax21: 10.49,
    cax31: 20.99,
    cax41: 40.99,
  } as Readonly<Record<string, number>>,
  primaryIpv4Monthly: 0.5,
  primaryIpv6Monthly: 0,
  volumePerGiBMonthly: 0.0572,
  /** Traffic included per server in EU locations; beyond it EUR 1.00 per TB. */
  includedTrafficTB: 20,
  extraTrafficPerTB: 1.0,
} as const;

export interface CostLine {
  readonly item: string;
  readonly quantity: string;
  readonly monthlyEur: number;
}

/** Monthly cost of a single-node Hetzner deployment, line by line (rounded to cents). */
export function hetznerMonthlyCost(serverType: string, volumeSizeGiB: number): CostLine[] {
  const server = HETZNER_PRICES.serverMonthly[serverType];
  if (server === undefined) throw new Error(`no price for Hetzner server type ${serverType}`);
  const round = (n: number) => Math.round(n * 100) / 100;
  return [
    { item: `Server ${serverType}`, quantity: '1', monthlyEur: server },
    { item: 'Primary IPv4', quantity: '1', monthlyEur: HETZNER_PRICES.primaryIpv4Monthly },
    { item: 'Primary IPv6', quantity: '1', monthlyEur: HETZNER_PRICES.primaryIpv6Monthly },
    { item: 'Volume', quantity: `${volumeSizeGiB} GiB`, monthlyEur: round(volumeSizeGiB * HETZNER_PRICES.volumePerGiBMonthly) },
  ];
}

export function totalMonthly(lines: readonly CostLine[]): number {
  return Math.round(lines.reduce((sum, line) => sum + line.monthlyEur, 0) * 100) / 100;
}
