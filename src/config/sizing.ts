/**
 * Size profiles. The Synapse and PostgreSQL figures are Element's published ESS sizing
 * (Synapse CPU is a request ceiling, memory an average), which depends on how open federation
 * is as much as on user count: large rooms in open federation dominate load.
 */

export type SizeName = 'small' | 'medium' | 'large';
export type FederationMode = 'closed' | 'allow_list' | 'open';

export interface Resources {
  readonly cpu: number;
  readonly memoryGiB: number;
}

export interface SizeProfile {
  readonly name: SizeName;
  /** Inclusive user range the profile is sized for. */
  readonly users: { readonly min: number; readonly max: number };
  readonly synapse: Resources;
  readonly postgres: Resources;
  /** Hetzner server type for the single k3s node; the smallest that fits everything. */
  readonly hetznerServerType: string;
  /** Data volume (PostgreSQL and media) in GiB. */
  readonly volumeSizeGiB: number;
}

const USERS: Record<SizeName, { min: number; max: number }> = {
  small: { min: 1, max: 500 },
  medium: { min: 501, max: 2500 },
  large: { min: 2501, max: 10000 },
};

/** Element ESS sizing: [synapse, postgres] per federation mode and size. */
const ESS_SIZING: Record<FederationMode, Record<SizeName, [Resources, Resources]>> = {
  closed: {
    small: [{ cpu: 2, memoryGiB: 2 }, { cpu: 1, memoryGiB: 4 }],
    medium: [{ cpu: 6, memoryGiB: 5.5 }, { cpu: 2, memoryGiB: 12 }],
    large: [{ cpu: 10, memoryGiB: 8 }, { cpu: 4, memoryGiB: 16 }],
  },
  allow_list: {
    small: [{ cpu: 2, memoryGiB: 2 }, { cpu: 2, memoryGiB: 6 }],
    medium: [{ cpu: 6, memoryGiB: 5.5 }, { cpu: 4, memoryGiB: 18 }],
    large: [{ cpu: 10, memoryGiB: 8 }, { cpu: 8, memoryGiB: 28 }],
  },
  open: {
    small: [{ cpu: 5, memoryGiB: 4.4 }, { cpu: 3, memoryGiB: 8 }],
    medium: [{ cpu: 9, memoryGiB: 8 }, { cpu: 5, memoryGiB: 24 }],
    large: [{ cpu: 15, memoryGiB: 11.4 }, { cpu: 10, memoryGiB: 32 }],
  },
};

/**
 * What else runs on the node: k3s itself, Traefik, MAS, Keycloak, Element Web, coturn, the backup
 * agents, the bundled monitoring stack (BUNDLED_MONITORING) and, with Synapse workers, Redis and
 * the router (REDIS_RESOURCES, ROUTER_RESOURCES: 0.15 vCPU, 128 MiB; the workers themselves share
 * the profile's Synapse figures). Their requests add up to 1.5 vCPU and 2.6 (small) to 3.1 GiB
 * (large) without workers, Keycloak, TURN and backups on, 0.35 vCPU and 0.8 to 1.3 GiB of it the
 * monitoring stack (test/components/k8s/monitoring/bundled.test.ts sums them); k3s's own
 * processes request nothing but use about 1 GiB. With 4 GiB a large node would have had no margin
 * left, so 5 GiB, which keeps the node from swapping during upgrades, when old and new pods run
 * side by side. No profile's server type changed with it (test/config/sizing.test.ts).
 */
export const NODE_OVERHEAD: Resources = { cpu: 2, memoryGiB: 5 };

/** Requests of the bundled monitoring stack (spec.monitoring.stack bundled) and Prometheus's volume. */
export interface MonitoringSizing {
  readonly prometheus: Resources;
  /** Prometheus's data volume; its retention size cap is set below it. */
  readonly prometheusVolumeGiB: number;
  readonly alertmanager: Resources;
  readonly grafana: Resources;
}

/**
 * One Synapse, one MAS and one postgres_exporter are some 20,000 to 40,000 series (Synapse's
 * per-servlet histograms dominate, and grow with the servlets a busier server uses), scraped every
 * 30 s: Prometheus's head holds them in a few hundred MiB and uses a fraction of a core. At about
 * 2 bytes per sample, 30,000 series take some 170 MB a day, so the volume holds each profile's
 * default retention (15, 30, 90 days) with room; the size cap ends retention early, never the disk.
 * Alertmanager and Grafana are idle most of the time and do not grow with users.
 */
export const BUNDLED_MONITORING: Readonly<Record<SizeName, MonitoringSizing>> = {
  small: { prometheus: { cpu: 0.2, memoryGiB: 0.5 }, prometheusVolumeGiB: 5, alertmanager: { cpu: 0.05, memoryGiB: 0.0625 }, grafana: { cpu: 0.1, memoryGiB: 0.25 } },
  medium: { prometheus: { cpu: 0.2, memoryGiB: 0.75 }, prometheusVolumeGiB: 10, alertmanager: { cpu: 0.05, memoryGiB: 0.0625 }, grafana: { cpu: 0.1, memoryGiB: 0.25 } },
  large: { prometheus: { cpu: 0.2, memoryGiB: 1 }, prometheusVolumeGiB: 20, alertmanager: { cpu: 0.05, memoryGiB: 0.0625 }, grafana: { cpu: 0.1, memoryGiB: 0.25 } },
};

/** Media grows with users; PostgreSQL with rooms. Rough per-profile starting points. */
const VOLUME_GIB: Record<SizeName, number> = { small: 50, medium: 200, large: 500 };

export interface ServerType {
  readonly name: string;
  readonly cpu: number;
  readonly memoryGiB: number;
  /** shared: cost-optimised shared vCPU; dedicated: ccx dedicated vCPU. */
  readonly vcpu: 'shared' | 'dedicated';
  readonly arch: 'x86' | 'arm';
}

