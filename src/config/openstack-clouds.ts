import { nodeRequirement, type Resources, type SizeProfile } from './sizing';

/**
 * The OpenStack clouds the kit knows by name, as dated data with a source for every fact: where
 * each region is (so the kit can refuse a region outside the EU and name the place), and the
 * flavours it may choose by size profile. A fact without a public source is left out, never
 * guessed: a cloud without a flavour table needs `target.openstack.flavor`, and `generic` (a
 * ministry's own cloud) has no region list, so its operator answers for where it runs.
 * Prices live in src/pricing/openstack.ts; certifications in the docs facts.
 */

export type OpenStackCloudName = 'ovhcloud' | 'otc' | 'cleura' | 'generic';
export type KnownCloudName = Exclude<OpenStackCloudName, 'generic'>;

export interface RegionFact {
  /** Absent where the sources name only the country. */
  readonly city?: string;
  readonly country: string;
}

/** `Gravelines, France`, or the country alone. */
export function placeName(place: RegionFact): string {
  return place.city ? `${place.city}, ${place.country}` : place.country;
}

/** A region pattern: OVHcloud numbers its regions per site (GRA7, GRA9, GRA11, ...). */
interface RegionPattern {
  /** Matched against the whole region name, case-sensitively as the cloud spells it. */
  readonly pattern: RegExp;
  /** How the allow-list prints it: `GRA<n>`. */
  readonly shown: string;
  readonly place: RegionFact;
}

export interface Flavour {
  readonly name: string;
  readonly cpu: number;
  readonly memoryGiB: number;
}

export interface CloudProfile {
  readonly name: KnownCloudName;
  /** The provider and offer, as the reference architecture names them. */
  readonly title: string;
  /** Legal entity and its seat (the jurisdiction the reference architecture names). */
  readonly operator: { readonly name: string; readonly seat: string; readonly source: string };
  readonly euRegions: readonly RegionPattern[];
  /** Regions outside the EU, named so the refusal says where they are. */
  readonly nonEuRegions: readonly RegionPattern[];
  readonly regionSource: string;
  /** General-purpose flavours with a public source; empty where none was found. */
  readonly flavours: readonly Flavour[];
  readonly flavourSource?: string;
  /** When these facts were read. */
  readonly checked: string;
}

const exact = (name: string, country: string, city?: string): RegionPattern => ({
  pattern: new RegExp(`^${name}$`),
  shown: name,
  place: city ? { city, country } : { country },
});
const numbered = (prefix: string, country: string, city?: string): RegionPattern => ({
  pattern: new RegExp(`^${prefix}[0-9]+$`),
  shown: `${prefix}<n>`,
  place: city ? { city, country } : { country },
});

