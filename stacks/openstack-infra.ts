import { Fn, TerraformOutput } from 'cdktf';
import type { Construct } from 'constructs';
import { TlsProvider } from '@cdktf/provider-tls/lib/provider';
import { cloudConfig, cloudConfigForTerraform, nodeHostname } from '../src/components/cloud-init';
import { addressRecords, DNS_TTL_SECONDS, relativeName } from '../src/components/dns-records';
import { securityGroupRules, type SecurityGroupRule } from '../src/components/firewall-rules';
import { K3sCredentials } from '../src/components/k3s-credentials';
import { hetznerLabels, OPENSTACK_CLOUD_METADATA, openstackTags } from '../src/components/labels';
import type { DeploymentSpec, OpenStackTarget } from '../src/config/spec';
import { NODE_NETWORK } from '../src/render/k3s-node';
import { BlockstorageVolumeV3 } from '../src/providers/openstack/bindings/blockstorage-volume-v3';
import { ComputeInstanceV2 } from '../src/providers/openstack/bindings/compute-instance-v2';
import { DataOpenstackDnsZoneV2 } from '../src/providers/openstack/bindings/data-openstack-dns-zone-v2';
import { DataOpenstackImagesImageV2 } from '../src/providers/openstack/bindings/data-openstack-images-image-v2';
import { DataOpenstackNetworkingNetworkV2 } from '../src/providers/openstack/bindings/data-openstack-networking-network-v2';
import { DnsRecordsetV2 } from '../src/providers/openstack/bindings/dns-recordset-v2';
import { NetworkingFloatingipAssociateV2 } from '../src/providers/openstack/bindings/networking-floatingip-associate-v2';
import { NetworkingFloatingipV2 } from '../src/providers/openstack/bindings/networking-floatingip-v2';
import { NetworkingNetworkV2 } from '../src/providers/openstack/bindings/networking-network-v2';
import { NetworkingPortV2 } from '../src/providers/openstack/bindings/networking-port-v2';
import { NetworkingRouterInterfaceV2 } from '../src/providers/openstack/bindings/networking-router-interface-v2';
import { NetworkingRouterV2 } from '../src/providers/openstack/bindings/networking-router-v2';
import { NetworkingSecgroupRuleV2 } from '../src/providers/openstack/bindings/networking-secgroup-rule-v2';
import { NetworkingSecgroupV2 } from '../src/providers/openstack/bindings/networking-secgroup-v2';
import { NetworkingSubnetV2 } from '../src/providers/openstack/bindings/networking-subnet-v2';
import { OpenstackProvider } from '../src/providers/openstack/bindings/provider';
import { DeploymentStack } from './deployment-stack';
import { addNodeOutputs, dnsRecordId } from './node-outputs';

/**
 * OpenStack infrastructure of one deployment, the same shape as Hetzner's: a private network with
 * a router to the cloud's external network, a security group with the least-exposure rules (the
 * same rule data as the Hetzner firewall, src/components/firewall-rules.ts), one k3s node from the
 * same cloud-init whose cluster state and data live on a separate volume, a floating IP that
 * outlives the server, and optionally the DNS records in a Designate zone.
 *
 * Credentials never appear here: the provider reads clouds.yaml (OS_CLOUD) or the OS_* variables
 * at apply time; the stack names only the region and, for a generic cloud, the Keystone URL.
 */
export class OpenStackInfraStack extends DeploymentStack {
  readonly server: ComputeInstanceV2;
  readonly floatingIp: NetworkingFloatingipV2;
  readonly volume: BlockstorageVolumeV3;
  readonly securityGroup: NetworkingSecgroupV2;

