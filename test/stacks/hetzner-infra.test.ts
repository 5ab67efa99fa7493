import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Testing } from 'cdktf';
import { HetznerInfraStack } from '../../stacks/hetzner-infra';
import { loadDeploymentFile } from '../../src/config/load';
import type { DeploymentSpec, HetznerTarget } from '../../src/config/spec';
import { HETZNER_IMAGE } from '../../src/versions';
import { specOf, VALID_YAML } from '../helpers';

const ROOT = join(__dirname, '..', '..');
const EXAMPLES = ['deployments/example.yaml', 'deployments/research-open.yaml', 'test/fixtures/valid/minimal-hetzner.yaml', 'test/fixtures/valid/no-turn-allow-list.yaml'];
const WORLD = ['0.0.0.0/0', '::/0'];

type Json = Record<string, any>;

function synth(spec: DeploymentSpec): Json {
  const app = Testing.app();
  return JSON.parse(Testing.synth(new HetznerInfraStack(app, spec)));
}

function resources(json: Json, type: string): Json[] {
  return Object.values(json.resource?.[type] ?? {});
}

function allResources(json: Json): [string, Json][] {
  return Object.entries(json.resource ?? {}).flatMap(([type, byName]) => Object.values(byName as Json).map((r) => [type, r as Json] as [string, Json]));
}

function inboundRules(json: Json): Json[] {
  return resources(json, 'hcloud_firewall').flatMap((fw) => fw.rule);
}

const hcloudSchema = JSON.parse(readFileSync(join(ROOT, 'src', 'providers', 'hcloud', 'schema.json'), 'utf8')).provider_schemas[
  'registry.terraform.io/hetznercloud/hcloud'
].resource_schemas as Record<string, { block: { attributes: Record<string, unknown> } }>;

