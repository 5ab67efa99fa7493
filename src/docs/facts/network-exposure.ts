import YAML from 'yaml';
import { LABEL } from '../../components/labels';
import { PORTS } from '../../ports';
import { kubeObjects, renderedFromJson, resourcesOf, where, type Synthesized } from '../read-back';
import { traefikConfig } from './platform';

/*
 * What is reachable and from where: the cloud firewall's rules with what listens behind each,
 * the ingress routes, and the network policies between pods.
 */

export interface FirewallFact {
  readonly protocol: string;
  readonly port: string;
  readonly sources: readonly string[];
  readonly description: string;
  /** What listens behind the rule. */
  readonly reaches: string;
  readonly where: string;
}

export interface RouteFact {
  readonly host: string;
  readonly path: string;
  readonly service: string;
  readonly port: number;
  readonly where: string;
}

export interface PolicyFact {
  readonly name: string;
  /** The pods it selects: a workload name or "every pod". */
  readonly appliesTo: string;
  readonly direction: 'ingress' | 'egress' | 'default deny';
  readonly peers: readonly string[];
  readonly ports: readonly string[];
  readonly where: string;
}

/** What listens on the node behind a firewall port. */
function listenerOf(synth: Synthesized, protocol: string, port: string | undefined): string {
  if (protocol === 'icmp') return 'the node (kernel)';
  const turn = renderedFromJson(synth, 'coturn', 'turnserver.conf');
  if (turn) {
    const option = (key: string) => turn.match(new RegExp(`^${key}=(\\d+)$`, 'm'))?.[1];
    const turnPorts = [option('listening-port'), option('tls-listening-port')].filter(Boolean);
    const relay = `${option('min-port')}-${option('max-port')}`;
    if (port === relay && protocol === 'udp') return 'coturn (relay ports)';
    if (port && turnPorts.includes(port)) return 'coturn';
  }
  const sfu = renderedFromJson(synth, 'livekit', 'livekit.yaml');
  if (sfu) {
    const rtc = (YAML.parse(sfu) as { rtc: { tcp_port: number; port_range_start: number; port_range_end: number } }).rtc;
    if (protocol === 'udp' && port === `${rtc.port_range_start}-${rtc.port_range_end}`) return 'LiveKit SFU (media)';
    if (protocol === 'tcp' && port === String(rtc.tcp_port)) return 'LiveKit SFU (media over ICE/TCP)';
  }
  if (port === String(PORTS.http) || port === String(PORTS.https)) return 'Traefik (k3s ingress)';
  // An extra Traefik entry point, such as TURN over TLS, which Traefik terminates for coturn.
  const entryPoints = Object.entries((traefikConfig(synth)?.values.ports ?? {}) as Record<string, { exposedPort?: number; protocol?: string }>);
  const entryPoint = entryPoints.find(([, p]) => String(p.exposedPort) === port && (p.protocol ?? 'TCP').toLowerCase() === protocol);
  if (entryPoint) return `Traefik (k3s ingress, entry point ${entryPoint[0]})`;
  if (port === String(PORTS.ssh)) return 'sshd on the node';
  if (port === String(PORTS.kubernetesApi)) return 'k3s API server';
  return 'nothing the kit runs';
}

export function firewall(synth: Synthesized): FirewallFact[] {
  return [...hcloudFirewall(synth), ...securityGroup(synth)];
}

function hcloudFirewall(synth: Synthesized): FirewallFact[] {
  return resourcesOf(synth, 'hcloud_firewall').flatMap((fw) =>
    ((fw.body.rule ?? []) as Record<string, any>[]).map((rule) => ({
      protocol: String(rule.protocol),
      port: rule.port === undefined ? '' : String(rule.port),
      sources: [...((rule.source_ips ?? []) as string[])],
      description: String(rule.description ?? ''),
      reaches: listenerOf(synth, String(rule.protocol), rule.port === undefined ? undefined : String(rule.port)),
      where: where(fw),
    })),
  );
}

/**
 * The OpenStack security group's rules, one resource per rule and source network, gathered back
 * into one row per protocol, port and purpose, so the table reads like the Hetzner firewall's.
 */
