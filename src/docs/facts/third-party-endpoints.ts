import YAML from 'yaml';
import { PORTS } from '../../ports';
import { HETZNER_PROVIDER, registryOf } from '../catalogue';
import { configMapOf, kubeObjects, renderedFromJson, resourcesOf, type Synthesized } from '../read-back';
import { backupBucket } from './backups';
import { openstackCloud } from './openstack-cloud';
import { acmeServerOf, cloudInitUrls, k3sVersionOf, nodeServer, traefikConfig } from './platform';
import type { WorkloadFact } from './workloads';

/*
 * Every endpoint outside the deployment that something of it contacts, who contacts it and what
 * in the synthesized JSON or rendered files says so.
 */

export interface EndpointFact {
  readonly endpoint: string;
  readonly purpose: string;
  readonly contactedBy: string;
  readonly derivedFrom: string;
}

export function endpoints(synth: Synthesized, workloads: readonly WorkloadFact[]): EndpointFact[] {
  const spec = synth.spec;
  const list: EndpointFact[] = [];
  const acme = acmeServerOf(synth);
  const traefik = traefikConfig(synth);
  if (acme && traefik) {
    list.push({
      endpoint: acme,
      purpose: 'ACME certificate authority: TLS certificates for every public hostname (HTTP-01 challenge)',
      contactedBy: 'Traefik on the node',
      derivedFrom: `\`${traefik.resource.address}\` (acme.caserver)`,
    });
  } else {
    const issuer = kubeObjects(synth, 'Issuer')[0];
    const acmeSpec = issuer?.manifest.spec?.acme as { server?: string } | undefined;
    if (issuer && acmeSpec?.server) {
      list.push({
        endpoint: acmeSpec.server,
        purpose: 'ACME certificate authority: TLS certificates for every public hostname (HTTP-01 challenge through the IngressClass)',
        contactedBy: 'cert-manager in the operator’s cluster',
        derivedFrom: `\`${issuer.address}\` (spec.acme.server)`,
      });
    } else if (spec.tls.clusterIssuer) {
      list.push({
        endpoint: `the certificate authority of ClusterIssuer ${spec.tls.clusterIssuer}`,
        purpose: 'TLS certificates for every public hostname and the TURN server, as that ClusterIssuer is configured',
        contactedBy: 'cert-manager in the operator’s cluster',
        derivedFrom: 'tls.cluster_issuer; the ClusterIssuer is the operator’s',
      });
    }
  }
  for (const url of cloudInitUrls(synth)) {
    const server = nodeServer(synth)!;
    list.push({
      endpoint: url,
      purpose: 'k3s installer script of the pinned release',
      contactedBy: 'the node, once, at first boot (cloud-init)',
      derivedFrom: `\`${server.address}\` user_data`,
    });
    const k3s = k3sVersionOf(synth);
    if (url.includes('k3s-io/k3s') && k3s) {
      list.push({
        endpoint: `https://github.com/k3s-io/k3s/releases/download/${k3s}/`,
        purpose: 'k3s binary and its checksums, downloaded and verified by the installer',
        contactedBy: 'the node, at first boot',
        derivedFrom: `\`${server.address}\` user_data (INSTALL_K3S_VERSION)`,
      });
    }
  }
  const registries = new Map<string, string[]>();
  for (const w of workloads) {
    for (const image of w.images) {
      const registry = registryOf(image);
      registries.set(registry, [...new Set([...(registries.get(registry) ?? []), image])]);
    }
  }
  for (const [registry, images] of [...registries.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    list.push({
      endpoint: registry,
      purpose: `Container registry: ${images.join(', ')}`,
      contactedBy: 'the container runtime, when a pod starts on a node without the image',
      derivedFrom: 'images of the Deployments and StatefulSets in the apps stack',
    });
  }
  const server = nodeServer(synth);
  if (server) {
    list.push({
      endpoint: 'docker.io (rancher/*)',
      purpose: 'k3s system images (Traefik, CoreDNS, local-path provisioner, metrics-server, pause), chosen by the k3s release',
      contactedBy: 'the node, at first boot and on k3s upgrades',
      derivedFrom: 'k3s release (no air-gap images are configured)',
    });
    const global = (traefik?.values.global ?? {}) as { checkNewVersion?: boolean; sendAnonymousUsage?: boolean };
    if (traefik && (global.checkNewVersion !== false || global.sendAnonymousUsage !== false)) {
      list.push({
        endpoint: 'Traefik Labs version check and anonymous usage statistics',
        purpose:
          'Traefik’s Helm chart turns on `global.checkNewVersion` and `global.sendAnonymousUsage` by default; the kit’s Traefik configuration does not turn them off',
        contactedBy: 'Traefik on the node',
        derivedFrom: `\`${traefik.resource.address}\` (no global override)`,
      });
    }
    list.push({
      endpoint: `Debian package mirrors of the ${server.type === 'hcloud_server' ? 'Hetzner debian image' : 'OpenStack image'}`,
      purpose: 'Package index, upgrades and the packages cloud-init installs; unattended security upgrades afterwards',
      contactedBy: 'the node (apt)',
      derivedFrom: `\`${server.address}\` user_data (package_update, package_upgrade, packages)`,
    });
  }
  if (synth.stacks.some((s) => s.json.provider?.hcloud)) {
    list.push({
      endpoint: HETZNER_PROVIDER.api,
      purpose: `Hetzner Cloud API: creates and changes the servers, network, firewall, volume, addresses${
        resourcesOf(synth, 'hcloud_zone_rrset').length > 0 ? ' and DNS records' : ''
      }`,
      contactedBy: 'OpenTofu/Terraform on the machine running deploy (HCLOUD_TOKEN)',
      derivedFrom: 'hcloud provider of the infra stack',
    });
  }
  const cloud = openstackCloud(synth);
  if (cloud) {
    const dns = resourcesOf(synth, 'openstack_dns_recordset_v2').length > 0;
    list.push({
      endpoint: `the OpenStack APIs of ${cloud.title}, region ${cloud.region} (Keystone${spec.target.kind === 'openstack' && spec.target.authUrl ? ` at ${spec.target.authUrl}` : ''}, then the service catalogue: Nova, Neutron, Cinder, Glance${dns ? ', Designate' : ''})`,
      purpose: `creates and changes the server, network, router, security group, volume and floating IP${dns ? ' and the DNS records' : ''}`,
      contactedBy: 'OpenTofu/Terraform on the machine running deploy (credentials from OS_CLOUD/clouds.yaml or OS_*)',
      derivedFrom: 'openstack provider of the infra stack',
    });
  }
  const s3 = new Map<string, string>();
  for (const stack of synth.stacks) {
    const c = stack.json.terraform?.backend?.s3 as Record<string, any> | undefined;
    if (c) s3.set(String(c.endpoints?.s3 ?? c.endpoint ?? 'AWS S3'), String(c.bucket));
  }
  for (const [endpoint, bucket] of s3) {
    list.push({
      endpoint,
      purpose: `Terraform state of every layer (bucket \`${bucket}\`)`,
      contactedBy: 'OpenTofu/Terraform on the machine running deploy',
      derivedFrom: 'terraform.backend.s3 of the stacks',
    });
  }
  const sources = new Set<string>();
  for (const stack of synth.stacks) {
    for (const req of Object.values(stack.json.terraform?.required_providers ?? {})) if (req.source) sources.add(req.source);
  }
  if (sources.size > 0) {
    list.push({
      endpoint: 'OpenTofu or Terraform provider registry',
      purpose: `Provider plugins at \`init\`: ${[...sources].sort().join(', ')}`,
      contactedBy: 'the machine running deploy',
      derivedFrom: 'required_providers of every stack',
    });
  }
  const homeserver = renderedFromJson(synth, 'synapse', 'homeserver.yaml');
  if (homeserver) {
    const config = YAML.parse(homeserver) as Record<string, any>;
    const whitelist = config.federation_domain_whitelist as string[] | undefined;
    list.push({
      endpoint:
        whitelist === undefined ? 'any Matrix homeserver' : whitelist.length === 0 ? 'none (federation closed)' : whitelist.join(', '),
      purpose: `Matrix federation: other homeservers Synapse exchanges events and keys with (HTTPS, ports ${PORTS.https} and ${PORTS.federation})`,
      contactedBy: 'Synapse',
      derivedFrom: '`federation_domain_whitelist` in synapse/homeserver.yaml',
    });
    list.push({
      endpoint: 'push gateways registered by users’ mobile apps',
      purpose: 'Push notifications; the app vendor’s gateway (for Element’s apps, Element’s) forwards them to Apple or Google',
      contactedBy: 'Synapse (its egress policy allows HTTPS to public addresses)',
      derivedFrom: 'Synapse pusher behaviour; `allow-synapse-egress` network policy',
    });
  }
  if (spec.identity.mode === 'oidc') {
    list.push({
      endpoint: spec.identity.oidc.issuer,
      purpose: 'External OpenID Connect provider for logins',
      contactedBy: 'Matrix Authentication Service; users’ browsers',
      derivedFrom: 'identity.oidc.issuer in the deployment file',
    });
  }
  const bucket = backupBucket(synth);
  if (bucket) {
    list.push({
      endpoint: `${bucket.endpoint}/${bucket.bucket}`,
      purpose: 'Backup bucket (S3): PostgreSQL base backups and write-ahead log (pgBackRest), media, signing key and configuration snapshots (restic), all encrypted before they leave the cluster',
      contactedBy: 'the backup agents beside PostgreSQL and Synapse',
      derivedFrom: `\`${configMapOf(synth, 'backup')?.address ?? 'backup-config'}\` (pgbackrest.conf, backup.env)`,
    });
  }
  // Last, and only what no row above names already: the restic repository under the backup
  // bucket, the OIDC issuer in MAS's configuration are the same endpoints, not new ones.
  if (homeserver) {
    const listed = list.map((e) => e.endpoint).filter((e) => /^https?:\/\//.test(e));
    for (const { url, file } of strayUrls(synth)) {
      if (listed.some((endpoint) => url === endpoint || url.startsWith(endpoint.endsWith('/') ? endpoint : `${endpoint}/`))) continue;
      list.push({ endpoint: url, purpose: 'URL in a rendered configuration', contactedBy: 'see the file', derivedFrom: file });
    }
  }
  return list;
}

/** URLs in rendered configurations that point outside the deployment's own hostnames and the cluster. */
function strayUrls(synth: Synthesized): { url: string; file: string }[] {
  const own = new Set([synth.spec.serverName, ...Object.values(synth.spec.hostnames)]);
  const found: { url: string; file: string }[] = [];
  for (const cm of kubeObjects(synth, 'ConfigMap')) {
    const service = cm.name.replace(/-config$/, '');
    for (const [file, content] of Object.entries((cm.manifest.data ?? {}) as Record<string, string>)) {
      for (const url of content.match(/https?:\/\/[^\s"',)]+/g) ?? []) {
        let host: string;
        try {
          host = new URL(url).hostname;
        } catch {
          continue;
        }
        // The deployment's own hosts and the cluster's Services (`<name>` or `<name>.<namespace>.svc`).
        if (own.has(host) || !host.includes('.') || /\.svc(\.|$)/.test(host)) continue;
        found.push({ url, file: `${service}/${file}` });
      }
    }
  }
  return found;
}
