import YAML from 'yaml';
import { AppsContext } from '../../../src/components/k8s/apps-context';
import { syncReplicas } from '../../../src/components/k8s/cloudnative-pg';
import { postgresServerSettings } from '../../../src/components/k8s/postgres';
import { postgresMaxConnections } from '../../../src/render/postgres';
import { namespaceName } from '../../../src/render/namespace';
import type { DeploymentSpec } from '../../../src/config/spec';
import { CNPG_YAML, specOf } from '../../helpers';
import { containers, type Json, manifests, objects, podSpecs, resources, synth, selects } from './helpers';

/** CNPG_YAML with Keycloak, so that all three database clients are there. */
const KEYCLOAK = `${CNPG_YAML}identity:\n  mode: keycloak\n`;
const spec = specOf(KEYCLOAK);
const json = synth(spec);
const ns = namespaceName(spec);
const cluster = objects(json, 'Cluster').postgres!;

describe('CloudNativePG Cluster', () => {
  it('is one Cluster of the chosen instances, each on its own node, in the deployment namespace', () => {
    expect(cluster.apiVersion).toBe('postgresql.cnpg.io/v1');
    expect(cluster.metadata.namespace).toBe(ns);
    expect(cluster.spec.instances).toBe(3);
    expect(cluster.spec.affinity).toEqual({ enablePodAntiAffinity: true, podAntiAffinityType: 'required', topologyKey: 'kubernetes.io/hostname' });
    expect(objects(synth(specOf(CNPG_YAML.replace('instances: 3', 'instances: 5'))), 'Cluster').postgres!.spec.instances).toBe(5);
  });

  it('keeps one synchronous standby: required from three instances, preferred with two', () => {
    expect([cluster.spec.minSyncReplicas, cluster.spec.maxSyncReplicas]).toEqual([1, 1]);
    expect(syncReplicas(2)).toEqual([0, 1]);
    expect(syncReplicas(9)).toEqual([1, 1]);
    // CloudNativePG refuses maxSyncReplicas >= instances; every allowed instance count passes.
    for (let n = 2; n <= 9; n++) expect(syncReplicas(n)[1]).toBeLessThan(n);
  });

  it('initialises the database in UTF8 with C collation and ctype (Synapse refuses anything else)', () => {
    expect(cluster.spec.bootstrap).toEqual({ initdb: { encoding: 'UTF8', localeCollate: 'C', localeCType: 'C' } });
  });

  it("runs CloudNativePG's operand image of the bundled PostgreSQL's release, and follows a version override", () => {
    const bundled = new AppsContext(spec, {}).image.postgres.split(':')[1]!;
    expect(cluster.spec.imageName).toBe(`ghcr.io/cloudnative-pg/postgresql:${bundled}-standard-trixie`);
    const overridden = objects(synth(specOf(`${CNPG_YAML}versions:\n  postgres: '17.10'\n`)), 'Cluster').postgres!;
    expect(overridden.spec.imageName).toBe('ghcr.io/cloudnative-pg/postgresql:17.10-standard-trixie');
  });

  it('sizes storage and resources as the bundled PostgreSQL', () => {
    const context = new AppsContext(spec, {});
    expect(cluster.spec.storage).toEqual({ size: `${context.volumeGiB(0.4)}Gi` });
    expect(objects(synth(specOf(CNPG_YAML.replace('context: prod\n', 'context: prod\n    storage_class: fast\n'))), 'Cluster').postgres!.spec.storage.storageClass).toBe('fast');
    expect(cluster.spec.resources.requests.memory).toMatch(/^\d+(Mi|Gi)$/);
    expect(cluster.spec.resources.limits.memory).toMatch(/^\d+(Mi|Gi)$/);
  });

  it("logs the superuser in with the kit's Secret (username postgres), and no password is in the synthesized JSON", () => {
    expect(cluster.spec.enableSuperuserAccess).toBe(true);
    expect(cluster.spec.superuserSecret).toEqual({ name: 'postgres-superuser' });
    const secret = manifests(json).find((m) => m.kind === 'Secret' && m.metadata.name === 'postgres-superuser')!;
    expect(Buffer.from(secret.data.username, 'base64').toString()).toBe('postgres');
    // The password is a reference to a value generated at apply time, never a literal.
    expect(secret.data.password).toMatch(/^\$\{base64encode\(random_password\.[\w-]+\.result\)\}$/);
    const passwords = Object.values(resources(json, 'random_password')).length;
    expect(passwords).toBeGreaterThan(0);
    expect(JSON.stringify(cluster)).not.toMatch(/password/i);
  });

  it('replaces the bundled StatefulSet, its claim and exporter; the init scripts stay for the apps', () => {
    // Only the bundled monitoring's Prometheus remains a StatefulSet with a claim of its own.
    expect(Object.keys(objects(json, 'StatefulSet'))).toEqual(['prometheus']);
    expect(Object.keys(objects(json, 'PersistentVolumeClaim')).filter((n) => n.includes('postgres'))).toEqual([]);
    const images = podSpecs(json).flatMap(([, pod]) => containers(pod).map((c) => c.image));
    expect(images.filter((i) => /postgres-exporter|pgbackrest/.test(i))).toEqual([]);
    expect(Object.keys(objects(json, 'ConfigMap')['postgres-config']!.data)).toEqual(expect.arrayContaining(['init-synapse.sql', 'init-mas.sql', 'init-keycloak.sql']));
  });

  it("sets PostgreSQL's parameters from the same settings as the bundled pod: max_connections holds every client's pool", () => {
    expect(cluster.spec.postgresql).toEqual({ parameters: postgresServerSettings(spec) });
    // Keycloak's pool of 100 alone takes this deployment past PostgreSQL's default of 100.
    expect(postgresMaxConnections(spec)).toBeGreaterThan(100);
    expect(cluster.spec.postgresql.parameters.max_connections).toBe(String(postgresMaxConnections(spec)));
  });
});

