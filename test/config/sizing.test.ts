import { BUNDLED_MONITORING, GROUP_CALLS_BY_SIZE, HETZNER_SERVER_TYPES, nodeRequirement, serverType, sizeProfile, type FederationMode, type SizeName } from '../../src/config/sizing';

const SIZES: SizeName[] = ['small', 'medium', 'large'];
const MODES: FederationMode[] = ['closed', 'allow_list', 'open'];

describe('size profiles', () => {
  it('adds the node overhead to what Synapse and PostgreSQL request', () => {
    const need = nodeRequirement({ cpu: 1, memoryGiB: 2 }, { cpu: 0.5, memoryGiB: 1 });
    expect(need.cpu).toBeGreaterThan(1.5);
    expect(need.memoryGiB).toBeGreaterThan(3);
    const more = nodeRequirement({ cpu: 2, memoryGiB: 2 }, { cpu: 0.5, memoryGiB: 1 });
    expect(more.cpu - need.cpu).toBeCloseTo(1);
    expect(more.memoryGiB).toBe(need.memoryGiB);
  });

  it.each(SIZES.flatMap((size) => MODES.map((mode) => [size, mode] as const)))('%s/%s picks the smallest server type of its line that holds the node', (size, mode) => {
    const profile = sizeProfile(size, mode);
    const type = serverType(profile.hetznerServerType)!;
    expect(type).toBeDefined();
    const need = nodeRequirement(profile.synapse, profile.postgres, GROUP_CALLS_BY_SIZE[size]);
    expect(type.cpu).toBeGreaterThanOrEqual(need.cpu);
    expect(type.memoryGiB).toBeGreaterThanOrEqual(need.memoryGiB);
    // Small runs on the shared cx line, medium and large on dedicated vCPU.
    expect(size === 'small' ? type.name.startsWith('cx') : type.vcpu === 'dedicated').toBe(true);
    const line = HETZNER_SERVER_TYPES.filter((t) => (size === 'small' ? t.name.startsWith('cx') : t.vcpu === 'dedicated'));
    const smaller = line.filter((t) => t.cpu >= need.cpu && t.memoryGiB >= need.memoryGiB && (t.cpu < type.cpu || (t.cpu === type.cpu && t.memoryGiB < type.memoryGiB)));
    expect(smaller).toEqual([]);
  });

  it('keeps every profile on the server type it had before the node overhead grew for the bundled monitoring stack', () => {
    const types = Object.fromEntries(SIZES.flatMap((size) => MODES.map((mode) => [`${size}/${mode}`, sizeProfile(size, mode, false).hetznerServerType])));
    expect(types).toEqual({
      'small/closed': 'cx43', 'small/allow_list': 'cx43', 'small/open': 'cx53',
      'medium/closed': 'ccx43', 'medium/allow_list': 'ccx43', 'medium/open': 'ccx43',
      'large/closed': 'ccx43', 'large/allow_list': 'ccx53', 'large/open': 'ccx53',
    });
  });

  it("adds group calls' SFU and authorisation service to the node where they run (by default from medium up)", () => {
    const [synapse, postgres] = [{ cpu: 9, memoryGiB: 8 }, { cpu: 5, memoryGiB: 24 }];
    expect(nodeRequirement(synapse, postgres, true)).toEqual({ cpu: 16.6, memoryGiB: 37.625 });
    expect(nodeRequirement(synapse, postgres, false)).toEqual({ cpu: 16, memoryGiB: 37 });
    // medium/open needed exactly ccx43's 16 vCPU; with the SFU it takes the next type. large/closed likewise.
    const withCalls = Object.fromEntries(SIZES.flatMap((size) => MODES.map((mode) => [`${size}/${mode}`, sizeProfile(size, mode).hetznerServerType])));
    expect(withCalls).toEqual({
      'small/closed': 'cx43', 'small/allow_list': 'cx43', 'small/open': 'cx53',
      'medium/closed': 'ccx43', 'medium/allow_list': 'ccx43', 'medium/open': 'ccx53',
      'large/closed': 'ccx53', 'large/allow_list': 'ccx53', 'large/open': 'ccx53',
    });
  });

  it('gives the bundled Prometheus a volume that grows with the profile', () => {
    const volumes = SIZES.map((size) => BUNDLED_MONITORING[size].prometheusVolumeGiB);
    expect(volumes).toEqual([...volumes].sort((a, b) => a - b));
    expect(new Set(volumes).size).toBe(SIZES.length);
  });

  it('grows with the size: more users, more Synapse, a bigger volume', () => {
    const [small, medium, large] = SIZES.map((size) => sizeProfile(size, 'closed'));
    expect(small.name).toBe('small');
    expect(medium.volumeSizeGiB).toBeGreaterThan(small.volumeSizeGiB);
    expect(large.volumeSizeGiB).toBeGreaterThan(medium.volumeSizeGiB);
    expect(large.synapse.memoryGiB).toBeGreaterThanOrEqual(medium.synapse.memoryGiB);
    expect(medium.synapse.memoryGiB).toBeGreaterThanOrEqual(small.synapse.memoryGiB);
  });
});

describe('server types', () => {
  it('knows the current types and none of the retired ones', () => {
    expect(serverType('cx43')).toMatchObject({ cpu: 8, memoryGiB: 16, vcpu: 'shared', arch: 'x86' });
    expect(serverType('ccx33')).toMatchObject({ vcpu: 'dedicated' });
    for (const retired of ['cx22', 'cx32', 'cx42', 'cx52', 'cpx11', 'cpx51']) expect(serverType(retired)).toBeUndefined();
  });
});
