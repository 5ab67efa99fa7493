import { TerraformOutput } from 'cdktf';
import type { Construct } from 'constructs';
import { addressRecords, recordLine, type AddressRecord } from '../src/components/dns-records';
import type { K3sCredentials } from '../src/components/k3s-credentials';
import type { DeploymentSpec } from '../src/config/spec';
import { PORTS } from '../src/ports';
import { exportContract } from './contract-terraform';

/**
 * The outputs every node-building infra stack has, whatever the cloud: the public names, the DNS
 * records to create, and the infra→apps contract (stacks/contract.ts), so the apps stack and
 * deploy read a Hetzner and an OpenStack deployment alike.
 */
export function addNodeOutputs(
  stack: Construct,
  spec: DeploymentSpec,
  node: { readonly ipv4: string; readonly addressOf: (kind: AddressRecord['address']) => string; readonly credentials: K3sCredentials },
): void {
  new TerraformOutput(stack, 'hostnames', { value: spec.hostnames, description: 'Public hostnames of the services.' });
  new TerraformOutput(stack, 'dns_records', {
    description: 'Address records the deployment needs (create them by hand with dns.mode manual).',
    value: addressRecords(spec).map((r) => recordLine(r.fqdn, r.type, node.addressOf(r.address))),
  });
  // What the apps stack takes as its variables (stacks/contract.ts).
  exportContract(stack, {
    kube_host: `https://${node.ipv4}:${PORTS.kubernetesApi}`,
    kube_cluster_ca_certificate: node.credentials.serverCa.certPem,
    kube_client_certificate: node.credentials.client.certPem,
    kube_client_key: node.credentials.client.keyPem,
    turn_public_ipv4: node.ipv4,
  });
}

/** The Terraform resource id of a DNS record: `dns-a-matrix`, `dns-aaaa-apex`. */
export function dnsRecordId(record: AddressRecord, relative: string): string {
  return `dns-${record.type.toLowerCase()}-${relative === '@' ? 'apex' : relative.replace(/\./g, '-')}`;
}
