/** Data residency (src/docs/facts/data-residency.ts): where each located cloud resource is. */
import type { HetznerTarget } from '../../../src/config/spec';
import { locations } from '../../../src/docs/facts/data-residency';
import { generateFromSynthesized } from '../../../src/docs/generate';
import { synthesizeForDocs } from '../../../src/docs/read-back';
import { specOf, VALID_YAML } from '../../helpers';
import { alter, generated, HETZNER_FILES } from './helpers';

describe.each(HETZNER_FILES)('data residency of %s', (file) => {
  it('states only the location of the deployment file, for the server, the volume and both addresses', () => {
    const { synth, ref } = generated(file);
    const location = (synth.spec.target as HetznerTarget).location;
    expect(new Set(ref.facts.locations.map((l) => l.location))).toEqual(new Set([location]));
    expect(ref.facts.locations.map((l) => l.where.split('`')[1]).sort()).toEqual(
      ['hcloud_primary_ip.primary-ipv4', 'hcloud_primary_ip.primary-ipv6', 'hcloud_server.node', 'hcloud_volume.data'].sort(),
    );
    const city = { fsn1: 'Falkenstein', nbg1: 'Nuremberg', hel1: 'Helsinki' }[location];
    const country = location === 'hel1' ? 'Finland' : 'Germany';
    expect(ref.facts.locations.every((l) => l.city === city && l.country === country)).toBe(true);
    expect(ref.files[`${ref.name}.md`]).toContain('Hetzner Online GmbH, Gunzenhausen, Germany');
  });
});

describe('a change to the stacks that the document must pick up', () => {
  it('another location of the volume in the JSON changes the residency', () => {
    const { synth } = generated('deployments/example.yaml');
    const changed = alter(synth, (stacks) => {
      stacks.infra.resource.hcloud_volume.data.location = 'nbg1';
    });
    const ref = generateFromSynthesized(changed);
    expect(ref.facts.locations.find((l) => l.where.includes('hcloud_volume.data'))).toMatchObject({ location: 'nbg1', city: 'Nuremberg' });
  });
});

describe('kubernetes target', () => {
  it('states no location: the cluster’s residency is the operator’s', () => {
    expect(generated('deployments/agency-kubernetes.yaml').ref.facts.locations).toEqual([]);
  });
});

describe('locations', () => {
  it('names the EU location, its city and country for every located resource, and where it is stated', () => {
    const synth = synthesizeForDocs(specOf(VALID_YAML.replace('location: fsn1', 'location: hel1')));
    const facts = locations(synth);
    expect(facts.map((l) => [l.what, l.location, l.city, l.country, l.where])).toEqual([
      ['primary ip ministry-ipv4', 'hel1', 'Helsinki', 'Finland', '`hcloud_primary_ip.primary-ipv4` (ministry-infra)'],
      ['primary ip ministry-ipv6', 'hel1', 'Helsinki', 'Finland', '`hcloud_primary_ip.primary-ipv6` (ministry-infra)'],
      ['server ministry-k3s', 'hel1', 'Helsinki', 'Finland', '`hcloud_server.node` (ministry-infra)'],
      ['volume ministry-data', 'hel1', 'Helsinki', 'Finland', '`hcloud_volume.data` (ministry-infra)'],
    ]);
  });

  it('says unknown for a location outside the catalogue rather than guessing a jurisdiction', () => {
    const synth = synthesizeForDocs(specOf(VALID_YAML));
    const moved = alter(synth, (stacks) => {
      stacks.infra.resource.hcloud_server.node.location = 'ash';
    });
    expect(locations(moved).find((l) => l.where.includes('hcloud_server.node'))).toMatchObject({ location: 'ash', city: 'unknown', country: 'unknown' });
  });
});
