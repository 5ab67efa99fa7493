import { HETZNER_LOCATIONS } from '../catalogue';
import type { LivePrices } from '../pricing-api';
import type { Synthesized } from '../read-back';
import { backupFacts, backupResidency } from './backups';
import { components, type ComponentFact } from './component-inventory';
import { costOf, type CostFact } from './cost';
import { locations, type LocationFact } from './data-residency';
import { flows, type FlowFact } from './diagram-flows';
import { firewall, policies, routes, type FirewallFact, type PolicyFact, type RouteFact } from './network-exposure';
import { monitoringFacts, type MonitoringFacts } from './monitoring';
import { openstackCloud, type OpenStackCloudFact } from './openstack-cloud';
import { hetznerServer, openstackServer } from './platform';
import { controls, type ControlFact } from './security-controls';
import { sizing, type SizingFact } from './sizing';
import { stateFacts } from './terraform-state';
import { endpoints, type EndpointFact } from './third-party-endpoints';
import { workloadsOf, type WorkloadFact } from './workloads';

/**
 * Everything a reference architecture states, derived from the synthesized Terraform JSON (read
 * back from disk) and the rendered configuration files inside it, with the spec only for what
 * the JSON cannot say (the sizing profile it was chosen from). Nothing here is typed by hand
 * per deployment: a change to a stack shows up in the facts, or a test fails.
 */
export interface ReferenceFacts {
  readonly name: string;
  readonly serverName: string;
  readonly target: 'hetzner' | 'openstack' | 'kubernetes';
  /** The OpenStack cloud, its jurisdiction and certifications; only on target openstack. */
  readonly cloud?: OpenStackCloudFact;
  readonly summary: readonly [string, string][];
  readonly components: readonly ComponentFact[];
  readonly workloads: readonly WorkloadFact[];
  readonly firewall: readonly FirewallFact[];
  readonly routes: readonly RouteFact[];
  readonly policies: readonly PolicyFact[];
  readonly locations: readonly LocationFact[];
  readonly endpoints: readonly EndpointFact[];
  readonly controls: readonly ControlFact[];
  readonly cost?: CostFact;
  readonly sizing: SizingFact;
  readonly state: readonly string[];
  readonly backups: readonly string[];
  /** Where the backups are, for the data residency section. */
  readonly backupResidency: string;
  readonly flows: readonly FlowFact[];
  readonly monitoring: MonitoringFacts;
}

/** Every fact of the reference architecture, each family from its own module in this folder. */
export function deriveFacts(synth: Synthesized, options: { live?: LivePrices } = {}): ReferenceFacts {
  const spec = synth.spec;
  const workloads = workloadsOf(synth);
  const fw = firewall(synth);
  const rts = routes(synth);
  const target = spec.target.kind;
  const server = hetznerServer(synth);
  const instance = openstackServer(synth);
  const cloud = openstackCloud(synth);
  const summary: [string, string][] = [
    ['Deployment', `\`${spec.name}\``],
    ['Matrix server name', spec.serverName],
    [
      'Runs on',
      server
        ? `Hetzner Cloud, ${String(server.body.location)} (${HETZNER_LOCATIONS[String(server.body.location)]?.city ?? '?'}, ${HETZNER_LOCATIONS[String(server.body.location)]?.country ?? '?'}), one \`${String(server.body.server_type)}\` server with k3s`
        : instance && cloud
          ? `${cloud.title}, region \`${cloud.region}\` (${cloud.place}), one \`${String(instance.body.flavor_name)}\` server with k3s`
          : `an existing Kubernetes cluster (kubeconfig context \`${spec.target.kind === 'kubernetes' ? spec.target.context : ''}\`)`,
    ],
    ['Size profile', `\`${spec.size.name}\` (${spec.size.users.min.toLocaleString('en')}–${spec.size.users.max.toLocaleString('en')} users)`],
    ['Federation', `\`${spec.federation.mode}\``],
    ['Identity', `\`${spec.identity.mode}\` (Matrix Authentication Service in front of Synapse)`],
    ['Calls (TURN)', spec.calls.turn ? `on, relay ports ${spec.calls.relayPorts.min}-${spec.calls.relayPorts.max}/udp` : 'off'],
    ['Group calls', groupCalls(spec)],
    ['Stacks', synth.stacks.map((s) => `\`${s.name}\``).join(', ')],
    ...(spec.registryMirror ? [['Container images', `pulled through the registry mirror \`${spec.registryMirror}\` (\`registry_mirror\`)`] as [string, string]] : []),
  ];
  return {
    name: spec.name,
    serverName: spec.serverName,
    target,
    ...(cloud ? { cloud } : {}),
    summary,
    components: components(synth, workloads),
    workloads,
    firewall: fw,
    routes: rts,
    policies: policies(synth),
    locations: locations(synth),
    endpoints: endpoints(synth, workloads),
    controls: controls(synth, workloads, rts),
    cost: costOf(synth, options.live),
    sizing: sizing(synth, workloads),
    state: stateFacts(synth),
    backups: backupFacts(synth),
    backupResidency: backupResidency(synth),
    flows: flows(synth, fw, rts, workloads),
    monitoring: monitoringFacts(synth),
  };
}

/**
 * The call path of group calls in one line: where clients get their token, where media flows,
 * what is stored (nothing).
 */
function groupCalls(spec: Synthesized['spec']): string {
  const group = spec.calls.group;
  if (!group.enabled) return 'off';
  return (
    `on: Element Call gets a token from lk-jwt-service at https://${spec.hostnames.rtc} with an OpenID token of its homeserver, ` +
    `then sends end-to-end encrypted media to the LiveKit SFU on the node (${group.mediaPorts.min}-${group.mediaPorts.max}/udp, ${group.tcpPort}/tcp, ` +
    `or through coturn); the SFU forwards it and stores nothing`
  );
}
