import YAML from 'yaml';
import { nodeRequirement, serverType as serverTypeOf } from '../config/sizing';
import { ANYWHERE } from '../components/firewall-rules';
import { PORTS } from '../ports';
import { HETZNER_PRICES, hetznerMonthlyCost, totalMonthly, type CostLine } from '../pricing/hetzner';
import {
  HETZNER_LOCATIONS,
  HETZNER_PROVIDER,
  IMAGE_CATALOGUE,
  PLATFORM_CATALOGUE,
  registryOf,
  splitImage,
  type SoftwareEntry,
} from './catalogue';
import { backupBucket, backupFacts, backupResidency } from './backup-facts';
import type { LivePrices } from './pricing-api';
import { configMapOf, containersOf, kubeObjects, renderedFromJson, resourcesOf, where, type FoundKubeObject, type FoundResource, type Synthesized } from './read-back';

export { renderedFromJson };

/**
 * Everything a reference architecture states, derived from the synthesized Terraform JSON (read
 * back from disk) and the rendered configuration files inside it, with the spec only for what
 * the JSON cannot say (the sizing profile it was chosen from). Nothing here is typed by hand
 * per deployment: a change to a stack shows up in the facts, or a test fails.
 */
export interface ReferenceFacts {
  readonly name: string;
  readonly serverName: string;
  readonly target: 'hetzner' | 'kubernetes';
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
}

export interface ComponentFact extends SoftwareEntry {
  readonly version: string;
  /** Full image reference, or how it is installed for non-image components. */
  readonly image: string;
  /** Where it is deployed (resource addresses). */
  readonly deployedBy: readonly string[];
}

export interface WorkloadFact {
  /** Kubernetes name (also the `app.kubernetes.io/name` label). */
  readonly name: string;
  readonly namespace: string;
  readonly kind: 'Deployment' | 'StatefulSet';
  readonly images: readonly string[];
  readonly hostNetwork: boolean;
  /** The Deployment or StatefulSet object. */
  readonly object: FoundKubeObject;
}

export interface FirewallFact {
  readonly protocol: string;
  readonly port: string;
  readonly sources: readonly string[];
  readonly description: string;
  /** What listens behind the rule. */
  readonly reaches: string;
  readonly where: string;
}

export interface RouteFact {
  readonly host: string;
  readonly path: string;
  readonly service: string;
  readonly port: number;
  readonly where: string;
}

export interface PolicyFact {
  readonly name: string;
  /** The pods it selects: a workload name or "every pod". */
  readonly appliesTo: string;
  readonly direction: 'ingress' | 'egress' | 'default deny';
  readonly peers: readonly string[];
  readonly ports: readonly string[];
  readonly where: string;
}

export interface LocationFact {
  readonly what: string;
  readonly location: string;
  readonly city: string;
  readonly country: string;
  readonly where: string;
}

export interface EndpointFact {
  readonly endpoint: string;
  readonly purpose: string;
  readonly contactedBy: string;
  readonly derivedFrom: string;
}

export interface ControlFact {
  readonly area: string;
  readonly control: string;
  readonly where: string;
}

export interface CostFact {
  readonly lines: readonly CostLine[];
  readonly total: number;
  readonly source: string;
  readonly location: string;
}

export interface SizingFact {
  readonly profile: string;
  readonly users: string;
  readonly federation: string;
  readonly rows: readonly [string, string][];
}

/** One arrow of the diagram: from and to are diagram node ids (see graph.ts). */
export interface FlowFact {
  readonly from: string;
  readonly to: string;
  readonly label: string;
  /** public: from the internet; admin: administration networks; internal: in the cluster; outbound. */
  readonly kind: 'public' | 'admin' | 'internal' | 'outbound';
}

/** Every Deployment and StatefulSet of the apps stack. */
export function workloadsOf(synth: Synthesized): WorkloadFact[] {
  return kubeObjects(synth, 'Deployment', 'StatefulSet').map((o) => ({
    name: o.name,
    namespace: String(o.namespace),
    kind: o.kind as WorkloadFact['kind'],
    images: [...new Set(containersOf(o).map((c) => String(c.image)))],
    hostNetwork: o.manifest.spec?.template?.spec?.hostNetwork === true,
    object: o,
  }));
}

function hetznerServer(synth: Synthesized): FoundResource | undefined {
  return resourcesOf(synth, 'hcloud_server')[0];
}

/** The k3s release the node installs, read from the server's cloud-init in the JSON. */
export function k3sVersionOf(synth: Synthesized): string | undefined {
  const userData = hetznerServer(synth)?.body.user_data as string | undefined;
  return userData?.match(/INSTALL_K3S_VERSION='([^']+)'/)?.[1];
}