describe.each(EXAMPLES)('Hetzner infrastructure of %s', (file) => {
  const spec = loadDeploymentFile(join(ROOT, file));
  const target = spec.target as HetznerTarget;
  const json = synth(spec);
  const rules = inboundRules(json);

  it('never opens SSH or the Kubernetes API to the world, only to admin_cidrs', () => {
    for (const port of ['22', '6443']) {
      const matching = rules.filter((r) => r.port === port);
      expect(matching).toHaveLength(1);
      expect(matching[0].source_ips).toEqual(target.adminCidrs);
      for (const world of WORLD) expect(matching[0].source_ips).not.toContain(world);
    }
  });

  it('opens to the world only HTTP, HTTPS, ICMP and, with TURN, exactly the TURN ports and relay range, with group calls the SFU media ports', () => {
    const open = rules.filter((r) => r.source_ips.some((ip: string) => WORLD.includes(ip))).map((r) => `${r.protocol}/${r.port ?? '-'}`);
    const turn = spec.calls.turn
      ? ['udp/3478', 'tcp/3478', 'tcp/5349', `udp/${spec.calls.relayPorts.min}-${spec.calls.relayPorts.max}`]
      : [];
    const group = spec.calls.group;
    const sfu = group.enabled ? [`udp/${group.mediaPorts.min}-${group.mediaPorts.max}`, `tcp/${group.tcpPort}`] : [];
    expect(open.sort()).toEqual(['tcp/80', 'tcp/443', 'icmp/-', ...turn, ...sfu].sort());
  });

  it('only accepts inbound rules (outbound stays open for federation and relaying)', () => {
    expect(rules.every((r) => r.direction === 'in')).toBe(true);
  });

  it('places everything in the EU location of the deployment, never by datacenter', () => {
    const located = allResources(json).filter(([, r]) => 'location' in r);
    expect(located.length).toBeGreaterThanOrEqual(4);
    for (const [, r] of located) {
      expect(['fsn1', 'nbg1', 'hel1']).toContain(r.location);
      expect(r.location).toBe(target.location);
    }
    expect(allResources(json).some(([, r]) => 'datacenter' in r)).toBe(false);
    expect(resources(json, 'hcloud_network_subnet')[0].network_zone).toBe('eu-central');
  });

  it('protects the data volume and addresses from deletion', () => {
    const volumes = resources(json, 'hcloud_volume');
    expect(volumes).toHaveLength(1);
    expect(volumes[0].delete_protection).toBe(true);
    expect(volumes[0].size).toBe(target.volumeSizeGiB);
    const ips = resources(json, 'hcloud_primary_ip');
    expect(ips.map((ip) => ip.type).sort()).toEqual(['ipv4', 'ipv6']);
    for (const ip of ips) {
      expect(ip.delete_protection).toBe(true);
      expect(ip.auto_delete).toBe(false);
    }
  });

  it('labels every resource that takes labels', () => {
    const labelled = allResources(json).filter(([type]) => 'labels' in (hcloudSchema[type]?.block.attributes ?? {}));
    expect(labelled.length).toBeGreaterThanOrEqual(7);
    for (const [type, r] of labelled) {
      expect({ type, labels: r.labels }).toEqual({
        type,
        labels: expect.objectContaining({ 'managed-by': 'sovereign-matrix', deployment: spec.name, component: expect.any(String) }),
      });
    }
  });

  it('runs the profile server type on the pinned image, attached to firewall, network and addresses', () => {
    const [server] = resources(json, 'hcloud_server');
    expect(server.server_type).toBe(target.serverType);
    expect(server.image).toBe(HETZNER_IMAGE);
    expect(server.firewall_ids).toEqual(['${hcloud_firewall.firewall.id}']);
    expect(server.public_net[0]).toMatchObject({ ipv4_enabled: true, ipv6_enabled: true });
    expect(server.ssh_keys).toEqual(target.sshKeys);
    expect(server.network[0].ip).toBe('10.0.1.2');
  });

  it('keeps private keys out of the synthesized JSON', () => {
    const text = JSON.stringify(json);
    expect(text).not.toMatch(/BEGIN [A-Z ]*PRIVATE KEY/);
    expect(text).not.toMatch(/BEGIN CERTIFICATE/);
    const [server] = resources(json, 'hcloud_server');
    expect(server.user_data).toContain('${jsonencode(tls_private_key.');
  });

  it('marks the client credentials sensitive', () => {
    expect(json.output.kube_client_key.sensitive).toBe(true);
    expect(json.output.kube_client_certificate.sensitive).toBe(true);
  });

  it('mounts the volume by its stable ID and keeps k3s state on it', () => {
    const [server] = resources(json, 'hcloud_server');
    expect(server.user_data).toContain('/dev/disk/by-id/scsi-0HC_Volume_${hcloud_volume.data.id}');
    expect(server.user_data).toContain('"data-dir: /var/lib/sovereign-matrix/k3s');
    expect(server.user_data).toContain(`raw.githubusercontent.com/k3s-io/k3s/${spec.versions.k3s}/install.sh`);
  });

  it('sets reverse DNS of both addresses to the Matrix hostname', () => {
    const rdns = resources(json, 'hcloud_rdns');
    expect(rdns).toHaveLength(2);
    for (const r of rdns) expect(r.dns_ptr).toBe(spec.hostnames.matrix);
  });

  it('manages A and AAAA records only with Hetzner DNS', () => {
    const rrsets = resources(json, 'hcloud_zone_rrset');
    if (spec.dns.mode !== 'hetzner') {
      expect(rrsets).toEqual([]);
      return;
    }
    const zone = spec.dns.zone;
    expect(rrsets.every((r) => r.zone === zone)).toBe(true);
    const names = rrsets.map((r) => `${r.name}/${r.type}`).sort();
    const expected = [spec.serverName, spec.hostnames.matrix, spec.hostnames.web, spec.hostnames.auth]
      .concat(spec.identity.mode === 'keycloak' ? [spec.hostnames.sso] : [])
      .concat(spec.calls.turn ? [spec.hostnames.turn] : [])
      .map((fqdn) => (fqdn === zone ? '@' : fqdn.slice(0, -zone.length - 1)))
      .flatMap((name) => [`${name}/A`, `${name}/AAAA`])
      .sort();
    expect(names).toEqual(expected);
  });
});

describe('TURN exposure', () => {
  it('opens no TURN port when TURN is off', () => {
    const json = synth(specOf(`${VALID_YAML}calls:\n  turn: false\n`));
    const ports = inboundRules(json).map((r) => r.port);
    for (const port of ['3478', '5349']) expect(ports).not.toContain(port);
    expect(inboundRules(json).filter((r) => r.protocol === 'udp')).toEqual([]);
  });

  it('opens exactly the configured relay range', () => {
    const json = synth(specOf(`${VALID_YAML}calls:\n  relay_ports: { min: 50000, max: 50049 }\n`));
    const udp = inboundRules(json).filter((r) => r.protocol === 'udp').map((r) => r.port);
    expect(udp.sort()).toEqual(['3478', '50000-50049'].sort());
  });
});
