import { HETZNER_LOCATIONS } from '../catalogue';
import { resourcesOf, type Synthesized } from '../read-back';
import { openstackCloud } from './openstack-cloud';

/* Where each located cloud resource is (city and country); the backups' place is in backups.ts. */

export interface LocationFact {
  readonly what: string;
  readonly location: string;
  readonly city: string;
  readonly country: string;
  readonly where: string;
}

/**
 * Every hcloud resource that has a location, with its city and country; on OpenStack, every
 * resource that holds data or an address, in the provider's region.
 */
export function locations(synth: Synthesized): LocationFact[] {
  const facts: LocationFact[] = [];
  const cloud = openstackCloud(synth);
  if (cloud) {
    const [city, country] = cloud.place.includes(', ') ? cloud.place.split(', ') : ['—', cloud.place];
    const located = ['openstack_compute_instance_v2', 'openstack_blockstorage_volume_v3', 'openstack_networking_floatingip_v2', 'openstack_networking_network_v2'];
    for (const r of resourcesOf(synth, ...located)) {
      facts.push({
        what: `${r.type.replace(/^openstack_/, '').replace(/_v[0-9]+$/, '').replace(/_/g, ' ')} ${String(r.body.name ?? r.name)}`,
        location: cloud.region,
        city,
        country,
        where: `\`${r.address}\` (${r.stack})`,
      });
    }
  }
  for (const stack of synth.stacks) {
    for (const [type, byName] of Object.entries(stack.json.resource ?? {})) {
      if (!type.startsWith('hcloud_')) continue;
      for (const [name, body] of Object.entries(byName)) {
        if (typeof body.location !== 'string') continue;
        const place = HETZNER_LOCATIONS[body.location] ?? { city: 'unknown', country: 'unknown' };
        facts.push({
          what: `${type.replace(/^hcloud_/, '').replace(/_/g, ' ')} ${String(body.name ?? name)}`,
          location: body.location,
          ...place,
          where: `\`${type}.${name}\` (${stack.name})`,
        });
      }
    }
  }
  return facts;
}