/** The labels CloudNativePG 1.30 gives an instance pod (pkg/specs/pods.go, pkg/utils/labels_annotations.go). */
const instance = (role: 'primary' | 'replica') => ({
  'cnpg.io/cluster': 'postgres',
  'cnpg.io/instanceRole': role,
  role,
  'cnpg.io/podRole': 'instance',
  'app.kubernetes.io/name': 'postgresql',
  'app.kubernetes.io/instance': 'postgres',
});

describe('the database host of every app', () => {
  const hosts = databaseHosts(spec, json);

  it('is named in Synapse, MAS, Keycloak and each database init container', () => {
    expect(Object.keys(hosts).sort()).toEqual(['keycloak', 'keycloak init', 'mas', 'mas init', 'synapse', 'synapse init']);
  });

  it("is a Service on 5432 that selects the primary and never a replica, so failover moves it", () => {
    const services = objects(json, 'Service');
    for (const [app, host] of Object.entries(hosts)) {
      const service = services[host];
      expect({ app, service: service?.metadata.namespace }).toEqual({ app, service: ns });
      expect(service!.spec.ports[0]).toEqual({ name: 'main', port: 5432, targetPort: 5432, protocol: 'TCP' });
      expect(selects({ matchLabels: service!.spec.selector }, instance('primary'))).toBe(true);
      expect(selects({ matchLabels: service!.spec.selector }, instance('replica'))).toBe(false);
    }
  });
});

describe('network policies with CloudNativePG', () => {
  const policies = Object.values(objects(json, 'NetworkPolicy'));
  const kit = (component: string): Pod => ({ ns, labels: { 'app.kubernetes.io/name': component, 'app.kubernetes.io/instance': spec.name } });
  const primary: Pod = { ns, labels: instance('primary') };
  const replica: Pod = { ns, labels: instance('replica') };
  const operator: Pod = { ns: 'cnpg-system', labels: { 'app.kubernetes.io/name': 'cloudnative-pg' } };
  const elsewhere: Pod = { ns: 'other', labels: { 'app.kubernetes.io/name': 'anything' } };
  const everyone: Record<string, Pod> = {
    synapse: kit('synapse'),
    mas: kit('mas'),
    keycloak: kit('keycloak'),
    'element-web': kit('element-web'),
    'well-known': kit('well-known'),
    prometheus: kit('prometheus'),
    replica,
    operator,
    elsewhere,
  };
  const admitted = (port: number) =>
    Object.entries(everyone)
      .filter(([, from]) => connects(policies, from, primary, port))
      .map(([name]) => name)
      .sort();

  it('admits exactly the database clients, the other instances and the operator to PostgreSQL', () => {
    expect(admitted(5432)).toEqual(['keycloak', 'mas', 'operator', 'replica', 'synapse']);
  });

  it("admits only the other instances and the operator to the instance manager's status port", () => {
    expect(admitted(8000)).toEqual(['operator', 'replica']);
  });

  it('admits only the scraper to the metrics port (9187)', () => {
    expect(admitted(9187)).toEqual(['prometheus']);
  });

  it('lets the instances reach the Kubernetes API on 443 and 6443 and each other, and nothing else outside', () => {
    const api = { ip: '10.0.0.1' };
    expect(egress(policies, primary, api, 6443)).toBe(true);
    expect(egress(policies, replica, api, 443)).toBe(true);
    expect(egress(policies, primary, { ip: '203.0.113.9' }, 5432)).toBe(false);
    expect(egress(policies, replica, primary, 5432)).toBe(true);
    expect(egress(policies, primary, replica, 8000)).toBe(true);
    expect(egress(policies, primary, kit('synapse'), 8008)).toBe(false);
  });

  it('gives no other pod egress to the Kubernetes API', () => {
    for (const component of ['synapse', 'mas', 'keycloak', 'element-web', 'well-known']) expect(egress(policies, kit(component), { ip: '10.0.0.1' }, 6443)).toBe(false);
  });
});

