/**
 * `docs --refresh-prices`: parsing of the Hetzner Cloud pricing API's documented response shape
 * (a hand-written recorded sample, test/docs/fixtures/hetzner-pricing.json), the request it makes
 * (through an injected fetch: no network here) and its failures.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fetchHetznerPrices, HETZNER_PRICING_URL, parseHetznerPricing, PricingError, PricingUnavailable } from '../../src/docs/pricing-api';
import { cli, tempDir } from '../helpers';
import { existsSync, readdirSync } from 'node:fs';

const SAMPLE = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'hetzner-pricing.json'), 'utf8')) as unknown;

describe('parseHetznerPricing', () => {
  const prices = parseHetznerPricing(SAMPLE, '2026-11-27');

  it('reads the net monthly price of every server type per location', () => {
    expect(prices.serverMonthly.cx43).toEqual({ fsn1: 17.49, hel1: 17.49 });
    expect(prices.serverMonthly.ccx53).toEqual({ hel1: 533.49 });
    expect(prices.currency).toBe('EUR');
  });

  it('reads primary IP and volume prices', () => {
    expect(prices.primaryIpMonthly.ipv4.fsn1).toBe(0.5);
    expect(prices.primaryIpMonthly.ipv6.fsn1).toBe(0);
    expect(prices.volumePerGiBMonthly).toBe(0.06);
  });

  it('computes the cost lines of a deployment from them, and states the API and the date as source', () => {
    expect(prices.costLines('cx43', 50, 'fsn1')).toEqual([
      { item: 'Server cx43', quantity: '1', monthlyEur: 17.49 },
      { item: 'Primary IPv4', quantity: '1', monthlyEur: 0.5 },
      { item: 'Primary IPv6', quantity: '1', monthlyEur: 0 },
      { item: 'Volume', quantity: '50 GiB', monthlyEur: 3 },
    ]);
    expect(prices.source).toContain(HETZNER_PRICING_URL);
    expect(prices.source).toContain('2026-11-27');
  });

  it('refuses a server type or location the API does not price', () => {
    expect(() => prices.costLines('cx43', 50, 'nbg1')).toThrow('no price for cx43 in nbg1');
    expect(() => prices.costLines('cx99', 50, 'fsn1')).toThrow(PricingError);
  });

  it('refuses responses that do not have the documented shape', () => {
    expect(() => parseHetznerPricing({}, 'x')).toThrow('no "pricing" object');
    expect(() => parseHetznerPricing({ pricing: {} }, 'x')).toThrow('no "server_types" list');
    expect(() => parseHetznerPricing({ pricing: { server_types: [{ name: 'cx43', prices: [{ location: 'fsn1', price_monthly: { net: 'abc' } }] }] } }, 'x')).toThrow(
      'no numeric net price',
    );
  });
});

describe('fetchHetznerPrices', () => {
  it('fails with a clear message, before any request, when HCLOUD_TOKEN is not set', async () => {
    const fetchStub = jest.fn();
    await expect(fetchHetznerPrices({}, fetchStub as unknown as typeof fetch)).rejects.toThrow(PricingUnavailable);
    await expect(fetchHetznerPrices({}, fetchStub as unknown as typeof fetch)).rejects.toThrow('set HCLOUD_TOKEN');
    expect(fetchStub).not.toHaveBeenCalled();
  });

  it('sends GET /v1/pricing with the bearer token and parses the answer', async () => {
    const fetchStub = jest.fn(async () => new Response(JSON.stringify(SAMPLE), { status: 200, headers: { 'content-type': 'application/json' } }));
    const prices = await fetchHetznerPrices({ HCLOUD_TOKEN: 'test-token' }, fetchStub as unknown as typeof fetch, () => '2026-11-27');
    expect(fetchStub).toHaveBeenCalledTimes(1);
    const [url, init] = fetchStub.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('https://api.hetzner.cloud/v1/pricing');
    expect((init.headers as Record<string, string>).Authorization).toBe('Bearer test-token');
    expect(prices.serverMonthly.cx43.fsn1).toBe(17.49);
  });

  it('reports a refused token without printing it', async () => {
    const fetchStub = jest.fn(async () => new Response('{"error":{"code":"unauthorized"}}', { status: 401, statusText: 'Unauthorized' }));
    const failure = fetchHetznerPrices({ HCLOUD_TOKEN: 'secret-token-value' }, fetchStub as unknown as typeof fetch);
    await expect(failure).rejects.toThrow('401');
    await expect(fetchHetznerPrices({ HCLOUD_TOKEN: 'secret-token-value' }, fetchStub as unknown as typeof fetch)).rejects.not.toThrow('secret-token-value');
  });

  it('reports an unreachable API', async () => {
    const fetchStub = jest.fn(async () => {
      throw new TypeError('fetch failed');
    });
    await expect(fetchHetznerPrices({ HCLOUD_TOKEN: 't' }, fetchStub as unknown as typeof fetch)).rejects.toThrow('could not reach the Hetzner Cloud API');
  });
});

describe('docs --refresh-prices on the command line', () => {
  it('exits 2 with the HCLOUD_TOKEN message and writes nothing when no token is set', async () => {
    const saved = process.env.HCLOUD_TOKEN;
    delete process.env.HCLOUD_TOKEN;
    try {
      const out = join(tempDir(), 'docs');
      const result = await cli('docs', join(__dirname, '..', '..', 'deployments', 'example.yaml'), '--out', out, '--refresh-prices');
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('HCLOUD_TOKEN');
      expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
    } finally {
      if (saved !== undefined) process.env.HCLOUD_TOKEN = saved;
    }
  });
});
