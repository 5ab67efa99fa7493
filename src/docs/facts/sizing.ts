import { flavour as flavourOf, profileFlavour } from '../../config/openstack-clouds';
import { NODE_OVERHEAD, nodeRequirement, serverType as serverTypeOf } from '../../config/sizing';
import { workerInstances, type WorkerPlan } from '../../config/synapse-workers';
import { synapseWorkerHost } from '../../render/synapse-workers';
import type { Resources } from '../../config/sizing';
import { resourcesOf, type Synthesized } from '../read-back';
import { hetznerServer, openstackServer } from './platform';
import type { WorkloadFact } from './workloads';

export interface SizingFact {
  readonly profile: string;
  readonly users: string;
  readonly federation: string;
  readonly rows: readonly [string, string][];
}

/** The sizing section: the profile's figures, what is deployed, and the node or cluster capacity. */
export function sizing(synth: Synthesized, workloads: readonly WorkloadFact[]): SizingFact {
  const spec = synth.spec;
  const p = spec.size;
  const requests = (name: string) => {
    const c = workloads.find((w) => w.name === name)?.object.manifest.spec?.template?.spec?.containers?.[0];
    return c ? `${String(c.resources?.requests?.cpu)} CPU, ${String(c.resources?.requests?.memory)} memory requested` : 'not deployed';
  };
  // With workers, what all of Synapse's processes request together (read from their pods).
  const synapseRequests = () => {
    const names = new Set(['synapse', ...workerInstances(spec.scale.workers).map((i) => synapseWorkerHost(i.name))]);
    const pods = workloads.filter((w) => names.has(w.name)).map((w) => w.object.manifest.spec?.template?.spec?.containers?.[0]?.resources?.requests ?? {});
    if (pods.length <= 1) return requests('synapse');
    const cpu = pods.reduce((sum, r) => sum + cpuCores(String(r.cpu)), 0);
    const mebibytes = pods.reduce((sum, r) => sum + mebibytesOf(String(r.memory)), 0);
    return `${Math.round(cpu * 1000) / 1000} CPU, ${mebibytes}Mi memory requested by ${pods.length} processes together`;
  };
  const rows: [string, string][] = [
    ['Users', `${p.users.min.toLocaleString('en')}–${p.users.max.toLocaleString('en')} (profile \`${p.name}\`)`],
    ['Federation', `\`${spec.federation.mode}\`: how open federation is drives load as much as user count (large federated rooms dominate)`],
    ['Synapse (Element ESS sizing)', `${p.synapse.cpu} vCPU, ${p.synapse.memoryGiB} GiB; deployed: ${synapseRequests()}`],
    ['Synapse processes', synapseProcesses(spec.scale.workers)],
    ['PostgreSQL (Element ESS sizing)', `${p.postgres.cpu} vCPU, ${p.postgres.memoryGiB} GiB; deployed: ${requests('postgres')}`],
  ];
  const need = nodeRequirement(p.synapse, p.postgres, spec.calls.group.enabled);
  const overhead = `${NODE_OVERHEAD.cpu} vCPU / ${NODE_OVERHEAD.memoryGiB} GiB`;
  const server = hetznerServer(synth);
  const instance = openstackServer(synth);
  const nodeRow: [string, string] = ['Node requirement', `${need.cpu} vCPU, ${need.memoryGiB} GiB: Synapse + PostgreSQL + ${overhead} for k3s, Traefik, MAS, Keycloak, Element Web, coturn, the backup agents and the bundled monitoring`];
  if (instance && spec.target.kind === 'openstack') {
    const chosen = String(instance.body.flavor_name);
    const known = flavourOf(spec.target.cloud, chosen);
    const byProfile = profileFlavour(spec.target.cloud, p, spec.calls.group.enabled)?.name;
    rows.push(nodeRow);
    rows.push([
      'OpenStack flavour',
      `\`${chosen}\`${known ? ` (${known.cpu} vCPU, ${known.memoryGiB} GB)` : ''}: ${
        chosen === byProfile
          ? `the smallest flavour the kit knows on ${spec.target.cloud} that holds the node requirement (src/config/openstack-clouds.ts)`
          : `set by target.openstack.flavor${byProfile ? ` (the profile would choose \`${byProfile}\`)` : ' (the kit knows no flavour of this cloud that fits the profile)'}`
      }`,
    ]);
    const volume = resourcesOf(synth, 'openstack_blockstorage_volume_v3')[0];
    if (volume) rows.push(['Data volume', `${String(volume.body.size)} GiB (profile default ${p.volumeSizeGiB} GiB): PostgreSQL 40 %, media 50 %, the rest headroom`]);
  } else if (server) {
    const chosen = String(server.body.server_type);
    const t = serverTypeOf(chosen);
    rows.push(nodeRow);
    rows.push([
      'Hetzner server',
      `\`${chosen}\`${t ? ` (${t.cpu} vCPU ${t.vcpu}, ${t.memoryGiB} GB, ${t.arch})` : ''}: ${
        chosen === p.hetznerServerType
          ? p.name === 'small'
            ? 'the smallest cost-optimised shared type (cx line) that holds the node requirement'
            : 'the smallest dedicated-vCPU type (ccx line) that holds the node requirement; Synapse’s event persistence is CPU-bound and noisy neighbours show as message latency'
          : `set by target.hetzner.server_type (the profile would choose \`${p.hetznerServerType}\`)`
      }`,
    ]);
    const volume = resourcesOf(synth, 'hcloud_volume')[0];
    if (volume) rows.push(['Data volume', `${String(volume.body.size)} GiB (profile default ${p.volumeSizeGiB} GiB): PostgreSQL 40 %, media 50 %, the rest headroom`]);
  } else {
    rows.push(['Cluster capacity', `at least ${need.cpu} vCPU and ${need.memoryGiB} GiB schedulable for this deployment (Synapse + PostgreSQL + ${overhead} for the rest); the cluster is the operator’s`]);
  }
  return { profile: p.name, users: `${p.users.min}-${p.users.max}`, federation: spec.federation.mode, rows };
}

/** How Synapse's share of the profile is split between its processes (spec.scale.workers). */
function synapseProcesses(plan: WorkerPlan): string {
  if (plan.groups.length === 0) return 'one process (Synapse’s documentation recommends the monolith for small servers)';
  const each = (r: Resources) => `${r.cpu} vCPU, ${Math.round(r.memoryGiB * 1024)} MiB`;
  const groups = plan.groups.map((g) => `${g.count} × ${g.role} (${each(g.resources)} each)`);
  const extra = [plan.redis ? `Valkey (${each(plan.redis)})` : '', plan.router ? `the nginx router (${each(plan.router)})` : ''].filter(Boolean);
  return `preset \`${plan.preset}\`: the main process (${each(plan.main)}) and ${workerInstances(plan).length} workers: ${groups.join('; ')}; plus ${extra.join(' and ')}. Every worker runs on the main process’s node (it reads the signing key from Synapse’s volume)`;
}

/** Cores of a Kubernetes CPU quantity (`2`, `1224m`). */
function cpuCores(quantity: string): number {
  return quantity.endsWith('m') ? Number(quantity.slice(0, -1)) / 1000 : Number(quantity);
}

/** MiB of a Kubernetes memory quantity as the kit writes them (`952Mi`, `2Gi`). */
function mebibytesOf(quantity: string): number {
  const match = /^([0-9.]+)(Mi|Gi)$/.exec(quantity);
  if (!match) return 0;
  return Number(match[1]) * (match[2] === 'Gi' ? 1024 : 1);
}
