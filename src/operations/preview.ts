import { EXIT } from '../shared/exit-codes';
import { addressRecords, publicNames, recordLine } from '../components/dns-records';
import { TURN_TLS_SECRET } from '../components/k8s/certificates';
import { namespaceName, turnNamespaceName } from '../render/namespace';
import { nodeRequirement } from '../config/sizing';
import type { DeploymentSpec } from '../config/spec';
import { PORTS } from '../ports';

/** The oldest cert-manager whose HTTP-01 solver pods pass the namespace's `restricted` profile (see docs/deploying.md, Certificates). */
const MINIMUM_CERT_MANAGER = '1.10';
import { HETZNER_PRICES, hetznerMonthlyCost, totalMonthly } from '../pricing/hetzner';
import { openstackMonthlyCost } from '../pricing/openstack';
import { deployRequirements, TURN_PUBLIC_IPV4_ENV } from './requirements';

/**
 * What `validate` says about a valid deployment so that deploy holds no surprise: the monthly cost
 * and everything deploy will need (environment variables, things that must exist beforehand, DNS
 * records to create, TURN's certificate on an existing cluster). Computed from the spec alone, with
 * no engine and no synthesis; the same output for the same file whatever the environment holds.
 */
export function deployPreview(spec: DeploymentSpec): string[] {
  return [costLine(spec), ...needs(spec), ...dns(spec), ...turnTls(spec)];
}

/** List prices from the dated tables (as the reference architecture's bill of materials); only sourced prices. */
function costLine(spec: DeploymentSpec): string {
  if (spec.target.kind === 'openstack') {
    const { priced, unpriced, prices } = openstackMonthlyCost(spec.target.cloud, spec.target.flavor, spec.target.volumeSizeGiB);
    const missing = `not priced (no sourced price): ${unpriced.map((l) => `${l.item}${l.quantity === '1' ? '' : ` ${l.quantity}`}`).join(', ')}`;
    if (!prices || priced.length === 0) return `cost: ${missing}`;
    const items = priced.map((l) => `${l.item} ${l.monthlyEur.toFixed(2)}`);
    return `cost: at least ${prices.currency} ${totalMonthly(priced).toFixed(2)} a month (${items.join(', ')}; ${spec.target.cloud} list prices of ${prices.effective}, excluding VAT; ${missing})`;
  }
  if (spec.target.kind !== 'hetzner') {
    const need = nodeRequirement(spec.size.synapse, spec.size.postgres);
    return `cost: the cluster's; this deployment needs at least ${need.cpu} vCPU and ${need.memoryGiB} GiB schedulable`;
  }
  const lines = hetznerMonthlyCost(spec.target.serverType, spec.target.volumeSizeGiB).filter((l) => l.monthlyEur > 0);
  const items = lines.map((l) => `${l.item}${l.quantity === '1' ? '' : ` ${l.quantity}`} ${l.monthlyEur.toFixed(2)}`);
  const extra = spec.backup.enabled ? '; the backup bucket is billed by its provider' : '';
  return `cost: ${HETZNER_PRICES.currency} ${totalMonthly(lines).toFixed(2)} a month (${items.join(', ')}; Hetzner list prices effective ${HETZNER_PRICES.effective}, excluding VAT${extra})`;
}

