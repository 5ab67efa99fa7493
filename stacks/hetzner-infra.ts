import { TerraformOutput, Token } from 'cdktf';
import type { Construct } from 'constructs';
import { TlsProvider } from '@cdktf/provider-tls/lib/provider';
import { cloudConfig, cloudConfigForTerraform, nodeHostname } from '../src/components/cloud-init';
import { addressRecords, DNS_TTL_SECONDS, relativeName } from '../src/components/dns-records';
import { hcloudFirewallRules } from '../src/components/firewall-rules';
import { K3sCredentials } from '../src/components/k3s-credentials';
import { hetznerLabels } from '../src/components/labels';
import type { DeploymentSpec, HetznerTarget } from '../src/config/spec';
import { NODE_NETWORK } from '../src/render/k3s-node';
import { Firewall } from '../src/providers/hcloud/bindings/firewall';
import { Network } from '../src/providers/hcloud/bindings/network';
import { NetworkSubnet } from '../src/providers/hcloud/bindings/network-subnet';
import { PlacementGroup } from '../src/providers/hcloud/bindings/placement-group';
import { PrimaryIp } from '../src/providers/hcloud/bindings/primary-ip';
import { HcloudProvider } from '../src/providers/hcloud/bindings/provider';
import { Rdns } from '../src/providers/hcloud/bindings/rdns';
import { Server } from '../src/providers/hcloud/bindings/server';
import { Volume } from '../src/providers/hcloud/bindings/volume';
import { VolumeAttachment } from '../src/providers/hcloud/bindings/volume-attachment';
import { ZoneRrset } from '../src/providers/hcloud/bindings/zone-rrset';
import { HETZNER_IMAGE } from '../src/versions';
import { DeploymentStack } from './deployment-stack';
import { addNodeOutputs, dnsRecordId } from './node-outputs';

/**
 * Hetzner Cloud infrastructure of one deployment: a private network, a least-exposure firewall,
 * one k3s server whose cluster state and data live on a protected volume (a rebuilt server
 * resumes the same cluster), addresses that outlive the server, reverse DNS, and optionally the
 * DNS records in a Hetzner DNS zone. The Hetzner token comes from HCLOUD_TOKEN at apply time.
 */
export class HetznerInfraStack extends DeploymentStack {
  readonly server: Server;
  readonly ipv4: PrimaryIp;
  readonly ipv6: PrimaryIp;
  readonly volume: Volume;
  readonly firewall: Firewall;

  constructor(scope: Construct, spec: DeploymentSpec) {
    super(scope, spec, 'infra');
    const target = spec.target as HetznerTarget;
    new HcloudProvider(this, 'hcloud', {});
    new TlsProvider(this, 'tls', {});

    const labels = (component: string) => hetznerLabels(spec.name, component);
    const name = (suffix: string) => `${spec.name}-${suffix}`;

    const network = new Network(this, 'network', { name: name('net'), ipRange: NODE_NETWORK.range, labels: labels('network') });
    const subnet = new NetworkSubnet(this, 'subnet', {
      networkId: Token.asNumber(network.id),
      type: 'cloud',
      networkZone: target.networkZone,
      ipRange: NODE_NETWORK.subnet,
    });

    this.firewall = new Firewall(this, 'firewall', {
      name: name('fw'),
      labels: labels('firewall'),
      rule: hcloudFirewallRules(spec),
    });

    // Addresses are their own resources so they survive a server replacement; never deleted by accident.
    const primaryIp = (id: 'ipv4' | 'ipv6') =>
      new PrimaryIp(this, `primary-${id}`, {
        name: name(id),
        type: id,
        location: target.location,
        autoDelete: false,
        deleteProtection: true,
        labels: labels('address'),
      });
    this.ipv4 = primaryIp('ipv4');
    this.ipv6 = primaryIp('ipv6');

    this.volume = new Volume(this, 'data', {
      name: name('data'),
      size: target.volumeSizeGiB,
      location: target.location,
      format: 'ext4',
      automount: false,
      deleteProtection: true,
      labels: labels('data'),
    });

    const placement = new PlacementGroup(this, 'placement', { name: name('spread'), type: 'spread', labels: labels('placement') });
    const credentials = new K3sCredentials(this, 'k3s-credentials', { name: spec.name, validityHours: 5 * 365 * 24 });

    const userData = cloudConfig(spec, {
      // The stable device path Hetzner gives a volume.
      dataDevice: `/dev/disk/by-id/scsi-0HC_Volume_${this.volume.id}`,
      publicIpv4: this.ipv4.ipAddress,
      privateIpv4: NODE_NETWORK.nodeIp,
      serverCaCertPem: credentials.serverCa.certPem,
      serverCaKeyPem: credentials.serverCa.keyPem,
      clientCaCertPem: credentials.clientCa.certPem,
      clientCaKeyPem: credentials.clientCa.keyPem,
    });

    this.server = new Server(this, 'node', {
      name: nodeHostname(spec),
      serverType: target.serverType,
      image: HETZNER_IMAGE,
      location: target.location,
      sshKeys: [...target.sshKeys],
      placementGroupId: Token.asNumber(placement.id),
      firewallIds: [Token.asNumber(this.firewall.id)],
      publicNet: [
        { ipv4Enabled: true, ipv4: Token.asNumber(this.ipv4.id), ipv6Enabled: true, ipv6: Token.asNumber(this.ipv6.id) },
      ],
      network: [{ networkId: Token.asNumber(network.id), ip: NODE_NETWORK.nodeIp }],
      userData: cloudConfigForTerraform(userData),
      // PostgreSQL gets to shut down cleanly before the server is replaced.
      shutdownBeforeDeletion: true,
      labels: labels('node'),
      dependsOn: [subnet],
    });

    new VolumeAttachment(this, 'data-attachment', {
      serverId: Token.asNumber(this.server.id),
      volumeId: Token.asNumber(this.volume.id),
      automount: false,
    });

    new Rdns(this, 'rdns-ipv4', { primaryIpId: Token.asNumber(this.ipv4.id), ipAddress: this.ipv4.ipAddress, dnsPtr: spec.hostnames.matrix });
    new Rdns(this, 'rdns-ipv6', { primaryIpId: Token.asNumber(this.ipv6.id), ipAddress: this.server.ipv6Address, dnsPtr: spec.hostnames.matrix });

    this.addDnsRecords();
    this.addOutputs(credentials);
  }

  private addressOf(kind: 'ipv4' | 'ipv6'): string {
    return kind === 'ipv4' ? this.ipv4.ipAddress : this.server.ipv6Address;
  }

  private addDnsRecords(): void {
    const dns = this.spec.dns;
    if (dns.mode !== 'hetzner') return;
    for (const record of addressRecords(this.spec)) {
      const relative = relativeName(record.fqdn, dns.zone);
      new ZoneRrset(this, dnsRecordId(record, relative), {
        zone: dns.zone,
        name: relative,
        type: record.type,
        ttl: DNS_TTL_SECONDS,
        records: [{ value: this.addressOf(record.address), comment: 'managed by sovereign-matrix' }],
        labels: hetznerLabels(this.spec.name, 'dns'),
      });
    }
  }

  private addOutputs(credentials: K3sCredentials): void {
    new TerraformOutput(this, 'ipv6', { value: this.server.ipv6Address, description: 'Public IPv6 address of the node.' });
    addNodeOutputs(this, this.spec, { ipv4: this.ipv4.ipAddress, addressOf: (kind) => this.addressOf(kind), credentials });
  }
}