/** Every https URL in the server's cloud-init. */
function cloudInitUrls(synth: Synthesized): string[] {
  const userData = (hetznerServer(synth)?.body.user_data as string | undefined) ?? '';
  return [...new Set(userData.match(/https:\/\/[^\s"'\\|]+/g) ?? [])];
}

/** The k3s HelmChartConfig that configures Traefik, with its values parsed. */
function traefikConfig(synth: Synthesized): { resource: FoundKubeObject; values: Record<string, any> } | undefined {
  const resource = kubeObjects(synth, 'HelmChartConfig').find((m) => m.name === 'traefik');
  if (!resource) return undefined;
  return { resource, values: JSON.parse(resource.manifest.spec.valuesContent as string) as Record<string, any> };
}

function traefikArgument(synth: Synthesized, suffix: string): string | undefined {
  const args = (traefikConfig(synth)?.values.additionalArguments ?? []) as string[];
  const arg = args.find((a) => a.includes(`${suffix}=`));
  return arg?.slice(arg.indexOf(`${suffix}=`) + suffix.length + 1);
}

/** The ACME directory Traefik uses, read from the HelmChartConfig in the JSON. */
export function acmeServerOf(synth: Synthesized): string | undefined {
  return traefikArgument(synth, 'acme.caserver');
}

// --- component inventory ------------------------------------------------------------------

function components(synth: Synthesized, workloads: readonly WorkloadFact[]): ComponentFact[] {
  const byImage = new Map<string, string[]>();
  for (const w of workloads) {
    for (const image of w.images) byImage.set(image, [...(byImage.get(image) ?? []), `${w.kind} ${w.namespace}/${w.name}`]);
  }
  const rows: ComponentFact[] = [...byImage.entries()].map(([image, users]) => {
    const { repository: pulled, tag } = splitImage(image);
    // Through a registry mirror the catalogue still knows the image by its upstream path.
    const mirror = synth.spec.registryMirror;
    const repository = mirror && pulled.startsWith(`${mirror}/`) ? pulled.slice(mirror.length + 1) : pulled;
    const entry: SoftwareEntry = IMAGE_CATALOGUE[repository] ?? {
      key: repository,
      software: repository,
      role: 'not in the kit catalogue',
      licence: 'unknown: not in src/docs/catalogue.ts',
      upstream: '',
    };
    return { ...entry, version: tag.replace(/^v/, ''), image, deployedBy: users };
  });
  const server = hetznerServer(synth);
  const k3s = k3sVersionOf(synth);
  if (server && k3s) {
    rows.push({
      ...PLATFORM_CATALOGUE.k3s,
      version: k3s,
      image: `install.sh of the release tag (cloud-init)`,
      deployedBy: [`${server.address} user_data`],
    });
    const traefik = traefikConfig(synth);
    rows.push({
      ...PLATFORM_CATALOGUE.traefik,
      version: `bundled with k3s ${k3s}`,
      image: 'chosen by the k3s release (kube-system/traefik)',
      deployedBy: ['k3s', ...(traefik ? [`${traefik.resource.address} (configuration)`] : [])],
    });
    rows.push({
      ...PLATFORM_CATALOGUE.debian,
      version: String(server.body.image),
      image: `Hetzner image ${String(server.body.image)}`,
      deployedBy: [server.address],
    });
  }
  return rows.sort((a, b) => a.software.localeCompare(b.software) || a.image.localeCompare(b.image));
}

// --- network exposure -----------------------------------------------------------------------

/** What listens on the node behind a firewall port. */
function listenerOf(synth: Synthesized, protocol: string, port: string | undefined): string {
  if (protocol === 'icmp') return 'the node (kernel)';
  const turn = renderedFromJson(synth, 'coturn', 'turnserver.conf');
  if (turn) {
    const option = (key: string) => turn.match(new RegExp(`^${key}=(\\d+)$`, 'm'))?.[1];
    const turnPorts = [option('listening-port'), option('tls-listening-port')].filter(Boolean);
    const relay = `${option('min-port')}-${option('max-port')}`;
    if (port === relay && protocol === 'udp') return 'coturn (relay ports)';
    if (port && turnPorts.includes(port)) return 'coturn';
  }
  if (port === String(PORTS.http) || port === String(PORTS.https)) return 'Traefik (k3s ingress)';
  // An extra Traefik entry point, such as TURN over TLS, which Traefik terminates for coturn.
  const entryPoints = Object.entries((traefikConfig(synth)?.values.ports ?? {}) as Record<string, { exposedPort?: number; protocol?: string }>);
  const entryPoint = entryPoints.find(([, p]) => String(p.exposedPort) === port && (p.protocol ?? 'TCP').toLowerCase() === protocol);
  if (entryPoint) return `Traefik (k3s ingress, entry point ${entryPoint[0]})`;
  if (port === String(PORTS.ssh)) return 'sshd on the node';
  if (port === String(PORTS.kubernetesApi)) return 'k3s API server';
  return 'nothing the kit runs';
}

function firewall(synth: Synthesized): FirewallFact[] {
  return resourcesOf(synth, 'hcloud_firewall').flatMap((fw) =>
    ((fw.body.rule ?? []) as Record<string, any>[]).map((rule) => ({
      protocol: String(rule.protocol),
      port: rule.port === undefined ? '' : String(rule.port),
      sources: [...((rule.source_ips ?? []) as string[])],
      description: String(rule.description ?? ''),
      reaches: listenerOf(synth, String(rule.protocol), rule.port === undefined ? undefined : String(rule.port)),
      where: where(fw),
    })),
  );
}

function routes(synth: Synthesized): RouteFact[] {
  return kubeObjects(synth, 'Ingress').flatMap((ing) =>
    ((ing.manifest.spec?.rules ?? []) as Record<string, any>[]).flatMap((rule) =>
      ((rule.http?.paths ?? []) as Record<string, any>[]).map((p) => ({
        host: String(rule.host),
        path: String(p.path),
        service: String(p.backend.service.name),
        port: Number(p.backend.service.port.number),
        where: where(ing),
      })),
    ),
  );
}

function describeSelector(selector: Record<string, any> | undefined): string {
  const labels = (selector?.matchLabels ?? {}) as Record<string, string>;
  return labels['app.kubernetes.io/name'] ?? (Object.keys(labels).length === 0 ? 'every pod' : JSON.stringify(labels));
}

function describePeer(peer: Record<string, any>): string {
  if (peer.ipBlock) {
    const except = (peer.ipBlock.except ?? []) as string[];
    return `${peer.ipBlock.cidr}${except.length ? ` except ${except.join(', ')}` : ''}`;
  }
  const ns = peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] as string | undefined;
  const pods = peer.podSelector ? describeSelector(peer.podSelector) : undefined;
  if (peer.namespaceSelector && !ns && !pods) return 'every namespace (the operator’s ingress controller)';
  if (ns && pods) return `${pods} in ${ns}`;
  if (ns) return `namespace ${ns}`;
  return `${pods} pods`;
}

function ports(list: Record<string, any>[] | undefined): string[] {
  return (list ?? []).map((p) => `${String(p.protocol ?? 'TCP').toLowerCase()}/${String(p.port)}`);
}

function policies(synth: Synthesized): PolicyFact[] {
  const facts: PolicyFact[] = [];
  for (const np of kubeObjects(synth, 'NetworkPolicy')) {
    const spec = np.manifest.spec ?? {};
    const appliesTo = describeSelector(spec.podSelector);
    const name = np.name;
    const ingress = (spec.ingress ?? []) as Record<string, any>[];
    const egress = (spec.egress ?? []) as Record<string, any>[];
    if (ingress.length === 0 && egress.length === 0) {
      facts.push({ name, appliesTo, direction: 'default deny', peers: [], ports: [], where: where(np) });
      continue;
    }
    for (const rule of ingress) {
      facts.push({ name, appliesTo, direction: 'ingress', peers: (rule.from ?? []).map(describePeer), ports: ports(rule.ports), where: where(np) });
    }
    for (const rule of egress) {
      facts.push({ name, appliesTo, direction: 'egress', peers: (rule.to ?? []).map(describePeer), ports: ports(rule.ports), where: where(np) });
    }
  }
  return facts;
}

// --- diagram flows --------------------------------------------------------------------------

/** Diagram node id of a peer of a network policy, or undefined when it is not drawn. */
function peerNode(peer: Record<string, any>, present: ReadonlySet<string>): string | undefined {
  if (peer.ipBlock) return 'internet_services';
  const pods = peer.podSelector ? describeSelector(peer.podSelector) : undefined;
  if (pods === 'traefik' || (peer.namespaceSelector && !pods && Object.keys(peer.namespaceSelector.matchLabels ?? {}).length === 0)) return 'ingress';
  if (pods && present.has(pods)) return `w_${pods}`;
  return undefined;
}

function flows(synth: Synthesized, fw: readonly FirewallFact[], rts: readonly RouteFact[], workloads: readonly WorkloadFact[]): FlowFact[] {
  const present = new Set(workloads.map((w) => w.name));
  const out = new Map<string, { from: string; to: string; kind: FlowFact['kind']; labels: string[] }>();
  const add = (from: string, to: string, kind: FlowFact['kind'], label: string) => {
    const key = `${from} ${to} ${kind}`;
    const entry = out.get(key) ?? { from, to, kind, labels: [] };
    if (!entry.labels.includes(label)) entry.labels.push(label);
    out.set(key, entry);
  };
  // Firewall: the internet and the administration networks to what listens on the node.
  for (const rule of fw) {
    const anywhere = ANYWHERE.every((a) => rule.sources.includes(a));
    const source = anywhere ? 'internet_clients' : 'admins';
    const label = rule.protocol === 'icmp' ? 'icmp' : `${rule.protocol}/${rule.port}`;
    add(source, 'firewall', anywhere ? 'public' : 'admin', label);
    const target =
      rule.reaches.startsWith('coturn') && present.has('coturn')
        ? 'w_coturn'
        : rule.reaches.startsWith('Traefik')
          ? 'ingress'
          : rule.reaches === 'k3s API server'
            ? 'k3s'
            : 'node';
    add('firewall', target, anywhere ? 'public' : 'admin', label);
  }
  // Ingress routes: the ingress controller to the services.
  for (const route of rts) {
    if (present.has(route.service)) add('ingress', `w_${route.service}`, 'internal', `tcp/${route.port} ${route.host}${route.path}`);
  }
  // Network policies: every allowed flow between drawn pods, and out to the internet.
  for (const np of kubeObjects(synth, 'NetworkPolicy')) {
    const spec = np.manifest.spec ?? {};
    const self = describeSelector(spec.podSelector);
    const selfNode = present.has(self) ? `w_${self}` : undefined;
    if (!selfNode) continue;
    for (const rule of (spec.egress ?? []) as Record<string, any>[]) {
      for (const peer of (rule.to ?? []) as Record<string, any>[]) {
        const to = peerNode(peer, present);
        if (to) add(selfNode, to, to === 'internet_services' ? 'outbound' : 'internal', ports(rule.ports).join(', '));
      }
    }
    for (const rule of (spec.ingress ?? []) as Record<string, any>[]) {
      for (const peer of (rule.from ?? []) as Record<string, any>[]) {
        const from = peerNode(peer, present);
        // Ingress-controller flows are already drawn from the Ingress with host and path.
        if (from && from !== 'ingress') add(from, selfNode, 'internal', ports(rule.ports).join(', '));
      }
    }
  }
  const acme = acmeServerOf(synth);
  if (acme) add('ingress', 'acme', 'outbound', `https ${new URL(acme).host}`);
  const bucket = backupBucket(synth);
  if (bucket) {
    for (const component of ['postgres', 'synapse']) if (present.has(component)) add(`w_${component}`, 'backup_bucket', 'outbound', `https ${new URL(bucket.endpoint).host}`);
  }
  if (hetznerServer(synth)) add('node', 'volume', 'internal', `ext4 ${'/var/lib/sovereign-matrix'}`);
  return [...out.values()].map((f) => ({ from: f.from, to: f.to, kind: f.kind, label: f.labels.join('\n') }));
}

// --- data residency and third parties -------------------------------------------------------

function locations(synth: Synthesized): LocationFact[] {
  const facts: LocationFact[] = [];
  for (const stack of synth.stacks) {
    for (const [type, byName] of Object.entries(stack.json.resource ?? {})) {
      if (!type.startsWith('hcloud_')) continue;
      for (const [name, body] of Object.entries(byName)) {
        if (typeof body.location !== 'string') continue;
        const place = HETZNER_LOCATIONS[body.location] ?? { city: 'unknown', country: 'unknown' };
        facts.push({
          what: `${type.replace(/^hcloud_/, '').replace(/_/g, ' ')} ${String(body.name ?? name)}`,
          location: body.location,
          ...place,
          where: `\`${type}.${name}\` (${stack.name})`,
        });
      }
    }
  }
  return facts;
}

function endpoints(synth: Synthesized, workloads: readonly WorkloadFact[]): EndpointFact[] {
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
    const server = hetznerServer(synth)!;
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
  const server = hetznerServer(synth);
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
      endpoint: 'Debian package mirrors of the Hetzner debian image',
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
      purpose: 'Matrix federation: other homeservers Synapse exchanges events and keys with (HTTPS, ports 443 and 8448)',
      contactedBy: 'Synapse',
      derivedFrom: '`federation_domain_whitelist` in synapse/homeserver.yaml',
    });
    list.push({
      endpoint: 'push gateways registered by users’ mobile apps',
      purpose: 'Push notifications; the app vendor’s gateway (for Element’s apps, Element’s) forwards them to Apple or Google',
      contactedBy: 'Synapse (its egress policy allows HTTPS to public addresses)',
      derivedFrom: 'Synapse pusher behaviour; `allow-synapse-egress` network policy',
    });
    const stray = strayUrls(synth);
    for (const { url, file } of stray) {
      list.push({ endpoint: url, purpose: 'URL in a rendered configuration', contactedBy: 'see the file', derivedFrom: file });
    }
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
        if (own.has(host) || !host.includes('.')) continue;
        found.push({ url, file: `${service}/${file}` });
      }
    }
  }
  return found;
}

