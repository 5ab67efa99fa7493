import { Testing, TerraformStack } from 'cdktf';
import { addNodeOutputs, dnsRecordId } from '../../stacks/node-outputs';
import { CONTRACT } from '../../stacks/contract';
import { K3sCredentials } from '../../src/components/k3s-credentials';
import { CLUSTER_BACKUP_YAML, specOf, VALID_YAML } from '../helpers';

describe('addNodeOutputs', () => {
  it('exports the names, the records with the cloud’s addresses and the whole contract, whatever the cloud', () => {
    const spec = specOf(
      `${VALID_YAML.replace(/target:\n(  .*\n)+/, 'target:\n  openstack:\n    cloud: ovhcloud\n    region: GRA11\n    image: Debian 12\n    external_network: Ext-Net\n    key_pair: ops\n    admin_cidrs: [198.51.100.0/24]\n')}${CLUSTER_BACKUP_YAML}`,
    );
    const app = Testing.app();
    const stack = new TerraformStack(app, 'outputs');
    const credentials = new K3sCredentials(stack, 'creds', { name: spec.name, validityHours: 24 });
    addNodeOutputs(stack, spec, { ipv4: '203.0.113.7', addressOf: (kind) => (kind === 'ipv4' ? '203.0.113.7' : '2001:db8::7'), credentials });
    const json = JSON.parse(Testing.synth(stack));
    expect(Object.keys(json.output).sort()).toEqual(['dns_records', 'hostnames', ...new Set(Object.values(CONTRACT).map((e) => e.output))].sort());
    expect(json.output.kube_host.value).toBe('https://203.0.113.7:6443');
    // OpenStack: IPv4 only, so no AAAA line.
    expect(json.output.dns_records.value).toContain('matrix.ministry.example.eu. 300 IN A 203.0.113.7');
    expect(json.output.dns_records.value.some((line: string) => line.includes(' AAAA '))).toBe(false);
  });
});

describe('dnsRecordId', () => {
  it('names a record by type and relative name, the apex as apex', () => {
    expect(dnsRecordId({ fqdn: 'example.eu', type: 'A', address: 'ipv4' }, '@')).toBe('dns-a-apex');
    expect(dnsRecordId({ fqdn: 'chat.x.example.eu', type: 'AAAA', address: 'ipv6' }, 'chat.x')).toBe('dns-aaaa-chat-x');
  });
});
