import { allowedRegions, OPENSTACK_CLOUDS, profileFlavour, regionPlace, smallestFlavour } from '../../src/config/openstack-clouds';
import { sizeProfile } from '../../src/config/sizing';

describe('regionPlace', () => {
  it('places EU and non-EU regions of the known clouds', () => {
    expect(regionPlace('ovhcloud', 'GRA11')).toEqual({ city: 'Gravelines', country: 'France', eu: true });
    expect(regionPlace('ovhcloud', 'BHS5')).toEqual({ city: 'Beauharnois', country: 'Canada', eu: false });
    expect(regionPlace('otc', 'eu-nl')).toEqual({ city: 'Amsterdam', country: 'Netherlands', eu: true });
    expect(regionPlace('cleura', 'Kna1')).toEqual({ city: 'Karlskrona', country: 'Sweden', eu: true });
  });

  it('matches whole names only', () => {
    expect(regionPlace('ovhcloud', 'GRA')).toBeUndefined();
    expect(regionPlace('ovhcloud', 'xGRA11')).toBeUndefined();
    expect(regionPlace('otc', 'eu-de-01')).toBeUndefined();
  });

  it('knows no places of a generic cloud', () => {
    expect(regionPlace('generic', 'GRA11')).toBeUndefined();
  });

  it('lists no region twice, and every known cloud has a dated source', () => {
    for (const profile of Object.values(OPENSTACK_CLOUDS)) {
      const shown = [...profile.euRegions, ...profile.nonEuRegions].map((r) => r.shown);
      expect(new Set(shown).size).toBe(shown.length);
      expect(profile.regionSource).toMatch(/^https:\/\//);
      expect(profile.checked).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      if (profile.flavours.length > 0) expect(profile.flavourSource).toMatch(/^https:\/\//);
    }
    expect(allowedRegions('otc')).toBe('eu-de (Biere/Magdeburg, Germany), eu-nl (Amsterdam, Netherlands)');
  });
});

describe('flavour choice', () => {
  it('is the smallest known flavour that holds the need, as for the Hetzner server type', () => {
    expect(smallestFlavour('ovhcloud', { cpu: 2, memoryGiB: 8 })?.name).toBe('b3-8');
    expect(smallestFlavour('ovhcloud', { cpu: 2.1, memoryGiB: 8 })?.name).toBe('b3-16');
    expect(smallestFlavour('cleura', { cpu: 5, memoryGiB: 11 })?.name).toBe('b.8c24gb');
    expect(smallestFlavour('ovhcloud', { cpu: 9, memoryGiB: 8 })).toBeUndefined();
    expect(smallestFlavour('generic', { cpu: 1, memoryGiB: 1 })).toBeUndefined();
  });

  it('chooses by the size profile, group calls included', () => {
    expect(profileFlavour('ovhcloud', sizeProfile('small', 'closed', false), false)?.name).toBe('b3-32');
    expect(profileFlavour('ovhcloud', sizeProfile('medium', 'closed', true), true)).toBeUndefined();
  });
});