// --- security controls ----------------------------------------------------------------------

function controls(synth: Synthesized, workloads: readonly WorkloadFact[], rts: readonly RouteFact[]): ControlFact[] {
  const list: ControlFact[] = [];
  const add = (area: string, control: string, at: string) => list.push({ area, control, where: at });
  const homeserverText = renderedFromJson(synth, 'synapse', 'homeserver.yaml');
  const synapseCm = configMapOf(synth, 'synapse');
  if (homeserverText && synapseCm) {
    const hs = YAML.parse(homeserverText) as Record<string, any>;
    const at = `synapse/homeserver.yaml in ${where(synapseCm)}`;
    const wl = hs.federation_domain_whitelist as string[] | undefined;
    add(
      'Federation',
      wl === undefined
        ? 'Open: any Matrix server may federate (`federation_domain_whitelist` absent)'
        : wl.length === 0
          ? 'Closed: `federation_domain_whitelist: []` blocks every remote server'
          : `Allow list: only ${wl.join(', ')} (\`federation_domain_whitelist\`)`,
      at,
    );
    add('Federation', `Public room directory over federation: ${onOff(hs.allow_public_rooms_over_federation)}; without login: ${onOff(hs.allow_public_rooms_without_auth)}`, at);
    const tks = hs.trusted_key_servers as unknown[] | undefined;
    add(
      'Federation',
      tks && tks.length === 0 ? 'No trusted key servers (no matrix.org notary): keys are fetched from each server itself' : `Trusted key servers: ${JSON.stringify(tks ?? 'matrix.org (default)')}`,
      at,
    );
    add('Accounts', `Registration in Synapse: ${onOff(hs.enable_registration)}; password login in Synapse: ${onOff(hs.password_config?.enabled)}; 3PID changes: ${onOff(hs.enable_3pid_changes)}`, at);
    add('Accounts', `Guest access: ${onOff(hs.allow_guest_access)}`, at);
    const mas = hs.matrix_authentication_service as Record<string, any> | undefined;
    const masDeployed = workloads.some((w) => w.images.some((i) => splitImage(i).repository === 'ghcr.io/element-hq/matrix-authentication-service'));
    add(
      'Identity',
      mas?.enabled
        ? `Authentication delegated to Matrix Authentication Service (\`matrix_authentication_service\`, endpoint \`${String(mas.endpoint)}\`); identity mode \`${synth.spec.identity.mode}\`. ${
            masDeployed ? 'MAS runs in the apps stack.' : 'The MAS workload is not yet deployed by this version of the kit: logins do not work until it is.'
          }`
        : 'Synapse handles logins itself (no MAS)',
      at,
    );
    add('Privacy', `URL previews: ${onOff(hs.url_preview_enabled)}; profile lookups need login: ${onOff(hs.require_auth_for_profile_requests)}, limited to users sharing a room: ${onOff(hs.limit_profile_requests_to_users_who_share_rooms)}`, at);
    add('Privacy', `Usage statistics to matrix.org (\`report_stats\`): ${onOff(hs.report_stats)}`, at);
    const secretKeys = secretValuedKeys(hs);
    add(
      'Secrets',
      secretKeys.length === 0
        ? `No secret in homeserver.yaml: ${Object.keys(hs).filter((k) => k.endsWith('_path') && /secret/.test(k)).map((k) => `\`${k}\``).join(', ')} name files mounted from Kubernetes Secrets; the database password comes from the environment`
        : `homeserver.yaml contains secret settings: ${secretKeys.join(', ')}`,
      at,
    );
  }
  const passwords = resourcesOf(synth, 'random_password');
  const secrets = kubeObjects(synth, 'Secret');
  if (passwords.length > 0) {
    add(
      'Secrets',
      `${passwords.length} secrets generated at apply time by \`random_password\` (${[...new Set(passwords.map((p) => String(p.body.length)))].join('/')} characters), stored only in Terraform state and ${secrets.length} Kubernetes Secrets`,
      passwords.map((p) => `\`${p.address}\``).join(', '),
    );
  }
  const server = hetznerServer(synth);
  if (server) {
    const userData = String(server.body.user_data);
    if (userData.includes('secrets-encryption')) add('Secrets', 'Kubernetes Secrets encrypted at rest in the k3s datastore (`secrets-encryption: true`)', `${where(server)} user_data: /etc/rancher/k3s/config.yaml`);
    if (userData.includes('"ssh_pwauth":false') && userData.includes('PasswordAuthentication no')) {
      add('Node', 'SSH: keys only (password and keyboard-interactive login off), root only with a key', `${where(server)} user_data`);
    }
    if (userData.includes('169.254.169.254')) add('Node', 'Pods cannot reach the metadata service (which serves the user data with the CA keys): iptables drop from the pod network', `${where(server)} user_data`);
    if (userData.includes('unattended-upgrades')) add('Node', 'Unattended security upgrades of the operating system', `${where(server)} user_data`);
    add('Node', `Delete protection on the data volume and both primary IPs; the server shuts down cleanly before deletion (\`shutdown_before_deletion: ${String(server.body.shutdown_before_deletion)}\`)`, resourcesOf(synth, 'hcloud_volume', 'hcloud_primary_ip').filter((r) => r.body.delete_protection).map((r) => `\`${r.address}\``).join(', '));
  }
  for (const fw of resourcesOf(synth, 'hcloud_firewall')) {
    const rules = (fw.body.rule ?? []) as Record<string, any>[];
    const restricted = rules.filter((r) => !ANYWHERE.every((a) => ((r.source_ips ?? []) as string[]).includes(a)));
    add(
      'Network',
      `Cloud firewall: inbound allowed only by ${rules.length} rules, everything else dropped; ${restricted.map((r) => `${r.protocol}/${r.port}`).join(', ') || 'no port'} only from ${[...new Set(restricted.flatMap((r) => r.source_ips as string[]))].join(', ') || '—'}`,
      where(fw),
    );
  }
  const nps = kubeObjects(synth, 'NetworkPolicy');
  const deny = nps.find((np) => (np.manifest.spec?.policyTypes ?? []).length === 2 && !np.manifest.spec?.ingress && !np.manifest.spec?.egress);
  if (deny) add('Network', `Default deny of all ingress and egress in the namespace, then ${nps.length - 1} allow policies (see Network exposure)`, where(deny));
  const ingress = kubeObjects(synth, 'Ingress')[0];
  if (ingress) {
    const synapsePaths = rts.filter((r) => r.service === 'synapse').map((r) => `\`${r.path}\``);
    add('Network', `Only ${synapsePaths.join(' and ')} of Synapse are routed publicly: the admin API (/_synapse/admin), /_synapse/mas and metrics are not`, where(ingress));
    const tlsHosts = ((ingress.manifest.spec?.tls ?? []) as Record<string, any>[]).flatMap((t) => t.hosts as string[]);
    const annotations = (ingress.manifest.metadata?.annotations ?? {}) as Record<string, string>;
    const source = annotations['traefik.ingress.kubernetes.io/router.tls.certresolver']
      ? `Traefik certificate resolver \`${annotations['traefik.ingress.kubernetes.io/router.tls.certresolver']}\``
      : annotations['cert-manager.io/cluster-issuer']
        ? `cert-manager ClusterIssuer \`${annotations['cert-manager.io/cluster-issuer']}\``
        : annotations['cert-manager.io/issuer']
          ? `cert-manager Issuer \`${annotations['cert-manager.io/issuer']}\``
          : 'no certificate source named (the ingress controller’s default certificate)';
    add('TLS', `HTTPS on every public hostname (${tlsHosts.join(', ')}), certificates from the ${source}`, where(ingress));
  }
  const traefik = traefikConfig(synth);
  if (traefik) {
    const redirect = traefik.values.ports?.web?.http?.redirections?.entryPoint;
    add('TLS', `ACME (${acmeServerOf(synth)}) with HTTP-01 challenges, contact ${traefikArgument(synth, 'acme.email')}; HTTP is redirected to HTTPS${redirect?.permanent ? ' permanently' : ''}`, where(traefik.resource));
  }
  const turnText = renderedFromJson(synth, 'coturn', 'turnserver.conf');
  const turnCm = configMapOf(synth, 'coturn');
  if (turnText && turnCm) {
    const denied = (turnText.match(/^denied-peer-ip=/gm) ?? []).length;
    const at = `coturn/turnserver.conf in ${where(turnCm)}`;
    add('TURN', `Time-limited credentials only (${/^use-auth-secret$/m.test(turnText) ? '`use-auth-secret`, shared secret from a Kubernetes Secret' : 'no shared-secret authentication'}); relay range ${turnText.match(/^min-port=(\d+)/m)?.[1]}-${turnText.match(/^max-port=(\d+)/m)?.[1]}`, at);
    add('TURN', `Relaying to ${denied} private, loopback, link-local and special-purpose ranges refused (\`denied-peer-ip\`); TCP relay ${/^no-tcp-relay$/m.test(turnText) ? 'off' : 'on'}; multicast peers ${/^no-multicast-peers$/m.test(turnText) ? 'off' : 'on'}`, at);
  }
  const elementText = renderedFromJson(synth, 'element-web', 'config.json');
  const elementCm = configMapOf(synth, 'element-web');
  if (elementText && elementCm) {
    const el = JSON.parse(elementText) as Record<string, any>;
    const off = Object.entries((el.setting_defaults ?? {}) as Record<string, boolean>)
      .filter(([, v]) => v === false)
      .map(([k]) => k.replace(/^UIFeature\./, ''));
    add(
      'Web client',
      `Element Web talks only to this homeserver (custom servers ${el.disable_custom_urls ? 'disabled' : 'allowed'}, guests ${el.disable_guests ? 'off' : 'on'}, integration manager ${el.integrations_ui_url === null ? 'off' : 'on'}, no analytics or bug-report endpoint); hidden: ${off.join(', ')}`,
      `element-web/config.json in ${where(elementCm)}`,
    );
  }
  for (const ns of kubeObjects(synth, 'Namespace')) {
    const labels = (ns.manifest.metadata?.labels ?? {}) as Record<string, string>;
    const level = labels['pod-security.kubernetes.io/enforce'];
    if (level) {
      add(
        'Pods',
        `Pod Security Admission \`${level}\` enforced in namespace ${ns.name}${level === 'privileged' ? ' (coturn needs host networking for relaying; warns at `baseline`)' : ''}`,
        where(ns),
      );
    }
  }
  const containers = workloads.flatMap((w) => containersOf(w.object));
  const hardened = containers.filter((c) => {
    const sc = c.securityContext ?? {};
    return sc.runAsNonRoot === true && sc.readOnlyRootFilesystem === true && sc.allowPrivilegeEscalation === false && (sc.capabilities?.drop ?? []).includes('ALL');
  });
  add(
    'Pods',
    `${hardened.length} of ${containers.length} containers run as non-root with a read-only root filesystem, no privilege escalation and all capabilities dropped; service account tokens not mounted in ${
      workloads.filter((w) => w.object.manifest.spec?.template?.spec?.automountServiceAccountToken === false).length
    } of ${workloads.length} workloads`,
    workloads.map((w) => `\`${w.object.address}\``).join(', '),
  );
  const backend = synth.stacks.map((s) => Object.keys(s.json.terraform?.backend ?? {})[0]).filter(Boolean);
  add('State', `Terraform state in the \`${[...new Set(backend)].join(', ')}\` backend: it holds the generated secrets and CA keys (sensitive); keep it encrypted and access-controlled`, 'every stack (terraform.backend)');
  return list;
}