export const OPENSTACK_CLOUDS: Readonly<Record<KnownCloudName, CloudProfile>> = {
  ovhcloud: {
    name: 'ovhcloud',
    title: 'OVHcloud Public Cloud (OpenStack)',
    operator: {
      name: 'OVHcloud',
      seat: 'Roubaix, France',
      source: 'https://csf.hop3.abilian.com/providers/ovhcloud.html (citing https://corporate.ovhcloud.com/en/trusted-cloud/security-certifications/)',
    },
    // Site prefixes and places: OVHcloud's French data centres are in Roubaix, Gravelines and
    // Strasbourg (channelnews.fr); GRA, SBG, DE1, WAW1 and UK1 in France, Germany, Poland and the
    // UK, BHS in Canada (rdrr.io, RsparkleR's notes on OVH regions); EU-WEST-PAR is Paris (the OVH
    // provider's getLocation example); the other non-EU names from OVHcloud's Kubernetes region
    // enum (node-ovh-ts). Where a source names only the country, so does this table.
    euRegions: [
      numbered('GRA', 'France', 'Gravelines'),
      numbered('SBG', 'France', 'Strasbourg'),
      numbered('DE', 'Germany'),
      numbered('WAW', 'Poland'),
      exact('EU-WEST-PAR', 'France', 'Paris'),
    ],
    nonEuRegions: [
      numbered('UK', 'United Kingdom'),
      numbered('BHS', 'Canada', 'Beauharnois'),
      numbered('SGP', 'Singapore'),
      numbered('SYD', 'Australia', 'Sydney'),
      numbered('US-EAST-VA-', 'USA', 'Virginia'),
      numbered('US-WEST-OR-', 'USA', 'Oregon'),
    ],
    regionSource:
      'https://www.channelnews.fr/ovh-fournisseur-de-cloud-souverain-64665; https://rdrr.io/github/voltek62/RsparkleR/man/Instance.html; https://www.pulumi.com/registry/packages/ovh/api-docs/getcloudregion/; https://www.pulumi.com/registry/packages/ovh/api-docs/getlocation; https://app.unpkg.com/node-ovh-ts@0.0.5/files/dist/models/CloudKubeRegionEnum.d.ts',
    // b3: general purpose, third generation; the name's number is the RAM in GB.
    flavours: [
      { name: 'b3-8', cpu: 2, memoryGiB: 8 },
      { name: 'b3-16', cpu: 4, memoryGiB: 16 },
      { name: 'b3-32', cpu: 8, memoryGiB: 32 },
    ],
    flavourSource: 'https://raw.githubusercontent.com/moveinfra/eu-cloud-prices/main/data/eu-cloud-prices.csv (server baskets 2/8, 4/16, 8/32 vCPU/GB, generated 2026-10-28 from OVHcloud\'s price API)',
    checked: '2026-12-07',
  },
  otc: {
    name: 'otc',
    title: 'Open Telekom Cloud (T-Systems, OpenStack)',
    operator: {
      name: 'T-Systems, a subsidiary of Deutsche Telekom AG',
      seat: 'Germany',
      source: 'https://csf.hop3.abilian.com/providers/open-telekom-cloud.html (citing https://www.open-telekom-cloud.com/en/products-services/core-services/certifications)',
    },
    euRegions: [exact('eu-de', 'Germany', 'Biere/Magdeburg'), exact('eu-nl', 'Netherlands', 'Amsterdam')],
    // The Swiss Open Telekom Cloud is outside the EU; its region name has no source here, so it
    // is refused as "not a known EU region" rather than by name.
    nonEuRegions: [],
    regionSource:
      'https://raw.githubusercontent.com/opentelekomcloud-docs/regions-and-endpoints/main/doc/source/index.rst; https://csf.hop3.abilian.com/providers/open-telekom-cloud.html (data centres Biere/Magdeburg, Amsterdam)',
    flavours: [],
    checked: '2026-12-07',
  },
  cleura: {
    name: 'cleura',
    title: 'Cleura Public Cloud (OpenStack)',
    // "AB" (aktiebolag) is the Swedish limited company.
    operator: { name: 'Cleura AB', seat: 'Sweden', source: 'https://cleura.com/privacy-policy/' },
    // Cleura Compliant Cloud's regions (Sto1HS, Sto2HS, Sto-Com) are not listed: the source gives
    // no place for them. Use cloud generic for those, with the operator's own knowledge.
    euRegions: [exact('Kna1', 'Sweden', 'Karlskrona'), exact('Sto2', 'Sweden', 'Stockholm'), exact('Fra1', 'Germany', 'Frankfurt')],
    nonEuRegions: [],
    regionSource: 'https://docs.cleura.cloud/howto/getting-started/accessing-cc-rest-api (region list of the REST API, read in github.com/cleura/docs a8f920a)',
    // Flavour names are b.<vCPU>c<RAM GiB>gb (docs.cleura.cloud/reference/flavors); these are the
    // general-purpose ones Cleura's own guides name.
    flavours: [
      { name: 'b.2c8gb', cpu: 2, memoryGiB: 8 },
      { name: 'b.4c16gb', cpu: 4, memoryGiB: 16 },
      { name: 'b.4c32gb', cpu: 4, memoryGiB: 32 },
      { name: 'b.8c24gb', cpu: 8, memoryGiB: 24 },
    ],
    flavourSource: 'https://docs.cleura.cloud/reference/flavors/ (naming convention) and the flavours its guides name (github.com/cleura/docs a8f920a)',
    checked: '2026-12-07',
  },
};

/** Where a region is, if the cloud's profile knows it; `eu` says on which list. */
export function regionPlace(cloud: OpenStackCloudName, region: string): (RegionFact & { readonly eu: boolean }) | undefined {
  if (cloud === 'generic') return undefined;
  const profile = OPENSTACK_CLOUDS[cloud];
  const eu = profile.euRegions.find((r) => r.pattern.test(region));
  if (eu) return { ...eu.place, eu: true };
  const other = profile.nonEuRegions.find((r) => r.pattern.test(region));
  return other ? { ...other.place, eu: false } : undefined;
}

/** The allow-list as a refusal prints it: `GRA<n> (Gravelines, France), ...`. */
export function allowedRegions(cloud: KnownCloudName): string {
  return OPENSTACK_CLOUDS[cloud].euRegions.map((r) => `${r.shown} (${placeName(r.place)})`).join(', ');
}

/** The smallest known flavour of the cloud that holds the node's requests; undefined if none is known to. */
export function smallestFlavour(cloud: OpenStackCloudName, need: Resources): Flavour | undefined {
  if (cloud === 'generic') return undefined;
  return OPENSTACK_CLOUDS[cloud].flavours
    .filter((f) => f.cpu >= need.cpu && f.memoryGiB >= need.memoryGiB)
    .sort((a, b) => a.cpu - b.cpu || a.memoryGiB - b.memoryGiB)[0];
}

/** The flavour the size profile chooses on a cloud (same rule as the Hetzner server type). */
export function profileFlavour(cloud: OpenStackCloudName, size: SizeProfile, groupCalls: boolean): Flavour | undefined {
  return smallestFlavour(cloud, nodeRequirement(size.synapse, size.postgres, groupCalls));
}

export function flavour(cloud: OpenStackCloudName, name: string): Flavour | undefined {
  return cloud === 'generic' ? undefined : OPENSTACK_CLOUDS[cloud].flavours.find((f) => f.name === name);
}
