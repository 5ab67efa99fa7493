import { nodeTarget } from '../config/node-target';
import type { DeploymentSpec } from '../config/spec';
import { PORTS } from '../ports';

/** The whole internet, IPv4 and IPv6. */
export const ANYWHERE = ['0.0.0.0/0', '::/0'] as const;

/**
 * One inbound rule of the node's least-exposure firewall, cloud-neutral: the one rule table that
 * the Hetzner Cloud firewall and the OpenStack security group are both rendered from.
 */
export interface InboundRule {
  readonly protocol: 'tcp' | 'udp' | 'icmp';
  /** A port or `from-to` range; absent for ICMP. */
  readonly port?: string;
  readonly sourceIps: readonly string[];
  readonly description: string;
}

/**
 * Everything the server accepts from outside; all else is dropped by the cloud firewall.
 * Outbound traffic stays open: federation, ACME, package updates and TURN relaying reach
 * arbitrary addresses and ports.
 */
export function inboundRules(spec: DeploymentSpec): InboundRule[] {
  const admins = nodeTarget(spec).adminCidrs;
  const rules: InboundRule[] = [
    { protocol: 'tcp', port: String(PORTS.http), sourceIps: ANYWHERE, description: 'HTTP: ACME challenges and redirect to HTTPS' },
    { protocol: 'tcp', port: String(PORTS.https), sourceIps: ANYWHERE, description: 'HTTPS: Matrix client and federation APIs, Element Web, MAS' },
    { protocol: 'icmp', sourceIps: ANYWHERE, description: 'ICMP: path MTU discovery and diagnostics' },
    { protocol: 'tcp', port: String(PORTS.ssh), sourceIps: admins, description: 'SSH from the administration networks' },
    { protocol: 'tcp', port: String(PORTS.kubernetesApi), sourceIps: admins, description: 'Kubernetes API from the administration networks' },
  ];
  if (spec.calls.turn) {
    const { min, max } = spec.calls.relayPorts;
    for (const protocol of ['udp', 'tcp'] as const) {
      rules.push({ protocol, port: String(PORTS.turn), sourceIps: ANYWHERE, description: `TURN/STUN over ${protocol.toUpperCase()}` });
    }
    // TLS only: no DTLS listener runs (browsers do not speak TURN over DTLS).
    rules.push({ protocol: 'tcp', port: String(PORTS.turns), sourceIps: ANYWHERE, description: 'TURN over TLS' });
    rules.push({ protocol: 'udp', port: `${min}-${max}`, sourceIps: ANYWHERE, description: 'TURN relay ports (exactly calls.relay_ports)' });
  }
  // Group calls: the SFU's media reaches the node directly; its signalling goes through HTTPS.
  const group = spec.calls.group;
  if (group.enabled) {
    rules.push({ protocol: 'udp', port: `${group.mediaPorts.min}-${group.mediaPorts.max}`, sourceIps: ANYWHERE, description: 'SFU media (exactly calls.group.media_ports)' });
    rules.push({ protocol: 'tcp', port: String(group.tcpPort), sourceIps: ANYWHERE, description: 'SFU media over TCP where UDP is blocked (calls.group.tcp_port)' });
  }
  return rules;
}

/** One rule of the Hetzner Cloud firewall (`hcloud_firewall.rule`), as the provider takes it. */
export interface HcloudFirewallRule {
  readonly direction: 'in';
  readonly protocol: InboundRule['protocol'];
  readonly port?: string;
  readonly sourceIps: string[];
  readonly description: string;
}

export function hcloudFirewallRules(spec: DeploymentSpec): HcloudFirewallRule[] {
  return inboundRules(spec).map((rule) => ({
    direction: 'in',
    protocol: rule.protocol,
    port: rule.port,
    sourceIps: [...rule.sourceIps],
    description: rule.description,
  }));
}

/**
 * One OpenStack security group rule (`openstack_networking_secgroup_rule_v2`): Neutron takes one
 * remote prefix per rule and an address family (ethertype) that must match it, and calls ICMP
 * over IPv6 `ipv6-icmp`.
 */
export interface SecurityGroupRule {
  readonly direction: 'ingress';
  readonly ethertype: 'IPv4' | 'IPv6';
  readonly protocol: 'tcp' | 'udp' | 'icmp' | 'ipv6-icmp';
  readonly portRangeMin?: number;
  readonly portRangeMax?: number;
  readonly remoteIpPrefix: string;
  readonly description: string;
}

/** The same inbound rules as security group rules, one per rule and source network. */
export function securityGroupRules(spec: DeploymentSpec): SecurityGroupRule[] {
  return inboundRules(spec).flatMap((rule) =>
    rule.sourceIps.map((cidr): SecurityGroupRule => {
      const ethertype = cidr.includes(':') ? 'IPv6' : 'IPv4';
      const [min, max = min] = rule.port === undefined ? [] : rule.port.split('-').map(Number);
      return {
        direction: 'ingress',
        ethertype,
        protocol: rule.protocol === 'icmp' && ethertype === 'IPv6' ? 'ipv6-icmp' : rule.protocol,
        ...(min === undefined ? {} : { portRangeMin: min, portRangeMax: max }),
        remoteIpPrefix: cidr,
        description: rule.description,
      };
    }),
  );
}
