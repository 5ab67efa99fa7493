/** Cost (src/docs/facts/cost.ts): the monthly price of the Hetzner server and volume in the JSON. */
import type { HetznerTarget } from '../../../src/config/spec';
import { costOf } from '../../../src/docs/facts/cost';
import type { LivePrices } from '../../../src/docs/pricing-api';
import { generateFromSynthesized } from '../../../src/docs/generate';
import type { Synthesized } from '../../../src/docs/read-back';
import { HETZNER_PRICES, hetznerMonthlyCost, totalMonthly } from '../../../src/pricing/hetzner';
import { specOf, VALID_YAML } from '../../helpers';
import { alter, generated, HETZNER_FILES } from './helpers';

describe.each(HETZNER_FILES)('cost of %s', (file) => {
  it('prices the server and volume of the JSON as hetznerMonthlyCost does, and states source and date', () => {
    const { synth, ref } = generated(file);
    const target = synth.spec.target as HetznerTarget;
    const lines = hetznerMonthlyCost(target.serverType, target.volumeSizeGiB);
    expect(ref.facts.cost?.lines).toEqual(lines);
    expect(ref.facts.cost?.total).toBe(totalMonthly(lines));
    const md = ref.files[`${ref.name}.md`];
    expect(md).toContain(`| **Total** |  | **${totalMonthly(lines).toFixed(2)}** |`);
    expect(md).toContain('src/pricing/hetzner.ts');
    expect(md).toMatch(/checked \d{4}-\d{2}-\d{2}/);
  });
});

describe('a change to the stacks that the document must pick up', () => {
  it('another server type in the JSON changes the cost', () => {
    const { synth } = generated('deployments/example.yaml');
    const changed = alter(synth, (stacks) => {
      stacks.infra.resource.hcloud_server.node.server_type = 'cx53';
    });
    const ref = generateFromSynthesized(changed);
    expect(ref.facts.cost?.lines[0]).toEqual(hetznerMonthlyCost('cx53', 50)[0]);
  });
});

describe('kubernetes target', () => {
  it('says that cluster costs are the operator’s', () => {
    const { ref } = generated('deployments/agency-kubernetes.yaml');
    expect(ref.facts.cost).toBeUndefined();
    expect(ref.files['agency-k8s.md']).toContain('the cluster operator’s costs');
  });
});

describe('costOf', () => {
  /** Just the two resources costOf reads, as they are in the infra stack's JSON. */
  const synthOf = (serverType: string, size: number, location = 'nbg1'): Synthesized => ({
    spec: specOf(VALID_YAML),
    stacks: [
      {
        name: 'ministry-infra',
        layer: 'infra',
        json: { resource: { hcloud_server: { node: { server_type: serverType, location } }, hcloud_volume: { data: { size, location } } } },
      },
    ],
  });

  it('sums the price table: server, both addresses and the volume per GiB', () => {
    const cost = costOf(synthOf('ccx23', 200))!;
    expect(cost.lines.map((l) => [l.item, l.quantity, l.monthlyEur])).toEqual([
      ['Server ccx23', '1', HETZNER_PRICES.serverMonthly.ccx23],
      ['Primary IPv4', '1', HETZNER_PRICES.primaryIpv4Monthly],
      ['Primary IPv6', '1', HETZNER_PRICES.primaryIpv6Monthly],
      ['Volume', '200 GiB', Math.round(200 * HETZNER_PRICES.volumePerGiBMonthly * 100) / 100],
    ]);
    const sum = HETZNER_PRICES.serverMonthly.ccx23 + HETZNER_PRICES.primaryIpv4Monthly + HETZNER_PRICES.primaryIpv6Monthly + 200 * HETZNER_PRICES.volumePerGiBMonthly;
    expect(cost.total).toBeCloseTo(sum, 1);
    expect(cost.total).toBe(totalMonthly(cost.lines));
    expect(cost.location).toBe('nbg1');
    expect(cost.source).toContain(`checked ${HETZNER_PRICES.checked}`);
    expect(cost.source).toContain('excluding VAT');
  });

  it('refuses a server type the table has no price for, rather than pricing it at zero', () => {
    expect(() => costOf(synthOf('cx999', 50))).toThrow(/no price for Hetzner server type cx999/);
  });

  it('uses live prices when given, with their source', () => {
    const calls: unknown[] = [];
    const live = {
      source: 'Hetzner Cloud API, read today',
      costLines: (type: string, size: number, location: string) => {
        calls.push([type, size, location]);
        return [{ item: `Server ${type}`, quantity: '1', monthlyEur: 10.25 }, { item: 'Volume', quantity: `${size} GiB`, monthlyEur: 1.5 }];
      },
    } as unknown as LivePrices;
    const cost = costOf(synthOf('cx33', 30, 'hel1'), live)!;
    expect(calls).toEqual([['cx33', 30, 'hel1']]);
    expect(cost.total).toBe(11.75);
    expect(cost.source).toBe('Hetzner Cloud API, read today');
  });

  it('has no cost without a Hetzner server and volume', () => {
    expect(costOf({ spec: specOf(VALID_YAML), stacks: [{ name: 'x-apps', layer: 'apps', json: {} }] })).toBeUndefined();
  });
});
