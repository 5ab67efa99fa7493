import { HETZNER_PRICES, hetznerMonthlyCost, totalMonthly, type CostLine } from '../../pricing/hetzner';
import type { LivePrices } from '../pricing-api';
import { resourcesOf, type Synthesized } from '../read-back';
import { hetznerServer } from './platform';

export interface CostFact {
  readonly lines: readonly CostLine[];
  readonly total: number;
  readonly source: string;
  readonly location: string;
}

/** The monthly cost of the Hetzner server and volume, from the price table or live prices; undefined off Hetzner. */
export function costOf(synth: Synthesized, live?: LivePrices): CostFact | undefined {
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
