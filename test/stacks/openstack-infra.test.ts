import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Testing } from 'cdktf';
import { HetznerInfraStack } from '../../stacks/hetzner-infra';
import { OpenStackInfraStack, ruleId } from '../../stacks/openstack-infra';
import { CONTRACT } from '../../stacks/contract';
import { loadDeploymentFile } from '../../src/config/load';
import type { DeploymentSpec, OpenStackTarget } from '../../src/config/spec';
import { securityGroupRules } from '../../src/components/firewall-rules';
import { NODE_NETWORK } from '../../src/render/k3s-node';
import { CLUSTER_BACKUP_YAML, specOf, VALID_YAML } from '../helpers';

const ROOT = join(__dirname, '..', '..');
type Json = Record<string, any>;

function synth(spec: DeploymentSpec): Json {
  return JSON.parse(Testing.synth(new OpenStackInfraStack(Testing.app(), spec)));
}
const resources = (json: Json, type: string): Json[] => Object.values(json.resource?.[type] ?? {});

const ADMINS = 'admin_cidrs: [198.51.100.0/24, 2001:db8:1234::/48]';
const OPENSTACK_TARGET = `target:\n  openstack:\n    cloud: ovhcloud\n    region: GRA11\n    flavor: b3-32\n    image: Debian 12\n    external_network: Ext-Net\n    key_pair: ops\n    ${ADMINS}\n`;

/** The same deployment on Hetzner and on OpenStack: only the target differs. */
function twin(extra: string): { hetzner: DeploymentSpec; openstack: DeploymentSpec } {
  const hetzner = `${VALID_YAML.replace('admin_cidrs: [198.51.100.0/24]', ADMINS)}${extra}`;
  const openstack = `${VALID_YAML.replace(/target:\n(  .*\n)+/, OPENSTACK_TARGET)}${extra}${CLUSTER_BACKUP_YAML}`;
  return { hetzner: specOf(hetzner), openstack: specOf(openstack) };
}

/** Every rule as `protocol ports source`: the unit both clouds' rules reduce to. */
const hcloudFlat = (json: Json): string[] =>
  resources(json, 'hcloud_firewall')
    .flatMap((fw) => fw.rule)
    .flatMap((r: Json) => (r.source_ips as string[]).map((ip) => `${r.direction === 'in' ? 'in' : r.direction} ${r.protocol} ${r.port ?? 'all'} ${ip}`));
const openstackFlat = (json: Json): string[] =>
  resources(json, 'openstack_networking_secgroup_rule_v2').map((r) => {
    const ports = r.port_range_min === undefined ? 'all' : r.port_range_min === r.port_range_max ? `${r.port_range_min}` : `${r.port_range_min}-${r.port_range_max}`;
    return `${r.direction === 'ingress' ? 'in' : r.direction} ${r.protocol === 'ipv6-icmp' ? 'icmp' : r.protocol} ${ports} ${r.remote_ip_prefix}`;
  });

const schema = JSON.parse(readFileSync(join(ROOT, 'src', 'providers', 'openstack', 'schema.json'), 'utf8')).provider_schemas[
  'registry.terraform.io/terraform-provider-openstack/openstack'
] as { resource_schemas: Record<string, { block: { attributes: Record<string, unknown>; block_types?: Record<string, unknown> } }> };

describe.each([
  ['with TURN (the base file)', ''],
  ['without TURN', 'calls:\n  turn: false\n'],
  ['with group calls and a narrow relay range', 'calls:\n  relay_ports: { min: 50000, max: 50049 }\n  group:\n    enabled: true\n'],
])('the security group %s', (_name, extra) => {
  it('has exactly the Hetzner firewall’s rules, from the same rule data', () => {
    const { hetzner, openstack } = twin(extra);
    const fromHetzner = hcloudFlat(JSON.parse(Testing.synth(new HetznerInfraStack(Testing.app(), hetzner))));
    const fromOpenStack = openstackFlat(synth(openstack));
    expect(fromOpenStack.length).toBeGreaterThan(5);
    expect([...fromOpenStack].sort()).toEqual([...fromHetzner].sort());
  });
});