function needs(spec: DeploymentSpec): string[] {
  const requirements = deployRequirements(spec, { engine: 'tofu', stateEncryption: true });
  const width = Math.max(...requirements.map((r) => r.name.length));
  const lines = requirements.map((r) => `  ${r.name.padEnd(width)}  ${r.what}`);
  if (spec.target.kind === 'hetzner') {
    const keys = spec.target.sshKeys;
    lines.push(`  SSH key${keys.length === 1 ? '' : 's'} ${keys.join(', ')} uploaded to the Hetzner project`);
  } else if (spec.target.kind === 'openstack') {
    const t = spec.target;
    lines.push(`  in region ${t.region} of the project: the key pair ${t.keyPair}, the image ${t.image}, the external network ${t.externalNetwork}, the flavour ${t.flavor}`);
  } else {
    lines.push(`  cert-manager ${MINIMUM_CERT_MANAGER} or later in the cluster (its CRDs must exist when OpenTofu plans), and the IngressClass ${spec.target.ingressClass}`);
  }
  if (spec.backup.enabled) lines.push(`  the bucket ${spec.backup.s3.bucket} at ${spec.backup.s3.endpoint}, created beforehand (backups)`);
  if (spec.state.kind === 's3') lines.push(`  the bucket ${spec.state.bucket} at ${spec.state.endpoint}, created beforehand with versioning on (state)`);
  return ['deploy needs:', ...lines];
}

function dns(spec: DeploymentSpec): string[] {
  if (spec.dns.mode === 'hetzner') {
    return [`DNS: deploy creates the A and AAAA records in the Hetzner DNS zone ${spec.dns.zone} (its name servers must be Hetzner's): ${publicNames(spec).join(', ')}`];
  }
  if (spec.dns.mode === 'designate') {
    return [`DNS: deploy creates the A records in the zone ${spec.dns.zone} of the cloud's DNS service (Designate; the zone must exist there): ${publicNames(spec).join(', ')}`];
  }
  if (spec.target.kind !== 'kubernetes') {
    return [
      'DNS records to create (dns.mode manual; deploy prints them with the addresses once the server exists):',
      ...addressRecords(spec).map((r) => `  ${recordLine(r.fqdn, r.type, `<server ${r.address === 'ipv4' ? 'IPv4' : 'IPv6'}>`)}`),
    ];
  }
  // An existing cluster: the public names go to its ingress controller, TURN to the node coturn runs on.
  const names = publicNames(spec).filter((name) => !(spec.calls.turn && name === spec.hostnames.turn));
  return [
    `DNS records to create (dns.mode manual; <ingress> is the external address of the controller of IngressClass ${spec.target.ingressClass}, AAAA as well if it has IPv6):`,
    ...names.map((name) => `  ${recordLine(name, 'A', '<ingress>')}`),
    ...(spec.calls.turn ? [`  ${recordLine(spec.hostnames.turn, 'A', `<${TURN_PUBLIC_IPV4_ENV}>`)}`] : []),
  ];
}

/**
 * On the kit's k3s Traefik terminates TURN over TLS with its ACME certificate; on an existing
 * cluster coturn needs the turn-tls Secret, which cert-manager fills only with a ClusterIssuer.
 */
function turnTls(spec: DeploymentSpec): string[] {
  if (!spec.calls.turn || spec.target.kind !== 'kubernetes') return [];
  const ns = turnNamespaceName(namespaceName(spec));
  const host = spec.hostnames.turn;
  const what = `TURN over TLS (turns:${host}:${PORTS.turns})`;
  if (spec.tls.clusterIssuer !== undefined) {
    return [
      `${what}: cert-manager issues the Secret ${TURN_TLS_SECRET} in ${ns} through ClusterIssuer ${spec.tls.clusterIssuer}, which must validate ${host} without the ingress (DNS-01 or an internal CA)`,
    ];
  }
  return [
    `${what} needs a certificate for ${host} that the kit cannot obtain (HTTP-01 through the ingress does not reach coturn).`,
    `  Until it exists coturn opens no TLS listener: TURN runs over UDP and TCP only, and deploy's self-check fails on port ${PORTS.turns} (exit ${EXIT.unhealthy}).`,
    `  Once deploy has created the namespace: kubectl -n ${ns} create secret tls ${TURN_TLS_SECRET} --cert=<file> --key=<file> && kubectl -n ${ns} rollout restart deploy/coturn`,
    `  Or set tls.cluster_issuer to a ClusterIssuer that can issue it (DNS-01, internal CA).`,
  ];
}