/** Keys at any depth that hold a secret value inline (a string under a secret-like name, not a `_path`). */
function secretValuedKeys(value: unknown, prefix = ''): string[] {
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'string' && /(secret|password|_key)$/.test(k) && !k.endsWith('_path')) return [key];
    return secretValuedKeys(v, key);
  });
}

function onOff(value: unknown): string {
  return value === true ? 'on' : value === false ? 'off' : `not set (${JSON.stringify(value)})`;
}

// --- cost, sizing, state, backups -----------------------------------------------------------

export function costOf(synth: Synthesized, live?: LivePrices): CostFact | undefined {
  const server = hetznerServer(synth);
  const volume = resourcesOf(synth, 'hcloud_volume')[0];
  if (!server || !volume) return undefined;
  const type = String(server.body.server_type);
  const size = Number(volume.body.size);
  const location = String(server.body.location);
  if (!live) {
    const lines = hetznerMonthlyCost(type, size);
    return {
      lines,
      total: totalMonthly(lines),
      location,
      source: `Price table in src/pricing/hetzner.ts: ${HETZNER_PRICES.source}; prices effective ${HETZNER_PRICES.effective}, checked ${HETZNER_PRICES.checked}. Net ${HETZNER_PRICES.currency} per month, excluding VAT; ${HETZNER_PRICES.includedTrafficTB} TB traffic included, then ${HETZNER_PRICES.currency} ${HETZNER_PRICES.extraTrafficPerTB.toFixed(2)} per TB.`,
    };
  }
  const lines = live.costLines(type, size, location);
  return { lines, total: totalMonthly(lines), location, source: live.source };
}

