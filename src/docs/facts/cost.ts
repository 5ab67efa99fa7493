import { HETZNER_PRICES, hetznerMonthlyCost, totalMonthly, type CostLine } from '../../pricing/hetzner';
import { openstackMonthlyCost, type UnpricedLine } from '../../pricing/openstack';
import type { LivePrices } from '../pricing-api';
import { resourcesOf, type Synthesized } from '../read-back';
import { hetznerServer, openstackServer } from './platform';

export interface CostFact {
  readonly lines: readonly CostLine[];
  readonly total: number;
  readonly source: string;
  readonly location: string;
  /** Lines the kit has no sourced price for (OpenStack): shown, never guessed. */
  readonly unpriced?: readonly UnpricedLine[];
}

/** The monthly cost of the Hetzner server and volume, from the price table or live prices; undefined off Hetzner. */
export function costOf(synth: Synthesized, live?: LivePrices): CostFact | undefined {
  const instance = openstackServer(synth);
  if (instance) return openstackCostOf(synth, String(instance.body.flavor_name));
  const server = hetznerServer(synth);
  const volume = resourcesOf(synth, 'hcloud_volume')[0];
  if (!server || !volume) return undefined;
  const type = String(server.body.server_type);
  const size = Number(volume.body.size);
  const location = String(server.body.location);
  if (!live) {
    const lines = hetznerMonthlyCost(type, size);
    return {
      lines,
      total: totalMonthly(lines),
      location,
      source: `Price table in src/pricing/hetzner.ts: ${HETZNER_PRICES.source}; prices effective ${HETZNER_PRICES.effective}, checked ${HETZNER_PRICES.checked}. Net ${HETZNER_PRICES.currency} per month, excluding VAT; ${HETZNER_PRICES.includedTrafficTB} TB traffic included, then ${HETZNER_PRICES.currency} ${HETZNER_PRICES.extraTrafficPerTB.toFixed(2)} per TB.`,
    };
  }
  const lines = live.costLines(type, size, location);
  return { lines, total: totalMonthly(lines), location, source: live.source };
}

/** What the dated OpenStack table prices (the server, on OVHcloud), with the rest listed as unpriced. */
function openstackCostOf(synth: Synthesized, flavor: string): CostFact | undefined {
  const volume = resourcesOf(synth, 'openstack_blockstorage_volume_v3')[0];
  const target = synth.spec.target;
  if (!volume || target.kind !== 'openstack') return undefined;
  const { priced, unpriced, prices } = openstackMonthlyCost(target.cloud, flavor, Number(volume.body.size));
  return {
    lines: priced,
    total: totalMonthly(priced),
    location: target.region,
    unpriced,
    source: prices
      ? `Price table in src/pricing/openstack.ts: ${prices.source}; prices of ${prices.effective}, checked ${prices.checked}. Net ${prices.currency} per month (730 hours), excluding VAT; only the lines listed are priced.`
      : `src/pricing/openstack.ts has no sourced prices for ${target.cloud}: nothing is priced.`,
  };
}
