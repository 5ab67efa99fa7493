import { HETZNER_LOCATIONS } from './catalogue';
import type { FlowFact } from './facts/diagram-flows';
import type { ReferenceFacts } from './facts/reference-facts';
import { diagramWorkload, SYNAPSE_WORKERS_NODE } from './facts/workloads';
import { kubeObjects, resourcesOf, type Synthesized } from './read-back';
import { PORTS } from '../ports';

/**
 * The architecture diagram as a Graphviz DOT graph: components as nodes, the network boundaries
 * (internet, cloud, server, cluster, namespaces) as clusters, and every flow of the facts
 * (firewall rules, ingress routes, network policies) as a labelled edge. Node and edge order
 * follow the facts, so the same deployment always gives the same graph.
 */
export function architectureDot(synth: Synthesized, facts: ReferenceFacts): string {
  const lines: string[] = [];
  const used = new Set(facts.flows.flatMap((f) => [f.from, f.to]));
  const node = (id: string, label: string, attrs: Record<string, string> = {}) => {
    lines.push(`    ${q(id)} [${attr({ label, ...attrs })}];`);
  };
  const open = (id: string, label: string, attrs: Record<string, string>) => {
    lines.push(`  subgraph ${q(`cluster_${id}`)} {`, ...Object.entries({ label, ...attrs }).map(([k, v]) => `    ${attr({ [k]: v })};`));
  };
  const close = () => lines.push('  }');

  lines.push(
    'digraph architecture {',
    `  graph [${attr({ rankdir: 'LR', fontname: 'Helvetica', fontsize: '12', nodesep: '0.35', ranksep: '0.9', newrank: 'true', compound: 'true', bgcolor: 'white', labeljust: 'l' })}];`,
    `  node [${attr({ shape: 'box', style: 'rounded,filled', fillcolor: '#ffffff', color: '#4a5568', fontname: 'Helvetica', fontsize: '11' })}];`,
    `  edge [${attr({ fontname: 'Helvetica', fontsize: '9', color: '#4a5568', fontcolor: '#2d3748' })}];`,
  );

  open('internet', 'Internet', { style: 'dashed', color: '#a0aec0', fontcolor: '#4a5568' });
  if (used.has('internet_clients')) node('internet_clients', 'Matrix clients and browsers\nfederating homeservers', { fillcolor: '#edf2f7' });
  if (used.has('admins')) {
    const admins = [...new Set(facts.firewall.filter((r) => r.reaches === 'k3s API server' || r.reaches.startsWith('sshd')).flatMap((r) => r.sources))];
    node('admins', `Administration networks\n${admins.join('\n')}`, { fillcolor: '#fefcbf' });
  }
  if (used.has('internet_services')) node('internet_services', 'Public internet\nfederation peers, push gateways', { fillcolor: '#edf2f7' });
  if (used.has('acme')) {
    const acme = facts.endpoints.find((e) => e.purpose.startsWith('ACME'))?.endpoint ?? 'ACME';
    node('acme', `ACME certificate authority\n${new URL(acme).host}`, { fillcolor: '#edf2f7' });
  }
  if (used.has('backup_bucket')) {
    const bucket = facts.endpoints.find((e) => e.purpose.startsWith('Backup bucket'))?.endpoint ?? 'backup bucket';
    node('backup_bucket', `Backup bucket (encrypted)\n${bucket.replace(/^https:\/\//, '')}`, { fillcolor: '#fefcbf' });
  }
  close();

  const server = resourcesOf(synth, 'hcloud_server')[0];
  const volume = resourcesOf(synth, 'hcloud_volume')[0];
  const instance = resourcesOf(synth, 'openstack_compute_instance_v2')[0];
  const osVolume = resourcesOf(synth, 'openstack_blockstorage_volume_v3')[0];
  const namespaces = [...new Set(facts.workloads.map((w) => w.namespace))];
  const workload = (name: string) => {
    const w = facts.workloads.find((x) => x.name === name)!;
    const component = facts.components.find((c) => c.image === w.object.manifest.spec?.template?.spec?.containers?.[0]?.image);
    const label = `${component ? component.software.replace(/ \(unprivileged image\)$/, '') : name}${name === 'well-known' ? ' (.well-known)' : ''}\n${component ? component.version : ''}${w.hostNetwork ? '\nhost network' : ''}`;
    node(`w_${name}`, label, { fillcolor: w.kind === 'StatefulSet' ? '#e6fffa' : '#ebf8ff' });
  };
  const cluster = () => {
    if (used.has('ingress')) {
      const ingressClass = String(kubeObjects(synth, 'Ingress')[0]?.manifest.spec?.ingressClassName ?? '');
      node('ingress', server || instance ? `Traefik ingress (k3s)\n:${PORTS.http} :${PORTS.https}` : `Ingress controller (operator’s)\nclass ${ingressClass}`, { fillcolor: '#faf5ff' });
    }
    for (const ns of namespaces) {
      open(ns.replace(/[^a-z0-9]/g, '_'), `namespace ${ns}`, { style: 'rounded', color: '#718096', fontcolor: '#4a5568' });
      const drawnAs = diagramWorkload(synth);
      const inNamespace = facts.workloads.filter((x) => x.namespace === ns);
      for (const w of inNamespace) if (drawnAs(w.name) === w.name) workload(w.name);
      // Synapse's workers: one node for all of them, with how many run.
      const workers = inNamespace.filter((w) => drawnAs(w.name) === SYNAPSE_WORKERS_NODE);
      if (workers.length > 0) node(`w_${SYNAPSE_WORKERS_NODE}`, `Synapse workers\n${workers.length} processes`, { fillcolor: '#ebf8ff' });
      close();
    }
  };

  // The same picture on both clouds: cloud, firewall, volume, server, k3s.
  const nodeCloud = server
    ? {
        cloud: `Hetzner Cloud ${String(server.body.location)} (${HETZNER_LOCATIONS[String(server.body.location)]?.city ?? '?'}, ${HETZNER_LOCATIONS[String(server.body.location)]?.country ?? '?'})`,
        firewall: 'Hetzner Cloud firewall\ninbound allow-list',
        volume: volume && `Volume ${String(volume.body.name)}\n${String(volume.body.size)} GiB ext4, delete protection`,
        server: `Server ${String(server.body.name)}: ${String(server.body.server_type)}, ${String(server.body.image)}`,
      }
    : instance && facts.cloud
      ? {
          cloud: `${facts.cloud.title}\n${facts.cloud.region} (${facts.cloud.place})`,
          firewall: 'Security group\ninbound allow-list\n(floating IP, 1:1 NAT)',
          volume: osVolume && `Volume ${String(osVolume.body.name)}\n${String(osVolume.body.size)} GiB ext4, kept on destroy`,
          server: `Server ${String(instance.body.name)}: ${String(instance.body.flavor_name)}`,
        }
      : undefined;
  if (nodeCloud) {
    open(server ? 'hetzner' : 'openstack', nodeCloud.cloud, { style: 'rounded', color: '#c53030', fontcolor: '#742a2a' });
    node('firewall', nodeCloud.firewall, { shape: 'hexagon', fillcolor: '#fff5f5', color: '#c53030' });
    if (nodeCloud.volume) node('volume', nodeCloud.volume, { shape: 'cylinder', fillcolor: '#f0fff4' });
    open('server', nodeCloud.server, { style: 'rounded', color: '#2b6cb0', fontcolor: '#2a4365' });
    node('node', 'Node OS\nsshd, kernel', { fillcolor: '#f7fafc' });
    node('k3s', `k3s API server\n:${PORTS.kubernetesApi}`, { fillcolor: '#f7fafc' });
    open('k8s', 'Kubernetes (k3s)', { style: 'rounded', color: '#805ad5', fontcolor: '#44337a' });
    cluster();
    close();
    close();
    close();
  } else {
    const context = synth.spec.target.kind === 'kubernetes' ? synth.spec.target.context : '';
    open('k8s', `Existing Kubernetes cluster (context ${context})`, { style: 'rounded', color: '#805ad5', fontcolor: '#44337a' });
    cluster();
    close();
  }

  for (const flow of facts.flows) lines.push(`  ${q(flow.from)} -> ${q(flow.to)} [${attr(edgeStyle(flow))}];`);
  lines.push('}', '');
  return lines.join('\n');
}

function edgeStyle(flow: FlowFact): Record<string, string> {
  const base = { label: flow.label };
  switch (flow.kind) {
    case 'public':
      return { ...base, color: '#c53030', fontcolor: '#742a2a', penwidth: '1.4' };
    case 'admin':
      return { ...base, color: '#b7791f', fontcolor: '#744210', style: 'dashed' };
    case 'outbound':
      return { ...base, color: '#2b6cb0', fontcolor: '#2a4365', style: 'dotted' };
    case 'internal':
      return base;
  }
}

function q(id: string): string {
  return `"${id.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function attr(attrs: Record<string, string>): string {
  return Object.entries(attrs)
    .map(([k, v]) => `${k}=${q(v).replace(/\n/g, '\\n')}`)
    .join(', ');
}