describe('OpenStack infrastructure of deployments/ministry-openstack.yaml', () => {
  const spec = loadDeploymentFile(join(ROOT, 'deployments/ministry-openstack.yaml'));
  const target = spec.target as OpenStackTarget;
  const json = synth(spec);
  const [server] = resources(json, 'openstack_compute_instance_v2');
  const [port] = resources(json, 'openstack_networking_port_v2');
  const [volume] = resources(json, 'openstack_blockstorage_volume_v3');

  it('holds no credential: the provider block names only the region, and secrets in the environment stay out', () => {
    expect(json.provider.openstack).toEqual([{ region: 'GRA11' }]);
    const sentinel = 'os-password-sentinel-7f3a';
    const saved = { ...process.env };
    Object.assign(process.env, { OS_PASSWORD: sentinel, OS_APPLICATION_CREDENTIAL_SECRET: sentinel, OS_TOKEN: sentinel, OS_USERNAME: sentinel });
    try {
      const text = Testing.synth(new OpenStackInfraStack(Testing.app(), spec));
      expect(text).not.toContain(sentinel);
      expect(text).not.toMatch(/"(password|token|application_credential_secret|application_credential_id|user_name|username)"\s*:/);
      expect(text).not.toMatch(/BEGIN [A-Z ]*PRIVATE KEY/);
    } finally {
      process.env = saved;
    }
  });

  it('exports every contract output, secret ones sensitive', () => {
    for (const entry of Object.values(CONTRACT)) {
      expect({ output: entry.output, sensitive: Boolean(json.output[entry.output]?.sensitive) }).toEqual({ output: entry.output, sensitive: entry.sensitive.output });
    }
    expect(json.output.kube_host.value).toBe('https://${openstack_networking_floatingip_v2.floating-ipv4.address}:6443');
    expect(json.output.ipv4.value).toBe('${openstack_networking_floatingip_v2.floating-ipv4.address}');
  });

  it('puts the node on the private network at its fixed address, behind the security group, with the floating IP on that port', () => {
    expect(server.network).toEqual([{ port: '${openstack_networking_port_v2.node-port.id}' }]);
    expect(server.security_groups).toBeUndefined();
    expect(port.fixed_ip).toEqual([{ subnet_id: '${openstack_networking_subnet_v2.subnet.id}', ip_address: NODE_NETWORK.nodeIp }]);
    expect(port.security_group_ids).toEqual(['${openstack_networking_secgroup_v2.firewall.id}']);
    const [association] = resources(json, 'openstack_networking_floatingip_associate_v2');
    expect(association.port_id).toBe('${openstack_networking_port_v2.node-port.id}');
    expect(resources(json, 'openstack_networking_floatingip_v2')[0].pool).toBe(target.externalNetwork);
    expect(resources(json, 'openstack_networking_subnet_v2')[0].cidr).toBe(NODE_NETWORK.subnet);
    expect(resources(json, 'openstack_networking_router_v2')[0].external_network_id).toBe('${data.openstack_networking_network_v2.external-network.id}');
  });

  it('keeps the default egress rules and only adds inbound ones', () => {
    expect(resources(json, 'openstack_networking_secgroup_v2')[0].delete_default_rules).toBeUndefined();
    expect(new Set(resources(json, 'openstack_networking_secgroup_rule_v2').map((r) => r.direction))).toEqual(new Set(['ingress']));
  });

  it('attaches the data volume at boot, never deletes it with the server, and formats and mounts that same device', () => {
    expect(volume.size).toBe(target.volumeSizeGiB);
    expect(server.block_device).toEqual([
      expect.objectContaining({ source_type: 'image', destination_type: 'local', boot_index: 0, uuid: '${data.openstack_images_image_v2.image.id}' }),
      expect.objectContaining({ source_type: 'volume', destination_type: 'volume', boot_index: -1, delete_on_termination: false, uuid: '${openstack_blockstorage_volume_v3.data.id}' }),
    ]);
    const device = '${jsonencode("/dev/disk/by-id/virtio-${substr(openstack_blockstorage_volume_v3.data.id, 0, 20)}")}';
    expect(server.user_data).toContain(`"fs_setup":[{"label":"sm-data","filesystem":"ext4","device":${device},"partition":"none","overwrite":false}]`);
    expect(server.user_data).toContain(`"mounts":[[${device},"/var/lib/sovereign-matrix"`);
    expect(server.user_data).toContain('"data-dir: /var/lib/sovereign-matrix/k3s');
    expect(server.stop_before_destroy).toBe(true);
  });

  it('does not replace the node when the cloud publishes a newer image under the same name', () => {
    expect(server.lifecycle).toEqual({ ignore_changes: ['block_device[0].uuid'] });
  });

  it('runs the profile flavour with the key pair, and names the cloud for pricing', () => {
    expect(server.flavor_name).toBe('b3-32');
    expect(server.key_pair).toBe('ops-team');
    expect(server.metadata['openstack-cloud']).toBe('ovhcloud');
  });

  it('uses only attributes the pinned provider’s schema has', () => {
    for (const [type, byName] of Object.entries(json.resource as Record<string, Record<string, Json>>)) {
      if (!type.startsWith('openstack_')) continue;
      const block = schema.resource_schemas[type]?.block;
      expect({ type, known: block !== undefined }).toEqual({ type, known: true });
      for (const body of Object.values(byName)) {
        const unknown = Object.keys(body).filter((k) => !['//', 'depends_on', 'lifecycle'].includes(k) && !(k in block.attributes) && !(k in (block.block_types ?? {})));
        expect({ type, unknown }).toEqual({ type, unknown: [] });
      }
    }
  });

  it('manages no DNS record with dns.mode manual', () => {
    expect(json.resource.openstack_dns_recordset_v2).toBeUndefined();
    expect(json.output.dns_records.value.every((line: string) => / IN A /.test(line))).toBe(true);
  });
});