function sizing(synth: Synthesized, workloads: readonly WorkloadFact[]): SizingFact {
  const spec = synth.spec;
  const p = spec.size;
  const requests = (name: string) => {
    const c = workloads.find((w) => w.name === name)?.object.manifest.spec?.template?.spec?.containers?.[0];
    return c ? `${String(c.resources?.requests?.cpu)} CPU, ${String(c.resources?.requests?.memory)} memory requested` : 'not deployed';
  };
  const rows: [string, string][] = [
    ['Users', `${p.users.min.toLocaleString('en')}–${p.users.max.toLocaleString('en')} (profile \`${p.name}\`)`],
    ['Federation', `\`${spec.federation.mode}\`: how open federation is drives load as much as user count (large federated rooms dominate)`],
    ['Synapse (Element ESS sizing)', `${p.synapse.cpu} vCPU, ${p.synapse.memoryGiB} GiB; deployed: ${requests('synapse')}`],
    ['PostgreSQL (Element ESS sizing)', `${p.postgres.cpu} vCPU, ${p.postgres.memoryGiB} GiB; deployed: ${requests('postgres')}`],
  ];
  const need = nodeRequirement(p.synapse, p.postgres);
  const server = hetznerServer(synth);
  if (server) {
    const chosen = String(server.body.server_type);
    const t = serverTypeOf(chosen);
    rows.push(['Node requirement', `${need.cpu} vCPU, ${need.memoryGiB} GiB: Synapse + PostgreSQL + 2 vCPU / 4 GiB for k3s, Traefik, MAS, Keycloak, Element Web and coturn`]);
    rows.push([
      'Hetzner server',
      `\`${chosen}\`${t ? ` (${t.cpu} vCPU ${t.vcpu}, ${t.memoryGiB} GB, ${t.arch})` : ''}: ${
        chosen === p.hetznerServerType
          ? p.name === 'small'
            ? 'the smallest cost-optimised shared type (cx line) that holds the node requirement'
            : 'the smallest dedicated-vCPU type (ccx line) that holds the node requirement; Synapse’s event persistence is CPU-bound and noisy neighbours show as message latency'
          : `set by target.hetzner.server_type (the profile would choose \`${p.hetznerServerType}\`)`
      }`,
    ]);
    const volume = resourcesOf(synth, 'hcloud_volume')[0];
    if (volume) rows.push(['Data volume', `${String(volume.body.size)} GiB (profile default ${p.volumeSizeGiB} GiB): PostgreSQL 40 %, media 50 %, the rest headroom`]);
  } else {
    rows.push(['Cluster capacity', `at least ${need.cpu} vCPU and ${need.memoryGiB} GiB schedulable for this deployment (Synapse + PostgreSQL + 2 vCPU / 4 GiB for the rest); the cluster is the operator’s`]);
  }
  return { profile: p.name, users: `${p.users.min}-${p.users.max}`, federation: spec.federation.mode, rows };
}

function stateFacts(synth: Synthesized): string[] {
  return synth.stacks.map((s) => {
    const [kind, config] = Object.entries(s.json.terraform?.backend ?? {})[0] ?? ['none', {}];
    const path = (config as Record<string, unknown>).path;
    if (kind === 'local') {
      return `\`${s.name}\`: local backend, file \`${String(path)}\` in the stack’s state directory on the machine that runs \`deploy\`; it never leaves that machine unless the operator copies it`;
    }
    const c = config as Record<string, any>;
    if (kind === 's3') {
      return `\`${s.name}\`: S3-compatible bucket \`${String(c.bucket)}\`, object \`${String(c.key)}\` at ${String(c.endpoints?.s3 ?? c.endpoint ?? 'AWS')} (region \`${String(c.region)}\`); credentials from the environment at init`;
    }
    return `\`${s.name}\`: \`${kind}\` backend`;
  });
}

