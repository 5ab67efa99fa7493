import { hasHostBits, networkOf, parseCidr } from './cidr';
import { allowedRegions, flavour, OPENSTACK_CLOUDS, placeName, profileFlavour, regionPlace, type OpenStackCloudName } from './openstack-clouds';
import type { Problem } from './problems';
import { get, str } from './raw-data';
import { GROUP_CALLS_BY_SIZE, nodeRequirement, serverType, sizeProfile, type FederationMode, type SizeName, type SizeProfile } from './sizing';
import type { YamlSource } from './yaml-source';

/**
 * Rules on where the node runs (target.hetzner, target.openstack): administration networks,
 * the node's size against the profile, and on OpenStack the region (EU only, the place named),
 * the Keystone endpoint of a generic cloud and a flavour where the kit knows none that fits.
 */
type Rule = (source: YamlSource) => Problem[];

const adminCidrsRule: Rule = (src) =>
  (['hetzner', 'openstack'] as const).flatMap((kind) => {
    const cidrs = get(src.data, ['target', kind, 'admin_cidrs']);
    if (!Array.isArray(cidrs)) return [];
    const problems: Problem[] = [];
    cidrs.forEach((text, index) => {
      if (typeof text !== 'string') return;
      const cidr = parseCidr(text);
      const path = ['target', kind, 'admin_cidrs', index];
      if (!cidr) {
        // Shape errors are the schema's; this catches well-shaped but impossible addresses.
        if (/^[0-9a-fA-F.:]+\/\d+$/.test(text)) {
          problems.push(src.problem(path, `'${text}' is not a valid network (expected for example 198.51.100.0/24 or 2001:db8::/48)`));
        }
        return;
      }
      if (cidr.prefix === 0) {
        problems.push(
          src.problem(path, `'${text}' opens SSH and the Kubernetes API to the whole internet (expected your administration networks only)`),
        );
      } else if (hasHostBits(cidr)) {
        problems.push(src.problem(path, `'${text}' has host bits set (expected the network address ${networkOf(cidr)})`));
      }
    });
    return problems;
  });

/** The size profile the file asks for, with what the node must hold; undefined when the file is malformed there. */
function profileOf(src: YamlSource): { size: SizeName; federation: FederationMode; groupCalls: boolean; profile: SizeProfile } | undefined {
  const size = (str(src.data, ['size']) ?? 'small') as SizeName;
  const federation = (str(src.data, ['federation', 'mode']) ?? 'closed') as FederationMode;
  if (!['small', 'medium', 'large'].includes(size) || !['closed', 'allow_list', 'open'].includes(federation)) return undefined;
  const groupCalls = (get(src.data, ['calls', 'group', 'enabled']) ?? GROUP_CALLS_BY_SIZE[size]) === true;
  return { size, federation, groupCalls, profile: sizeProfile(size, federation, groupCalls) };
}

const serverTypeRule: Rule = (src) => {
  const name = str(src.data, ['target', 'hetzner', 'server_type']);
  const type = name === undefined ? undefined : serverType(name);
  const wanted = profileOf(src);
  if (!type || !wanted) return [];
  const { size, federation, groupCalls, profile } = wanted;
  const need = nodeRequirement(profile.synapse, profile.postgres, groupCalls);
  if (type.cpu >= need.cpu && type.memoryGiB >= need.memoryGiB) return [];
  return [
    src.problem(
      ['target', 'hetzner', 'server_type'],
      `${name} has ${type.cpu} vCPU and ${type.memoryGiB} GiB, too small for size ${size} with federation ${federation} (expected at least ${need.cpu} vCPU and ${need.memoryGiB} GiB, such as ${profile.hetznerServerType})`,
    ),
  ];
};

const CLOUDS: readonly OpenStackCloudName[] = ['ovhcloud', 'otc', 'cleura', 'generic'];

/**
 * A known cloud's region must be one of its EU regions. A region the profile places outside the
 * EU is a decision, not a typo: the refusal names the place and suggests nothing.
 */
const openstackRegionRule: Rule = (src) => {
  const cloud = str(src.data, ['target', 'openstack', 'cloud']) as OpenStackCloudName | undefined;
  const region = str(src.data, ['target', 'openstack', 'region']);
  if (cloud === undefined || region === undefined || !CLOUDS.includes(cloud) || cloud === 'generic') return [];
  const place = regionPlace(cloud, region);
  if (place?.eu) return [];
  const path = ['target', 'openstack', 'region'];
  const expected = `expected one of: ${allowedRegions(cloud)}`;
  if (place) {
    return [src.problem(path, `'${region}' is outside the EU (${placeName(place)}); only EU regions are allowed (${expected})`)];
  }
  return [src.problem(path, `'${region}' is not an EU region the kit knows for ${OPENSTACK_CLOUDS[cloud].title} (${expected}; for another region use cloud generic)`)];
};

/** A generic cloud has no endpoint the kit could know; a known one may take it from the environment. */
const openstackAuthUrlRule: Rule = (src) => {
  if (str(src.data, ['target', 'openstack', 'cloud']) !== 'generic') return [];
  if (get(src.data, ['target', 'openstack', 'auth_url']) !== undefined) return [];
  return [src.problem(['target', 'openstack', 'cloud'], 'generic needs target.openstack.auth_url (expected the https:// Keystone v3 endpoint of the cloud)')];
};

/**
 * The flavour: where the file names one the kit knows, it must hold the profile (like the Hetzner
 * server type); where it names none, the kit must know one that fits, or the file must say.
 */
const openstackFlavourRule: Rule = (src) => {
  const cloud = str(src.data, ['target', 'openstack', 'cloud']) as OpenStackCloudName | undefined;
  const wanted = profileOf(src);
  if (cloud === undefined || !CLOUDS.includes(cloud) || !wanted) return [];
  const { size, federation, groupCalls, profile } = wanted;
  const need = nodeRequirement(profile.synapse, profile.postgres, groupCalls);
  const needs = `${need.cpu} vCPU and ${need.memoryGiB} GiB`;
  const name = get(src.data, ['target', 'openstack', 'flavor']);
  if (name === undefined) {
    if (profileFlavour(cloud, profile, groupCalls)) return [];
    const why = cloud === 'generic' ? 'the kit knows no flavours of a generic cloud' : `no flavour the kit knows on ${cloud} fits size ${size} with federation ${federation}`;
    return [src.problem(['target', 'openstack'], `needs flavor: ${why} (expected a flavour with at least ${needs})`, true)];
  }
  const known = typeof name === 'string' ? flavour(cloud, name) : undefined;
  if (!known || (known.cpu >= need.cpu && known.memoryGiB >= need.memoryGiB)) return [];
  return [
    src.problem(
      ['target', 'openstack', 'flavor'],
      `${known.name} has ${known.cpu} vCPU and ${known.memoryGiB} GiB, too small for size ${size} with federation ${federation} (expected at least ${needs})`,
    ),
  ];
};

const TARGET_RULES: readonly Rule[] = [adminCidrsRule, serverTypeRule, openstackRegionRule, openstackAuthUrlRule, openstackFlavourRule];

export function checkTargetRules(source: YamlSource): Problem[] {
  return TARGET_RULES.flatMap((rule) => rule(source));
}
