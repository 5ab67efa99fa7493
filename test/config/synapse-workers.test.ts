import { FEDERATION_ROLES, SINGLE_INSTANCE_ROLES, WORKER_PRESET_BY_SIZE, workerInstances, workerPlan, type WorkerPresetName } from '../../src/config/synapse-workers';
import { sizeProfile, type FederationMode, type Resources, type SizeName } from '../../src/config/sizing';

const PRESETS: readonly WorkerPresetName[] = ['none', 'medium', 'large'];
const MODES: readonly FederationMode[] = ['closed', 'allow_list', 'open'];
const SYNAPSE: Resources = { cpu: 10, memoryGiB: 8 };
const SIZES: readonly SizeName[] = ['small', 'medium', 'large'];
/** Every profile's Synapse figures (Element's ESS sizing table). */
const ESS_SYNAPSE: readonly Resources[] = SIZES.flatMap((size) => MODES.map((mode) => sizeProfile(size, mode).synapse));

/** What all of a plan's Synapse processes request together. */
function total(preset: WorkerPresetName, synapse: Resources, mode: FederationMode): Resources {
  const plan = workerPlan(preset, synapse, mode);
  return workerInstances(plan).reduce(
    (sum, { group }) => ({ cpu: sum.cpu + group.resources.cpu, memoryGiB: sum.memoryGiB + group.resources.memoryGiB }),
    plan.main,
  );
}

describe('workerPlan', () => {
  it('runs one process for none, with all of the profile’s Synapse resources, and no Redis or router', () => {
    const plan = workerPlan('none', SYNAPSE, 'open');
    expect(plan.groups).toEqual([]);
    expect(plan.main).toEqual(SYNAPSE);
    expect(plan.redis).toBeUndefined();
    expect(plan.router).toBeUndefined();
  });

  it.each(PRESETS.flatMap((p) => MODES.map((m) => [p, m] as const)))('%s/%s divides the profile’s Synapse resources, never more', (preset, mode) => {
    for (const synapse of ESS_SYNAPSE) {
      const sum = total(preset, synapse, mode);
      expect(sum.cpu).toBeLessThanOrEqual(synapse.cpu);
      expect(sum.memoryGiB).toBeLessThanOrEqual(synapse.memoryGiB);
      // Rounding down to millicores and MiB loses at most one unit per process.
      const processes = 1 + workerInstances(workerPlan(preset, synapse, mode)).length;
      expect(synapse.cpu - sum.cpu).toBeLessThan(processes * 0.001 + 1e-9);
      expect(synapse.memoryGiB - sum.memoryGiB).toBeLessThan(processes / 1024 + 1e-9);
    }
  });

  it('leaves federation workers out of a closed deployment, and keeps them with federation', () => {
    for (const preset of ['medium', 'large'] as const) {
      const closed = workerPlan(preset, SYNAPSE, 'closed').groups.map((g) => g.role);
      const open = workerPlan(preset, SYNAPSE, 'open').groups.map((g) => g.role);
      expect(closed.filter((r) => FEDERATION_ROLES.has(r))).toEqual([]);
      expect(open).toContain('federation-sender');
      expect(open).toContain('federation-reader');
    }
    expect(workerPlan('large', SYNAPSE, 'open').groups.map((g) => g.role)).toContain('federation-inbound');
  });

  it('never runs two instances of a single-instance role', () => {
    for (const preset of PRESETS) {
      for (const group of workerPlan(preset, SYNAPSE, 'open').groups) {
        if (SINGLE_INSTANCE_ROLES.has(group.role)) expect([group.role, group.count]).toEqual([group.role, 1]);
      }
    }
  });

  it('gives medium the issue’s workers and large several synchrotrons and event persisters', () => {
    const roles = (preset: WorkerPresetName) => Object.fromEntries(workerPlan(preset, SYNAPSE, 'open').groups.map((g) => [g.role, g.count]));
    expect(roles('medium')).toEqual({
      synchrotron: 1,
      'client-reader': 1,
      'event-persister': 1,
      'federation-reader': 1,
      'federation-sender': 1,
      'media-repository': 1,
      background: 1,
    });
    expect(roles('large').synchrotron).toBeGreaterThanOrEqual(2);
    expect(roles('large')['event-persister']).toBeGreaterThanOrEqual(2);
  });

  it('adds Redis and the router whenever there is a worker', () => {
    const plan = workerPlan('medium', SYNAPSE, 'closed');
    expect(plan.redis?.memoryGiB).toBeGreaterThan(0);
    expect(plan.router?.cpu).toBeGreaterThan(0);
  });

  it('gives a synchrotron more than a pusher', () => {
    const large = workerPlan('large', SYNAPSE, 'open').groups;
    const of = (role: string) => large.find((g) => g.role === role)!.resources.cpu;
    expect(of('synchrotron')).toBeGreaterThan(of('pusher'));
  });
});

describe('workerInstances', () => {
  it('names instances <role>-<index> from 0, unique', () => {
    const names = workerInstances(workerPlan('large', SYNAPSE, 'open')).map((i) => i.name);
    expect(names.slice(0, 3)).toEqual(['synchrotron-0', 'synchrotron-1', 'synchrotron-2']);
    expect(new Set(names).size).toBe(names.length);
    expect(names.every((n) => /^[a-z]+(-[a-z]+)*-[0-9]+$/.test(n))).toBe(true);
  });
});

describe('WORKER_PRESET_BY_SIZE', () => {
  it('keeps small on one process and scales medium and large out', () => {
    expect(WORKER_PRESET_BY_SIZE).toEqual({ small: 'none', medium: 'medium', large: 'large' });
  });
});