interface Pod {
  readonly ns: string;
  readonly labels: Record<string, string>;
}
type Destination = Pod | { readonly ip: string };


/** Whether a policy peer matches a destination or source, as the NetworkPolicy API defines it (namespace by its name label). */
function peerMatches(peer: Json, policyNs: string, other: Destination): boolean {
  if ('ip' in other) return peer.ipBlock !== undefined && ipInBlock(other.ip, peer.ipBlock);
  if (peer.ipBlock !== undefined) return false;
  const nsOk = peer.namespaceSelector === undefined ? other.ns === policyNs : selects(peer.namespaceSelector, { 'kubernetes.io/metadata.name': other.ns });
  const podOk = peer.podSelector === undefined ? true : selects(peer.podSelector, other.labels);
  return nsOk && podOk;
}

function ipInBlock(ip: string, block: Json): boolean {
  if (ip.includes(':') !== block.cidr.includes(':')) return false;
  const toInt = (a: string) => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
  const inCidr = (cidr: string) => {
    const [base, bits] = cidr.split('/');
    const mask = Number(bits) === 0 ? 0 : 2 ** 32 - 2 ** (32 - Number(bits));
    return (toInt(ip) & mask) >>> 0 === (toInt(base!) & mask) >>> 0;
  };
  return inCidr(block.cidr) && !((block.except ?? []) as string[]).some(inCidr);
}

const portOk = (rule: Json, port: number) => rule.ports === undefined || rule.ports.some((p: Json) => p.port === port);

/** Whether the destination pod's policies admit `from` on `port` (all policies live in the deployment namespace). */
function ingress(policies: Json[], from: Pod, to: Pod, port: number): boolean {
  const selecting = policies.filter((p) => p.metadata.namespace === to.ns && p.spec.policyTypes.includes('Ingress') && selects(p.spec.podSelector, to.labels));
  if (selecting.length === 0) return true;
  return selecting.some((p) => ((p.spec.ingress ?? []) as Json[]).some((r) => portOk(r, port) && (r.from === undefined || r.from.some((peer: Json) => peerMatches(peer, p.metadata.namespace, from)))));
}

/** Whether the source pod's policies let it out to `to` on `port`; pods outside the namespace have none of the kit's. */
function egress(policies: Json[], from: Pod, to: Destination, port: number): boolean {
  const selecting = policies.filter((p) => p.metadata.namespace === from.ns && p.spec.policyTypes.includes('Egress') && selects(p.spec.podSelector, from.labels));
  if (selecting.length === 0) return true;
  return selecting.some((p) => ((p.spec.egress ?? []) as Json[]).some((r) => portOk(r, port) && (r.to === undefined || r.to.some((peer: Json) => peerMatches(peer, p.metadata.namespace, to)))));
}

function connects(policies: Json[], from: Pod, to: Pod, port: number): boolean {
  return egress(policies, from, to, port) && ingress(policies, from, to, port);
}

/** Each app's database host: from its rendered configuration and from its database init container's `psql -h`. */
function databaseHosts(s: DeploymentSpec, stack: Json): Record<string, string> {
  const files = new AppsContext(s, {}).files;
  const file = (path: string) => files.find((f) => f.path === path)!.content;
  const hosts: Record<string, string> = {
    synapse: YAML.parse(file('synapse/homeserver.yaml')).database.args.host,
    mas: YAML.parse(file('mas/config.yaml')).database.host,
    keycloak: /^KC_DB_URL_HOST=(.*)$/m.exec(file('keycloak/keycloak.env'))![1]!,
  };
  for (const [name, pod] of podSpecs(stack)) {
    for (const c of (pod.initContainers ?? []) as Json[]) {
      if (c.name === 'database') hosts[`${name} init`] = c.command[c.command.indexOf('-h') + 1];
    }
  }
  return hosts;
}