// --- assembly -------------------------------------------------------------------------------

export function deriveFacts(synth: Synthesized, options: { live?: LivePrices } = {}): ReferenceFacts {
  const spec = synth.spec;
  const workloads = workloadsOf(synth);
  const fw = firewall(synth);
  const rts = routes(synth);
  const target = spec.target.kind;
  const server = hetznerServer(synth);
  const summary: [string, string][] = [
    ['Deployment', `\`${spec.name}\``],
    ['Matrix server name', spec.serverName],
    [
      'Runs on',
      server
        ? `Hetzner Cloud, ${String(server.body.location)} (${HETZNER_LOCATIONS[String(server.body.location)]?.city ?? '?'}, ${HETZNER_LOCATIONS[String(server.body.location)]?.country ?? '?'}), one \`${String(server.body.server_type)}\` server with k3s`
        : `an existing Kubernetes cluster (kubeconfig context \`${spec.target.kind === 'kubernetes' ? spec.target.context : ''}\`)`,
    ],
    ['Size profile', `\`${spec.size.name}\` (${spec.size.users.min.toLocaleString('en')}–${spec.size.users.max.toLocaleString('en')} users)`],
    ['Federation', `\`${spec.federation.mode}\``],
    ['Identity', `\`${spec.identity.mode}\` (Matrix Authentication Service in front of Synapse)`],
    ['Calls (TURN)', spec.calls.turn ? `on, relay ports ${spec.calls.relayPorts.min}-${spec.calls.relayPorts.max}/udp` : 'off'],
    ['Stacks', synth.stacks.map((s) => `\`${s.name}\``).join(', ')],
    ...(spec.registryMirror ? [['Container images', `pulled through the registry mirror \`${spec.registryMirror}\` (\`registry_mirror\`)`] as [string, string]] : []),
  ];
  return {
    name: spec.name,
    serverName: spec.serverName,
    target,
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
  };
}
