/**
 * The monthly cost of each side of a deployment, from its synthesized stacks: the Hetzner server
 * type and volume size priced with the kit's dated list prices (src/pricing/hetzner.ts), read
 * the way the reference architecture reads them (costOf in src/docs/facts/cost.ts; a test keeps the
 * two equal). A deployment on an existing cluster has no priced resources. An OpenStack side is
 * never given a total: the kit has sourced prices for some flavours only, never for the volume or
 * the floating IP, so it says what it knows instead of a sum that looks complete.
 */
import { HETZNER_PRICES, hetznerMonthlyCost, totalMonthly } from '../pricing/hetzner';
import { openstackMonthlyCost } from '../pricing/openstack';
import { OPENSTACK_CLOUD_METADATA } from '../components/labels';

/** A side's price: a total, or why there is none although the side has a server. */
export type SidePrice = { readonly total: number } | { readonly unpriced: string };

export interface MonthlyCost {
  readonly currency: string;
  /** Absent when the deployment does not exist on that side. */
  readonly before?: SidePrice;
  readonly after?: SidePrice;
  /** after − before, when both are priced (a missing side counts 0). */
  readonly change?: number;
  /** Which prices: `Hetzner list prices effective 2026-06-15, net`. */
  readonly basis: string;
}

export const COST_BASIS = `Hetzner list prices effective ${HETZNER_PRICES.effective}, net of VAT`;

type Resources = Record<string, Record<string, Record<string, unknown>>>;

/** The first resource of a type across a deployment's stacks (a deployment has one node and one data volume). */
function firstResource(stacks: ReadonlyMap<string, unknown>, type: string): Record<string, unknown> | undefined {
  for (const json of stacks.values()) {
    const resources = (json as { resource?: Resources } | undefined)?.resource?.[type];
    const first = resources && Object.values(resources)[0];
    if (first) return first;
  }
  return undefined;
}

/** The monthly price of one side's stacks; undefined when it has no Hetzner server and volume. */
export function sidePrice(stacks: ReadonlyMap<string, unknown>): SidePrice | undefined {
  const instance = firstResource(stacks, 'openstack_compute_instance_v2');
  const osVolume = firstResource(stacks, 'openstack_blockstorage_volume_v3');
  if (instance && osVolume) {
    const cloud = String((instance.metadata as Record<string, unknown> | undefined)?.[OPENSTACK_CLOUD_METADATA] ?? 'generic');
    const { priced, unpriced } = openstackMonthlyCost(cloud, String(instance.flavor_name), Number(osVolume.size));
    const known = priced.map((l) => `${l.item} ${money(l.monthlyEur)}`).join(', ');
    return { unpriced: `${known ? `${known}; ` : ''}no sourced ${cloud} price for ${unpriced.map((l) => l.item.toLowerCase()).join(', ')}` };
  }
  const server = firstResource(stacks, 'hcloud_server');
  const volume = firstResource(stacks, 'hcloud_volume');
  if (!server || !volume) return undefined;
  try {
    return { total: totalMonthly(hetznerMonthlyCost(String(server.server_type), Number(volume.size))) };
  } catch (error) {
    return { unpriced: error instanceof Error ? error.message : String(error) };
  }
}

/** Both sides' prices; undefined when neither side has priced resources. */
export function monthlyCost(before: ReadonlyMap<string, unknown> | undefined, after: ReadonlyMap<string, unknown> | undefined): MonthlyCost | undefined {
  const old = before && sidePrice(before);
  const now = after && sidePrice(after);
  if (!old && !now) return undefined;
  const total = (price: SidePrice | undefined) => (price === undefined ? 0 : 'total' in price ? price.total : undefined);
  const [a, b] = [total(old), total(now)];
  const change = a !== undefined && b !== undefined ? Math.round((b - a) * 100) / 100 : undefined;
  return {
    currency: HETZNER_PRICES.currency,
    ...(old ? { before: old } : {}),
    ...(now ? { after: now } : {}),
    ...(change !== undefined ? { change } : {}),
    basis: COST_BASIS,
  };
}

/** `21.34`, `+13.50`, `-2.00`, `±0.00`. */
export function money(amount: number, signed = false): string {
  const text = Math.abs(amount).toFixed(2);
  if (!signed) return amount < 0 ? `-${text}` : text;
  return amount > 0 ? `+${text}` : amount < 0 ? `-${text}` : `±${text}`;
}

/** `EUR 21.34 → 44.84 (+23.50)`, `EUR 21.34 (unchanged)`, `EUR 21.34 (new)`, `not priced: ...`. */
export function describeCost(cost: MonthlyCost | undefined): string {
  if (!cost) return 'not priced (no Hetzner server: an existing cluster is not priced by the kit)';
  const side = (price: SidePrice | undefined) => (price === undefined ? undefined : 'total' in price ? money(price.total) : `not priced (${price.unpriced})`);
  const [old, now] = [side(cost.before), side(cost.after)];
  if (old === undefined) return `${cost.currency} ${now} (new${cost.change !== undefined ? `, ${money(cost.change, true)}` : ''})`;
  if (now === undefined) return `${cost.currency} ${old} (removed${cost.change !== undefined ? `, ${money(cost.change, true)}` : ''})`;
  if (cost.change === 0) return `${cost.currency} ${now} (unchanged)`;
  return `${cost.currency} ${old} → ${now}${cost.change !== undefined ? ` (${money(cost.change, true)})` : ''}`;
}