  constructor(scope: Construct, spec: DeploymentSpec) {
    super(scope, spec, 'infra');
    const target = spec.target as OpenStackTarget;
    new OpenstackProvider(this, 'openstack', { region: target.region, ...(target.authUrl ? { authUrl: target.authUrl } : {}) });
    new TlsProvider(this, 'tls', {});

    const tags = (component: string) => openstackTags(spec.name, component);
    const name = (suffix: string) => `${spec.name}-${suffix}`;

    const external = new DataOpenstackNetworkingNetworkV2(this, 'external-network', { name: target.externalNetwork, external: true });
    const network = new NetworkingNetworkV2(this, 'network', { name: name('net'), adminStateUp: true, tags: tags('network') });
    const subnet = new NetworkingSubnetV2(this, 'subnet', {
      name: name('subnet'),
      networkId: network.id,
      cidr: NODE_NETWORK.subnet,
      ipVersion: 4,
      tags: tags('network'),
    });
    const router = new NetworkingRouterV2(this, 'router', { name: name('router'), externalNetworkId: external.id, tags: tags('network') });
    const routerInterface = new NetworkingRouterInterfaceV2(this, 'router-interface', { routerId: router.id, subnetId: subnet.id });

    // The cloud's default egress rules stay: federation, ACME, packages and TURN reach anywhere.
    this.securityGroup = new NetworkingSecgroupV2(this, 'firewall', {
      name: name('fw'),
      description: 'sovereign-matrix: inbound allow-list of the k3s node',
      tags: tags('firewall'),
    });
    for (const rule of securityGroupRules(spec)) {
      new NetworkingSecgroupRuleV2(this, ruleId(rule), {
        securityGroupId: this.securityGroup.id,
        direction: rule.direction,
        ethertype: rule.ethertype,
        protocol: rule.protocol,
        ...(rule.portRangeMin === undefined ? {} : { portRangeMin: rule.portRangeMin, portRangeMax: rule.portRangeMax }),
        remoteIpPrefix: rule.remoteIpPrefix,
        description: rule.description,
      });
    }

    // The node's fixed private address, as on Hetzner (node_exporter and k3s listen on it).
    const port = new NetworkingPortV2(this, 'node-port', {
      name: name('node'),
      networkId: network.id,
      adminStateUp: true,
      fixedIp: [{ subnetId: subnet.id, ipAddress: NODE_NETWORK.nodeIp }],
      securityGroupIds: [this.securityGroup.id],
      tags: tags('node'),
    });

    // The address is its own resource so it survives a server replacement.
    this.floatingIp = new NetworkingFloatingipV2(this, 'floating-ipv4', {
      pool: target.externalNetwork,
      description: `sovereign-matrix ${spec.name}: public address of the k3s node`,
      tags: tags('address'),
    });
    new NetworkingFloatingipAssociateV2(this, 'floating-ipv4-association', {
      floatingIp: this.floatingIp.address,
      portId: port.id,
      dependsOn: [routerInterface],
    });

    // No delete protection exists in Cinder: `destroy` keeps the volume by taking it out of state.
    this.volume = new BlockstorageVolumeV3(this, 'data', {
      name: name('data'),
      size: target.volumeSizeGiB,
      ...(target.volumeType ? { volumeType: target.volumeType } : {}),
      description: `sovereign-matrix ${spec.name}: k3s cluster state, PostgreSQL and media`,
      metadata: hetznerLabels(spec.name, 'data'),
      enableOnlineResize: true,
    });

    const image = new DataOpenstackImagesImageV2(this, 'image', { name: target.image, mostRecent: true });
    const credentials = new K3sCredentials(this, 'k3s-credentials', { name: spec.name, validityHours: 5 * 365 * 24 });
    const userData = cloudConfig(spec, {
      // Nova gives a volume on the virtio bus its ID, cut to 20 characters, as the disk serial.
      dataDevice: `/dev/disk/by-id/virtio-${Fn.substr(this.volume.id, 0, 20)}`,
      // A new Cinder volume is blank; cloud-init formats it once and never again.
      formatDataDevice: true,
      publicIpv4: this.floatingIp.address,
      privateIpv4: NODE_NETWORK.nodeIp,
      serverCaCertPem: credentials.serverCa.certPem,
      serverCaKeyPem: credentials.serverCa.keyPem,
      clientCaCertPem: credentials.clientCa.certPem,
      clientCaKeyPem: credentials.clientCa.keyPem,
    });

    this.server = new ComputeInstanceV2(this, 'node', {
      name: nodeHostname(spec),
      flavorName: target.flavor,
      keyPair: target.keyPair,
      network: [{ port: port.id }],
      // The volume is attached at boot, so cloud-init finds it; it outlives the server.
      blockDevice: [
        { uuid: image.id, sourceType: 'image', destinationType: 'local', bootIndex: 0, deleteOnTermination: true },
        { uuid: this.volume.id, sourceType: 'volume', destinationType: 'volume', bootIndex: -1, deleteOnTermination: false },
      ],
      userData: cloudConfigForTerraform(userData),
      // PostgreSQL gets to shut down cleanly before the server is deleted.
      stopBeforeDestroy: true,
      // Which cloud profile: `diff` prices the node from the JSON alone.
      metadata: { ...hetznerLabels(spec.name, 'node'), [OPENSTACK_CLOUD_METADATA]: target.cloud },
      tags: tags('node'),
      dependsOn: [routerInterface],
      // A block device's source is ForceNew: without this, every newer image the cloud publishes
      // under the same name would replace the node. The node updates its packages itself; to move
      // to a new image, replace the server on purpose (tofu apply -replace).
      lifecycle: { ignoreChanges: ['block_device[0].uuid'] },
    });

    this.addDnsRecords();
    new TerraformOutput(this, 'region', { value: target.region, description: 'OpenStack region of the node.' });
    addNodeOutputs(this, spec, { ipv4: this.floatingIp.address, addressOf: () => this.floatingIp.address, credentials });
  }

  /** A and (none: IPv4 only) records in the Designate zone, when dns.mode is designate. */
  private addDnsRecords(): void {
    const dns = this.spec.dns;
    if (dns.mode !== 'designate') return;
    const zone = new DataOpenstackDnsZoneV2(this, 'dns-zone', { name: `${dns.zone}.` });
    for (const record of addressRecords(this.spec)) {
      new DnsRecordsetV2(this, dnsRecordId(record, relativeName(record.fqdn, dns.zone)), {
        zoneId: zone.id,
        name: `${record.fqdn}.`,
        type: record.type,
        ttl: DNS_TTL_SECONDS,
        records: [this.floatingIp.address],
        description: 'managed by sovereign-matrix',
      });
    }
  }
}

/** A rule's Terraform id from what it allows, stable when rules are added: `ingress-tcp-443-from-anywhere-ipv4`. */
export function ruleId(rule: SecurityGroupRule): string {
  const ports = rule.portRangeMin === undefined ? 'all' : rule.portRangeMin === rule.portRangeMax ? `${rule.portRangeMin}` : `${rule.portRangeMin}-${rule.portRangeMax}`;
  const from = /^(0\.0\.0\.0|::)\/0$/.test(rule.remoteIpPrefix)
    ? `anywhere-${rule.ethertype.toLowerCase()}`
    : rule.remoteIpPrefix.replace(/[^0-9a-fA-F]+/g, '-').replace(/^-|-$/g, '');
  return `ingress-${rule.protocol}-${ports}-from-${from}`;
}
