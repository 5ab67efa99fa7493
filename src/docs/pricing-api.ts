import { HETZNER_PRICES, type CostLine } from '../pricing/hetzner';

/**
 * Current prices from the Hetzner Cloud API (`GET https://api.hetzner.cloud/v1/pricing`), for
 * `docs --refresh-prices`. The response (documented at docs.hetzner.cloud, "Pricing") is
 *
 *   { "pricing": { "currency": "EUR", "vat_rate": "19.00",
 *       "server_types": [ { "id": 1, "name": "cx23", "prices": [ { "location": "fsn1",
 *           "price_hourly": { "net": "...", "gross": "..." },
 *           "price_monthly": { "net": "5.4900000000", "gross": "..." },
 *           "included_traffic": 21990232555520, "price_per_tb_traffic": { ... } } ] } ],
 *       "primary_ips": [ { "type": "ipv4", "prices": [ { "location": "fsn1",
 *           "price_hourly": {...}, "price_monthly": { "net": "0.5000000000", ... } } ] } ],
 *       "volume": { "price_per_gb_month": { "net": "0.0572000000", "gross": "..." } }, ... } }
 *
 * Money values are decimal strings, net and gross; the currency and VAT are the project owner's.
 */
export const HETZNER_PRICING_URL = 'https://api.hetzner.cloud/v1/pricing';

/** Raised when prices cannot be refreshed (API unreachable, refused, odd answer): exit 3. */
export class PricingError extends Error {}

/** Raised when --refresh-prices cannot even try: no HCLOUD_TOKEN (exit 2). */
export class PricingUnavailable extends PricingError {}

export interface LivePrices {
  readonly currency: string;
  /** Net monthly price per server type and location. */
  readonly serverMonthly: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Net monthly price of a primary IPv4 / IPv6 per location (absent: not in the response). */
  readonly primaryIpMonthly: Readonly<Record<'ipv4' | 'ipv6', Readonly<Record<string, number>>>>;
  readonly volumePerGiBMonthly?: number;
  /** How the document states the source. */
  readonly source: string;
  costLines(serverType: string, volumeSizeGiB: number, location: string): CostLine[];
}

type Money = { net?: unknown };
interface LocationPrice {
  location?: unknown;
  price_monthly?: Money;
}

function amount(money: Money | undefined, what: string): number {
  const value = typeof money?.net === 'string' || typeof money?.net === 'number' ? Number(money.net) : NaN;
  if (!Number.isFinite(value)) throw new PricingError(`Hetzner pricing response: ${what} has no numeric net price`);
  return value;
}

function byLocation(prices: unknown, what: string): Record<string, number> {
  if (!Array.isArray(prices)) throw new PricingError(`Hetzner pricing response: ${what} has no prices list`);
  const out: Record<string, number> = {};
  for (const p of prices as LocationPrice[]) {
    if (typeof p.location !== 'string') throw new PricingError(`Hetzner pricing response: ${what} has a price without location`);
    out[p.location] = amount(p.price_monthly, `${what} in ${p.location}`);
  }
  return out;
}

/** Parses a `GET /v1/pricing` response body. `fetchedOn` (YYYY-MM-DD) goes into the stated source. */
export function parseHetznerPricing(body: unknown, fetchedOn: string): LivePrices {
  const pricing = (body as { pricing?: Record<string, any> } | null)?.pricing;
  if (!pricing || typeof pricing !== 'object') throw new PricingError('Hetzner pricing response has no "pricing" object');
  if (!Array.isArray(pricing.server_types)) throw new PricingError('Hetzner pricing response has no "server_types" list');
  const serverMonthly: Record<string, Record<string, number>> = {};
  for (const type of pricing.server_types as { name?: unknown; prices?: unknown }[]) {
    if (typeof type.name !== 'string') throw new PricingError('Hetzner pricing response: a server type has no name');
    serverMonthly[type.name] = byLocation(type.prices, `server type ${type.name}`);
  }
  const primaryIpMonthly: Record<'ipv4' | 'ipv6', Record<string, number>> = { ipv4: {}, ipv6: {} };
  for (const ip of (Array.isArray(pricing.primary_ips) ? pricing.primary_ips : []) as { type?: unknown; prices?: unknown }[]) {
    if (ip.type === 'ipv4' || ip.type === 'ipv6') primaryIpMonthly[ip.type] = byLocation(ip.prices, `primary ${ip.type}`);
  }
  const volume = pricing.volume?.price_per_gb_month as Money | undefined;
  const volumePerGiBMonthly = volume ? amount(volume, 'volume') : undefined;
  const currency = typeof pricing.currency === 'string' ? pricing.currency : 'EUR';
  const source = `Hetzner Cloud API (${HETZNER_PRICING_URL}), read on ${fetchedOn}: net ${currency} per month for this project, excluding VAT${
    volumePerGiBMonthly === undefined ? '; volume price from the table in src/pricing/hetzner.ts' : ''
  }.`;
  return {
    currency,
    serverMonthly,
    primaryIpMonthly,
    volumePerGiBMonthly,
    source,
    costLines(serverType, volumeSizeGiB, location) {
      const server = serverMonthly[serverType]?.[location];
      if (server === undefined) throw new PricingError(`the Hetzner pricing API lists no price for ${serverType} in ${location}`);
      const round = (n: number) => Math.round(n * 100) / 100;
      const perGiB = volumePerGiBMonthly ?? HETZNER_PRICES.volumePerGiBMonthly;
      return [
        { item: `Server ${serverType}`, quantity: '1', monthlyEur: round(server) },
        { item: 'Primary IPv4', quantity: '1', monthlyEur: round(primaryIpMonthly.ipv4[location] ?? HETZNER_PRICES.primaryIpv4Monthly) },
        { item: 'Primary IPv6', quantity: '1', monthlyEur: round(primaryIpMonthly.ipv6[location] ?? HETZNER_PRICES.primaryIpv6Monthly) },
        { item: 'Volume', quantity: `${volumeSizeGiB} GiB`, monthlyEur: round(volumeSizeGiB * perGiB) },
      ];
    },
  };
}

/**
 * Reads current prices from the Hetzner Cloud API with the token in HCLOUD_TOKEN. Fails with a
 * clear message when the token is missing or the API refuses; the token is never printed.
 */
export async function fetchHetznerPrices(
  env: NodeJS.ProcessEnv = process.env,
  fetchImpl: typeof fetch = fetch,
  today: () => string = () => new Date().toISOString().slice(0, 10),
): Promise<LivePrices> {
  const token = env.HCLOUD_TOKEN;
  if (!token) {
    throw new PricingUnavailable(
      '--refresh-prices reads current prices from the Hetzner Cloud API and needs an API token: set HCLOUD_TOKEN (a read-only token of any project is enough), or leave out --refresh-prices to use the dated price table',
    );
  }
  let response: Response;
  try {
    response = await fetchImpl(HETZNER_PRICING_URL, {
      headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    throw new PricingError(`could not reach the Hetzner Cloud API (${HETZNER_PRICING_URL}): ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!response.ok) {
    const hint = response.status === 401 ? ' (HCLOUD_TOKEN was refused; check the token)' : '';
    throw new PricingError(`the Hetzner Cloud API answered ${response.status} ${response.statusText} for ${HETZNER_PRICING_URL}${hint}`);
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new PricingError('the Hetzner Cloud API answered with something that is not JSON');
  }
  return parseHetznerPricing(body, today());
}
