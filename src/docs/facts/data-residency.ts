import { HETZNER_LOCATIONS } from '../catalogue';
import type { Synthesized } from '../read-back';

/* Where each located cloud resource is (city and country); the backups' place is in backups.ts. */

export interface LocationFact {
  readonly what: string;
  readonly location: string;
  readonly city: string;
  readonly country: string;
  readonly where: string;
}

/** Every hcloud resource that has a location, with its city and country. */
export function locations(synth: Synthesized): LocationFact[] {
  const facts: LocationFact[] = [];
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