/** Current Hetzner Cloud server types (checked November 2026); the retired cx22..cx52 and cpx11..cpx51 are absent. */
export const HETZNER_SERVER_TYPES: readonly ServerType[] = [
  { name: 'cx23', cpu: 2, memoryGiB: 4, vcpu: 'shared', arch: 'x86' },
  { name: 'cx33', cpu: 4, memoryGiB: 8, vcpu: 'shared', arch: 'x86' },
  { name: 'cx43', cpu: 8, memoryGiB: 16, vcpu: 'shared', arch: 'x86' },
  { name: 'cx53', cpu: 16, memoryGiB: 32, vcpu: 'shared', arch: 'x86' },
  { name: 'cpx12', cpu: 1, memoryGiB: 2, vcpu: 'shared', arch: 'x86' },
  { name: 'cpx22', cpu: 2, memoryGiB: 4, vcpu: 'shared', arch: 'x86' },
  { name: 'cpx32', cpu: 4, memoryGiB: 8, vcpu: 'shared', arch: 'x86' },
  { name: 'cpx42', cpu: 8, memoryGiB: 16, vcpu: 'shared', arch: 'x86' },
  { name: 'cpx52', cpu: 12, memoryGiB: 24, vcpu: 'shared', arch: 'x86' },
  { name: 'cpx62', cpu: 16, memoryGiB: 32, vcpu: 'shared', arch: 'x86' },
  { name: 'ccx13', cpu: 2, memoryGiB: 8, vcpu: 'dedicated', arch: 'x86' },
  { name: 'ccx23', cpu: 4, memoryGiB: 16, vcpu: 'dedicated', arch: 'x86' },
  { name: 'ccx33', cpu: 8, memoryGiB: 32, vcpu: 'dedicated', arch: 'x86' },
  { name: 'ccx43', cpu: 16, memoryGiB: 64, vcpu: 'dedicated', arch: 'x86' },
  { name: 'ccx53', cpu: 32, memoryGiB: 128, vcpu: 'dedicated', arch: 'x86' },
  { name: 'ccx63', cpu: 48, memoryGiB: 192, vcpu: 'dedicated', arch: 'x86' },
  { name: 'cax11', cpu: 2, memoryGiB: 4, vcpu: 'shared', arch: 'arm' },
  { name: 'cax21', cpu: 4, memoryGiB: 8, vcpu: 'shared', arch: 'arm' },
  { name: 'cax31', cpu: 8, memoryGiB: 16, vcpu: 'shared', arch: 'arm' },
  { name: 'cax41', cpu: 16, memoryGiB: 32, vcpu: 'shared', arch: 'arm' },
];

/**
 * Small deployments run on the cost-optimised cx line; from medium up, Synapse's event
 * persistence is CPU-bound and noisy neighbours show as message latency, so dedicated vCPU.
 */
const SERVER_LINE: Record<SizeName, (t: ServerType) => boolean> = {
  small: (t) => t.name.startsWith('cx'),
  medium: (t) => t.vcpu === 'dedicated',
  large: (t) => t.vcpu === 'dedicated',
};

/** The node must hold Synapse, PostgreSQL and everything else at their requested sizes. */
export function nodeRequirement(synapse: Resources, postgres: Resources, groupCalls = false): Resources {
  const calls = groupCalls ? [GROUP_CALLS_SIZING.livekit, GROUP_CALLS_SIZING.lkJwtService] : [];
  const sum = (pick: (r: Resources) => number) => [synapse, postgres, NODE_OVERHEAD, ...calls].reduce((total, r) => total + pick(r), 0);
  // Rounded to a tenth: 0.1 + 0.5 is not exactly 0.6 in floating point, and the figure is printed.
  return { cpu: Math.round(sum((r) => r.cpu) * 10) / 10, memoryGiB: Math.round(sum((r) => r.memoryGiB) * 1000) / 1000 };
}

/** Group calls run by default from medium up; a small deployment opts in (calls.group.enabled). */
export const GROUP_CALLS_BY_SIZE: Readonly<Record<SizeName, boolean>> = { small: false, medium: true, large: true };

/**
 * Requests of group calls' LiveKit SFU and lk-jwt-service, which the node must hold on top of
 * NODE_OVERHEAD when group calls run: an SFU forwards media and needs its CPU during calls.
 */
export const GROUP_CALLS_SIZING = {
  livekit: { cpu: 0.5, memoryGiB: 0.5 },
  lkJwtService: { cpu: 0.1, memoryGiB: 0.125 },
} as const satisfies Record<string, Resources>;

export function sizeProfile(size: SizeName, federation: FederationMode, groupCalls = GROUP_CALLS_BY_SIZE[size]): SizeProfile {
  const [synapse, postgres] = ESS_SIZING[federation][size];
  const need = nodeRequirement(synapse, postgres, groupCalls);
  const candidates = HETZNER_SERVER_TYPES.filter(SERVER_LINE[size])
    .filter((t) => t.cpu >= need.cpu && t.memoryGiB >= need.memoryGiB)
    .sort((a, b) => a.cpu - b.cpu || a.memoryGiB - b.memoryGiB);
  if (candidates.length === 0) {
    throw new Error(`no Hetzner server type fits ${size}/${federation}: ${need.cpu} vCPU, ${need.memoryGiB} GiB`);
  }
  return {
    name: size,
    users: USERS[size],
    synapse,
    postgres,
    hetznerServerType: candidates[0].name,
    volumeSizeGiB: VOLUME_GIB[size],
  };
}

export function serverType(name: string): ServerType | undefined {
  return HETZNER_SERVER_TYPES.find((t) => t.name === name);
}