function securityGroup(synth: Synthesized): FirewallFact[] {
  const rows = new Map<string, FirewallFact & { sources: string[] }>();
  for (const rule of resourcesOf(synth, 'openstack_networking_secgroup_rule_v2')) {
    const b = rule.body;
    const protocol = String(b.protocol) === 'ipv6-icmp' ? 'icmp' : String(b.protocol);
    const port = b.port_range_min === undefined ? '' : b.port_range_min === b.port_range_max ? String(b.port_range_min) : `${b.port_range_min}-${b.port_range_max}`;
    const key = `${protocol} ${port} ${String(b.description)}`;
    const row = rows.get(key);
    if (row) row.sources.push(String(b.remote_ip_prefix));
    else {
      rows.set(key, {
        protocol,
        port,
        sources: [String(b.remote_ip_prefix)],
        description: String(b.description ?? ''),
        reaches: listenerOf(synth, protocol, port || undefined),
        where: `\`openstack_networking_secgroup_rule_v2\` (${rule.stack})`,
      });
    }
  }
  return [...rows.values()];
}

export function routes(synth: Synthesized): RouteFact[] {
  return kubeObjects(synth, 'Ingress').flatMap((ing) =>
    ((ing.manifest.spec?.rules ?? []) as Record<string, any>[]).flatMap((rule) =>
      ((rule.http?.paths ?? []) as Record<string, any>[]).map((p) => ({
        host: String(rule.host),
        path: String(p.path),
        service: String(p.backend.service.name),
        port: Number(p.backend.service.port.number),
        where: where(ing),
      })),
    ),
  );
}

export function describeSelector(selector: Record<string, any> | undefined): string {
  const names = selectedNames(selector);
  if (names.length === 1) return names[0];
  // Synapse's processes with workers: the main process and its workers (`synapse-<instance>`,
  // listed in the Sizing section); any other set of names, all of them.
  const [first, ...rest] = names;
  if (rest.length > 0 && rest.every((n) => n.startsWith(`${first}-`))) return `${first} and its ${rest.length} workers`;
  if (rest.length > 0) return names.join(', ');
  const labels = (selector?.matchLabels ?? {}) as Record<string, string>;
  return Object.keys(labels).length === 0 ? 'every pod' : JSON.stringify(labels);
}

/** The workload names a selector picks by name label: `matchLabels`, or an `In` expression on it. */
export function selectedNames(selector: Record<string, any> | undefined): string[] {
  const named = (selector?.matchLabels ?? {})[LABEL.name] as string | undefined;
  if (named !== undefined) return [named];
  const expression = ((selector?.matchExpressions ?? []) as Record<string, any>[]).find((e) => e.key === LABEL.name && e.operator === 'In');
  return expression ? [...(expression.values as string[])] : [];
}

function describePeer(peer: Record<string, any>): string {
  if (peer.ipBlock) {
    const except = (peer.ipBlock.except ?? []) as string[];
    return `${peer.ipBlock.cidr}${except.length ? ` except ${except.join(', ')}` : ''}`;
  }
  const ns = peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] as string | undefined;
  const pods = peer.podSelector ? describeSelector(peer.podSelector) : undefined;
  if (peer.namespaceSelector && !ns && !pods) return 'every namespace (the operator’s ingress controller)';
  if (ns && pods) return `${pods} in ${ns}`;
  if (ns) return `namespace ${ns}`;
  return `${pods} pods`;
}

export function ports(list: Record<string, any>[] | undefined): string[] {
  return (list ?? []).map((p) => `${String(p.protocol ?? 'TCP').toLowerCase()}/${String(p.port)}`);
}

export function policies(synth: Synthesized): PolicyFact[] {
  const facts: PolicyFact[] = [];
  for (const np of kubeObjects(synth, 'NetworkPolicy')) {
    const spec = np.manifest.spec ?? {};
    const appliesTo = describeSelector(spec.podSelector);
    const name = np.name;
    const ingress = (spec.ingress ?? []) as Record<string, any>[];
    const egress = (spec.egress ?? []) as Record<string, any>[];
    if (ingress.length === 0 && egress.length === 0) {
      facts.push({ name, appliesTo, direction: 'default deny', peers: [], ports: [], where: where(np) });
      continue;
    }
    for (const rule of ingress) {
      facts.push({ name, appliesTo, direction: 'ingress', peers: (rule.from ?? []).map(describePeer), ports: ports(rule.ports), where: where(np) });
    }
    for (const rule of egress) {
      facts.push({ name, appliesTo, direction: 'egress', peers: (rule.to ?? []).map(describePeer), ports: ports(rule.ports), where: where(np) });
    }
  }
  return facts;
}
