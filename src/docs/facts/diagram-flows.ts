import { ANYWHERE } from '../../components/firewall-rules';
import { kubeObjects, type Synthesized } from '../read-back';
import { backupBucket } from './backups';
import { ports, selectedNames, type FirewallFact, type RouteFact } from './network-exposure';
import { acmeServerOf, nodeServer } from './platform';
import { diagramWorkload, type WorkloadFact } from './workloads';

/** One arrow of the diagram: from and to are diagram node ids (see graph.ts). */
export interface FlowFact {
  readonly from: string;
  readonly to: string;
  readonly label: string;
  /** public: from the internet; admin: administration networks; internal: in the cluster; outbound. */
  readonly kind: 'public' | 'admin' | 'internal' | 'outbound';
}

/** Diagram node ids of a peer of a network policy; none when it is not drawn. */
function peerNodes(peer: Record<string, any>, present: ReadonlySet<string>, node: (name: string) => string): string[] {
  if (peer.ipBlock) return ['internet_services'];
  const pods = peer.podSelector ? selectedNames(peer.podSelector) : [];
  if (pods.includes('traefik') || (peer.namespaceSelector && pods.length === 0 && Object.keys(peer.namespaceSelector.matchLabels ?? {}).length === 0)) return ['ingress'];
  return [...new Set(pods.filter((p) => present.has(p)).map((p) => `w_${node(p)}`))];
}

export function flows(synth: Synthesized, fw: readonly FirewallFact[], rts: readonly RouteFact[], workloads: readonly WorkloadFact[]): FlowFact[] {
  const present = new Set(workloads.map((w) => w.name));
  const out = new Map<string, { from: string; to: string; kind: FlowFact['kind']; labels: string[] }>();
  const add = (from: string, to: string, kind: FlowFact['kind'], label: string) => {
    const key = `${from} ${to} ${kind}`;
    const entry = out.get(key) ?? { from, to, kind, labels: [] };
    if (!entry.labels.includes(label)) entry.labels.push(label);
    out.set(key, entry);
  };
  // Firewall: the internet and the administration networks to what listens on the node.
  for (const rule of fw) {
    const anywhere = ANYWHERE.every((a) => rule.sources.includes(a));
    const source = anywhere ? 'internet_clients' : 'admins';
    const label = rule.protocol === 'icmp' ? 'icmp' : `${rule.protocol}/${rule.port}`;
    add(source, 'firewall', anywhere ? 'public' : 'admin', label);
    const target =
      rule.reaches.startsWith('coturn') && present.has('coturn')
        ? 'w_coturn'
        : rule.reaches.startsWith('Traefik')
          ? 'ingress'
          : rule.reaches === 'k3s API server'
            ? 'k3s'
            : 'node';
    add('firewall', target, anywhere ? 'public' : 'admin', label);
  }
  // Ingress routes: the ingress controller to the services.
  const node = diagramWorkload(synth);
  for (const route of rts) {
    if (present.has(route.service)) add('ingress', `w_${node(route.service)}`, 'internal', `tcp/${route.port} ${route.host}${route.path}`);
  }
  // Network policies: every allowed flow between drawn pods, and out to the internet. A policy
  // for all of Synapse's processes draws its flows from the main process and from the workers.
  for (const np of kubeObjects(synth, 'NetworkPolicy')) {
    const spec = np.manifest.spec ?? {};
    const selves = peerNodes({ podSelector: spec.podSelector ?? {} }, present, node).filter((n) => n.startsWith('w_'));
    for (const selfNode of selves) {
      for (const rule of (spec.egress ?? []) as Record<string, any>[]) {
        for (const peer of (rule.to ?? []) as Record<string, any>[]) {
          for (const to of peerNodes(peer, present, node)) {
            if (to !== selfNode) add(selfNode, to, to === 'internet_services' ? 'outbound' : 'internal', ports(rule.ports).join(', '));
          }
        }
      }
      for (const rule of (spec.ingress ?? []) as Record<string, any>[]) {
        for (const peer of (rule.from ?? []) as Record<string, any>[]) {
          // Ingress-controller flows are already drawn from the Ingress with host and path.
          for (const from of peerNodes(peer, present, node)) {
            if (from !== 'ingress' && from !== selfNode) add(from, selfNode, 'internal', ports(rule.ports).join(', '));
          }
        }
      }
    }
  }
  const acme = acmeServerOf(synth);
  if (acme) add('ingress', 'acme', 'outbound', `https ${new URL(acme).host}`);
  const bucket = backupBucket(synth);
  if (bucket) {
    for (const component of ['postgres', 'synapse']) if (present.has(component)) add(`w_${component}`, 'backup_bucket', 'outbound', `https ${new URL(bucket.endpoint).host}`);
  }
  if (nodeServer(synth)) add('node', 'volume', 'internal', `ext4 ${'/var/lib/sovereign-matrix'}`);
  return [...out.values()].map((f) => ({ from: f.from, to: f.to, kind: f.kind, label: f.labels.join('\n') }));
}