describe('Designate DNS', () => {
  const yaml = readFileSync(join(ROOT, 'deployments/ministry-openstack.yaml'), 'utf8').replace('dns:\n  mode: manual\n', 'dns:\n  mode: designate\n');
  const json = synth(specOf(yaml));

  it('creates an A record per public name in the zone, and no AAAA (the floating IP is IPv4)', () => {
    const records = resources(json, 'openstack_dns_recordset_v2');
    expect(records.map((r) => r.type)).toEqual(records.map(() => 'A'));
    expect(records.map((r) => r.name)).toContain('matrix.ministry.example.eu.');
    for (const r of records) {
      expect(r.zone_id).toBe('${data.openstack_dns_zone_v2.dns-zone.id}');
      expect(r.records).toEqual(['${openstack_networking_floatingip_v2.floating-ipv4.address}']);
    }
    expect(json.data.openstack_dns_zone_v2['dns-zone'].name).toBe('ministry.example.eu.');
  });
});

describe('ruleId', () => {
  it('names a rule by what it allows, so adding a rule moves no other', () => {
    const spec = loadDeploymentFile(join(ROOT, 'deployments/ministry-openstack.yaml'));
    const ids = securityGroupRules(spec).map(ruleId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain('ingress-tcp-443-from-anywhere-ipv4');
    expect(ids).toContain('ingress-ipv6-icmp-all-from-anywhere-ipv6');
    expect(ids).toContain('ingress-tcp-22-from-198-51-100-0-24');
    expect(ids).toContain('ingress-tcp-22-from-2001-db8-1234-48');
  });
});
