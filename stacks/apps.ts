import { createHash } from 'node:crypto';
import { TerraformVariable } from 'cdktf';
import type { Construct } from 'constructs';
import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { DeploymentV1 } from '@cdktf/provider-kubernetes/lib/deployment-v1';
import { IngressV1 } from '@cdktf/provider-kubernetes/lib/ingress-v1';
import { Manifest } from '@cdktf/provider-kubernetes/lib/manifest';
import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import { NetworkPolicyV1 } from '@cdktf/provider-kubernetes/lib/network-policy-v1';
import { PersistentVolumeClaimV1 } from '@cdktf/provider-kubernetes/lib/persistent-volume-claim-v1';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { SecretV1 } from '@cdktf/provider-kubernetes/lib/secret-v1';
import { ServiceV1 } from '@cdktf/provider-kubernetes/lib/service-v1';
import { StatefulSetV1 } from '@cdktf/provider-kubernetes/lib/stateful-set-v1';
import { Password } from '@cdktf/provider-random/lib/password';
import { RandomProvider } from '@cdktf/provider-random/lib/provider';
import {
  componentLabels,
  containerSecurityContext,
  POD_DEFAULTS,
  podSecurityContext,
  resources,
  secretFileMounts,
  selectorLabels,
  substitutePlaceholders,
  type SecretFile,
} from '../src/components/k8s/workload';
import type { DeploymentSpec } from '../src/config/spec';
import { PORTS } from '../src/ports';
import { renderAll } from '../src/render';
import { COTURN_CERT_PATH, COTURN_ENV, COTURN_KEY_PATH } from '../src/render/coturn';
import type { RenderedFile } from '../src/render/files';
import { SYNAPSE_PASSWORD_VARIABLE } from '../src/render/postgres';
import { SYNAPSE_PATHS, SYNAPSE_SECRET_FILES, SYNAPSE_UPSTREAMS } from '../src/render/synapse';
import { SYNAPSE_TURN_SECRET_PATH } from '../src/render/turn';
import { WELL_KNOWN_ROOT } from '../src/render/web-server';
import { images } from '../src/versions';
import { DeploymentStack } from './deployment-stack';

/** Unix IDs the images run as (from their Dockerfiles). */
const UID = { synapse: 991, postgres: 999, nginx: 101, coturn: 65534 } as const;

/** The Traefik certificate resolver the apps stack configures on k3s and names on its Ingresses. */
export const CERT_RESOLVER = 'sovereign-matrix';

/**
 * The Matrix applications on Kubernetes. Cloud-independent: the same stack runs on the k3s node
 * of the Hetzner infrastructure stack and on any existing cluster. Every configuration file comes
 * from src/render (the same bytes `sovereign-matrix render` writes); every secret is generated at
 * apply time by hashicorp/random and lives only in Terraform state and Kubernetes Secrets.
 */
export class AppsStack extends DeploymentStack {
  readonly namespace: NamespaceV1;
  private readonly ns: string;
  private readonly files: readonly RenderedFile[];
  private readonly image: ReturnType<typeof images>;

  constructor(scope: Construct, spec: DeploymentSpec) {
    super(scope, spec, 'apps');
    this.configureKubernetes();
    new RandomProvider(this, 'random', {});
    this.ns = namespaceName(spec);
    this.files = renderAll(spec);
    this.image = images(spec.versions);

    this.namespace = new NamespaceV1(this, 'namespace', {
      metadata: {
        name: this.ns,
        labels: {
          ...this.labels,
          // Pod Security Admission: every pod here must meet the "restricted" profile.
          'pod-security.kubernetes.io/enforce': 'restricted',
          'pod-security.kubernetes.io/enforce-version': 'latest',
        },
      },
    });

    const secrets = this.generateSecrets();
    this.postgres();
    this.synapse();
    this.staticSite('element-web', this.image.elementWeb, 'element-web', '/app/config.json', 'config.json', PORTS.elementWeb, '/', {
      ELEMENT_WEB_PORT: String(PORTS.elementWeb),
    });
    this.staticSite('well-known', this.image.wellKnown, 'well-known', '/etc/nginx/conf.d', undefined, PORTS.wellKnown, '/healthz', {});
    this.ingress();
    this.networkPolicies();
    if (spec.calls.turn) this.coturn(secrets.turn);
    if (spec.target.kind === 'hetzner') this.traefikAcme();
  }

  /**
   * An existing cluster is reached through the operator's kubeconfig context. The k3s node built
   * by the infra stack is reached with the credentials that stack outputs; they are handed over as
   * sensitive variables (through the environment at apply time), so they never appear in the JSON.
   */
  private configureKubernetes(): void {
    const target = this.spec.target;
    if (target.kind === 'kubernetes') {
      new KubernetesProvider(this, 'kubernetes', {
        configPath: target.kubeconfig ?? '~/.kube/config',
        configContext: target.context,
      });
      return;
    }
    const variable = (id: string, description: string) =>
      new TerraformVariable(this, id, { type: 'string', sensitive: true, nullable: false, description }).stringValue;
    new KubernetesProvider(this, 'kubernetes', {
      host: variable('kube_host', 'Kubernetes API URL of the k3s node (infra stack output).'),
      clusterCaCertificate: variable('kube_cluster_ca_certificate', 'PEM CA certificate of the k3s API (infra stack output).'),
      clientCertificate: variable('kube_client_certificate', 'PEM client certificate for the kit (infra stack output).'),
      clientKey: variable('kube_client_key', 'PEM client key for the kit (infra stack output).'),
    });
  }

  /** Random secrets, created once and kept in state; each becomes a Kubernetes Secret. */
  private generateSecrets() {
    const secret = (id: string, data: Record<string, string>) =>
      new SecretV1(this, id, { metadata: { name: id, namespace: this.ns, labels: this.labels }, data, type: 'Opaque' });
    // Letters and digits only: the values pass through config files and shell substitution.
    const password = (id: string) => new Password(this, `${id}-value`, { length: 48, special: false }).result;

    secret('postgres-superuser', { password: password('postgres-superuser') });
    secret('synapse-database', { password: password('synapse-database') });
    secret('synapse-secrets', {
      'macaroon-secret-key': password('synapse-macaroon-secret-key'),
      'form-secret': password('synapse-form-secret'),
    });
    secret('mas-synapse-shared-secret', { 'synapse-shared-secret': password('mas-synapse-shared-secret') });
    const turn = password('turn-shared-secret');
    secret('turn-shared-secret', { 'shared-secret': turn });
    return { turn };
  }

  /** The rendered files of one service (`<service>/...`), keyed by file name. */
  private renderedFiles(service: string): Record<string, string> {
    const data = Object.fromEntries(
      this.files.filter((f) => f.path.startsWith(`${service}/`)).map((f) => [f.path.slice(service.length + 1), f.content]),
    );
    if (Object.keys(data).length === 0) throw new Error(`nothing rendered for ${service}`);
    return data;
  }

  /** The rendered files of one service as a ConfigMap, plus a digest that restarts pods when they change. */
  private configMap(service: string, namespace = this.ns): { name: string; digest: string } {
    const files = this.renderedFiles(service);
    const name = `${service}-config`;
    new ConfigMapV1(this, namespace === this.ns ? name : `${name}-${namespace}`, {
      metadata: { name, namespace, labels: this.labels },
      data: Object.fromEntries(Object.entries(files).map(([file, content]) => [file, literalForTerraform(content)])),
    });
    const digest = createHash('sha256').update(JSON.stringify(files)).digest('hex').slice(0, 16);
    return { name, digest };
  }

  private service(component: string, port: number, protocol = 'TCP'): void {
    new ServiceV1(this, `${component}-service`, {
      metadata: { name: component, namespace: this.ns, labels: componentLabels(this.spec.name, component) },
      spec: {
        selector: selectorLabels(this.spec.name, component),
        port: [{ name: 'main', port, targetPort: String(port), protocol }],
      },
    });
  }

  /** Where persistent volumes come from: the cluster default, or the deployment's StorageClass. */
  private get storageClass(): string | undefined {
    return this.spec.target.kind === 'kubernetes' ? this.spec.target.storageClass : 'local-path';
  }

  /** Volume budget split: PostgreSQL 40 %, media 50 %, the rest headroom. */
  private volumeGiB(share: number): string {
    const total = this.spec.target.kind === 'hetzner' ? this.spec.target.volumeSizeGiB : this.spec.size.volumeSizeGiB;
    return `${Math.max(1, Math.floor(total * share))}Gi`;
  }

  /**
   * PostgreSQL as a plain StatefulSet: one primary on one node is what the single-node profiles
   * need, it has no CRD to order around (the kubernetes_manifest plan-time pitfall), and its data
   * sits on the persistent volume. The Synapse role and database are created by Synapse's init
   * container from the rendered init-synapse.sql.
   */
  private postgres(): void {
    const component = 'postgres';
    this.service(component, PORTS.postgres);
    new StatefulSetV1(this, 'postgres', {
      metadata: { name: component, namespace: this.ns, labels: componentLabels(this.spec.name, component) },
      waitForRollout: true,
      spec: {
        serviceName: component,
        replicas: '1',
        selector: { matchLabels: selectorLabels(this.spec.name, component) },
        template: {
          metadata: { labels: componentLabels(this.spec.name, component) },
          spec: {
            ...POD_DEFAULTS,
            securityContext: podSecurityContext(UID.postgres),
            container: [
              {
                name: component,
                image: this.image.postgres,
                port: [{ name: 'postgres', containerPort: PORTS.postgres }],
                env: [
                  { name: 'POSTGRES_PASSWORD', valueFrom: { secretKeyRef: { name: 'postgres-superuser', key: 'password' } } },
                  // Template databases in UTF8 with C collation: what Synapse requires of its database.
                  { name: 'POSTGRES_INITDB_ARGS', value: '--encoding=UTF8 --locale=C' },
                  { name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' },
                ],
                resources: resources(this.spec.size.postgres),
                securityContext: containerSecurityContext(UID.postgres),
                volumeMount: [
                  { name: 'data', mountPath: '/var/lib/postgresql/data' },
                  { name: 'run', mountPath: '/var/run/postgresql' },
                  { name: 'tmp', mountPath: '/tmp' },
                ],
                readinessProbe: { exec: { command: ['pg_isready', '-U', 'postgres', '-h', '127.0.0.1'] }, periodSeconds: 10 },
                livenessProbe: { exec: { command: ['pg_isready', '-U', 'postgres', '-h', '127.0.0.1'] }, periodSeconds: 30, failureThreshold: 6 },
              },
            ],
            volume: [
              { name: 'run', emptyDir: {} },
              { name: 'tmp', emptyDir: {} },
            ],
          },
        },
        volumeClaimTemplate: [
          {
            metadata: { name: 'data' },
            spec: {
              accessModes: ['ReadWriteOnce'],
              storageClassName: this.storageClass,
              resources: { requests: { storage: this.volumeGiB(0.4) } },
            },
          },
        ],
      },
    });
  }

  private synapse(): void {
    const component = 'synapse';
    const config = this.configMap('synapse');
    const postgresInit = this.configMap('postgres');
    const media = new PersistentVolumeClaimV1(this, 'synapse-data', {
      metadata: { name: 'synapse-data', namespace: this.ns, labels: componentLabels(this.spec.name, component) },
      // A PVC that is still bound is never waited for; local-path binds on first use.
      waitUntilBound: false,
      spec: {
        accessModes: ['ReadWriteOnce'],
        storageClassName: this.storageClass,
        resources: { requests: { storage: this.volumeGiB(0.5) } },
      },
    });
    const secretFiles: SecretFile[] = [
      { secretName: 'synapse-secrets', key: 'macaroon-secret-key', path: SYNAPSE_SECRET_FILES.macaroonSecretKey },
      { secretName: 'synapse-secrets', key: 'form-secret', path: SYNAPSE_SECRET_FILES.formSecret },
      { secretName: 'mas-synapse-shared-secret', key: 'synapse-shared-secret', path: SYNAPSE_SECRET_FILES.masSharedSecret },
      ...(this.spec.calls.turn ? [{ secretName: 'turn-shared-secret', key: 'shared-secret', path: SYNAPSE_TURN_SECRET_PATH }] : []),
    ];
    const secrets = secretFileMounts(secretFiles);
    const dbPassword = { name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: 'synapse-database', key: 'password' } } };
    const mounts = [
      { name: 'config', mountPath: SYNAPSE_PATHS.config, readOnly: true },
      { name: 'data', mountPath: SYNAPSE_PATHS.data },
      { name: 'tmp', mountPath: '/tmp' },
      ...secrets.mounts,
    ];
    const homeserver = ['python', '-m', 'synapse.app.homeserver', '--config-path', `${SYNAPSE_PATHS.config}/homeserver.yaml`];
    this.service(component, PORTS.synapseHttp);
    new DeploymentV1(this, 'synapse', {
      metadata: { name: component, namespace: this.ns, labels: componentLabels(this.spec.name, component) },
      waitForRollout: true,
      spec: {
        replicas: '1',
        // One writer on a ReadWriteOnce volume: the old pod stops before the new one starts.
        strategy: { type: 'Recreate' },
        selector: { matchLabels: selectorLabels(this.spec.name, component) },
        template: {
          metadata: {
            labels: componentLabels(this.spec.name, component),
            // A changed homeserver.yaml restarts Synapse.
            annotations: { 'sovereign-matrix/config-digest': config.digest },
          },
          spec: {
            ...POD_DEFAULTS,
            securityContext: podSecurityContext(UID.synapse),
            initContainer: [
              {
                name: 'database',
                image: this.image.postgres,
                command: [
                  'psql',
                  '-v',
                  'ON_ERROR_STOP=1',
                  '-v',
                  `${SYNAPSE_PASSWORD_VARIABLE}=$(SYNAPSE_DB_PASSWORD)`,
                  '-h',
                  SYNAPSE_UPSTREAMS.postgres,
                  '-U',
                  'postgres',
                  '-f',
                  '/init/init-synapse.sql',
                ],
                env: [
                  { name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: 'postgres-superuser', key: 'password' } } },
                  { name: 'SYNAPSE_DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'synapse-database', key: 'password' } } },
                ],
                securityContext: containerSecurityContext(UID.synapse),
                volumeMount: [{ name: 'postgres-init', mountPath: '/init', readOnly: true }],
              },
              {
                // Creates the signing key on first start (on the persistent volume), then exits.
                name: 'generate-keys',
                image: this.image.synapse,
                command: [...homeserver, '--generate-keys'],
                env: [dbPassword],
                securityContext: containerSecurityContext(UID.synapse),
                volumeMount: mounts,
              },
            ],
            container: [
              {
                name: component,
                image: this.image.synapse,
                command: homeserver,
                env: [dbPassword],
                port: [
                  { name: 'http', containerPort: PORTS.synapseHttp },
                  { name: 'metrics', containerPort: PORTS.synapseMetrics },
                ],
                resources: resources(this.spec.size.synapse),
                securityContext: containerSecurityContext(UID.synapse),
                volumeMount: mounts,
                readinessProbe: { httpGet: { path: '/health', port: String(PORTS.synapseHttp) }, periodSeconds: 10 },
                livenessProbe: { httpGet: { path: '/health', port: String(PORTS.synapseHttp) }, periodSeconds: 30, failureThreshold: 5 },
                startupProbe: { httpGet: { path: '/health', port: String(PORTS.synapseHttp) }, periodSeconds: 10, failureThreshold: 60 },
              },
            ],
            volume: [
              { name: 'config', configMap: { name: config.name } },
              { name: 'postgres-init', configMap: { name: postgresInit.name } },
              { name: 'data', persistentVolumeClaim: { claimName: media.metadata.name } },
              { name: 'tmp', emptyDir: {} },
              ...secrets.volumes,
            ],
          },
        },
      },
    });
  }

  /** An nginx-based static site (Element Web, the well-known server) with its rendered files. */
  private staticSite(
    component: string,
    image: string,
    service: string,
    mountPath: string,
    subPath: string | undefined,
    port: number,
    probePath: string,
    env: Record<string, string>,
  ): void {
    const config = this.configMap(service);
    const wellKnownFiles =
      component === 'well-known'
        ? [
            { name: 'config', mountPath: `${WELL_KNOWN_ROOT}/server.json`, subPath: 'server.json', readOnly: true },
            { name: 'config', mountPath: `${WELL_KNOWN_ROOT}/client.json`, subPath: 'client.json', readOnly: true },
            { name: 'config', mountPath: `${mountPath}/default.conf`, subPath: 'nginx.conf', readOnly: true },
          ]
        : [{ name: 'config', mountPath, subPath, readOnly: true }, { name: 'conf-d', mountPath: '/etc/nginx/conf.d' }];
    this.service(component, port);
    new DeploymentV1(this, component, {
      metadata: { name: component, namespace: this.ns, labels: componentLabels(this.spec.name, component) },
      spec: {
        replicas: '1',
        selector: { matchLabels: selectorLabels(this.spec.name, component) },
        template: {
          metadata: { labels: componentLabels(this.spec.name, component), annotations: { 'sovereign-matrix/config-digest': config.digest } },
          spec: {
            ...POD_DEFAULTS,
            securityContext: podSecurityContext(UID.nginx),
            container: [
              {
                name: component,
                image,
                env: Object.entries(env).map(([name, value]) => ({ name, value })),
                port: [{ name: 'http', containerPort: port }],
                resources: resources({ cpu: 0.05, memoryGiB: 0.0625 }),
                securityContext: containerSecurityContext(UID.nginx),
                volumeMount: [
                  ...wellKnownFiles,
                  { name: 'tmp', mountPath: '/tmp' },
                  { name: 'cache', mountPath: '/var/cache/nginx' },
                  { name: 'run', mountPath: '/var/run' },
                ],
                readinessProbe: { httpGet: { path: probePath, port: String(port) }, periodSeconds: 10 },
                livenessProbe: { httpGet: { path: probePath, port: String(port) }, periodSeconds: 30 },
              },
            ],
            volume: [
              { name: 'config', configMap: { name: config.name } },
              { name: 'conf-d', emptyDir: {} },
              { name: 'tmp', emptyDir: {} },
              { name: 'cache', emptyDir: {} },
              { name: 'run', emptyDir: {} },
            ],
          },
        },
      },
    });
  }

  /**
   * Public routes. Synapse gets only /_matrix and /_synapse/client, never /_synapse/admin or
   * metrics; server_name serves the .well-known delegation; Element Web gets its own host.
   */
  private ingress(): void {
    const { hostnames, serverName } = this.spec;
    const backend = (name: string, port: number) => ({ service: { name, port: { number: port } } });
    const rules = [
      {
        host: hostnames.matrix,
        http: {
          path: ['/_matrix', '/_synapse/client'].map((path) => ({ path, pathType: 'Prefix', backend: backend('synapse', PORTS.synapseHttp) })),
        },
      },
      { host: serverName, http: { path: [{ path: '/', pathType: 'Prefix', backend: backend('well-known', PORTS.wellKnown) }] } },
      { host: hostnames.web, http: { path: [{ path: '/', pathType: 'Prefix', backend: backend('element-web', PORTS.elementWeb) }] } },
    ];
    const ingressClass = this.spec.target.kind === 'kubernetes' ? this.spec.target.ingressClass : 'traefik';
    new IngressV1(this, 'ingress', {
      metadata: {
        name: 'matrix',
        namespace: this.ns,
        labels: this.labels,
        annotations: {
          'traefik.ingress.kubernetes.io/router.entrypoints': 'websecure',
          'traefik.ingress.kubernetes.io/router.tls': 'true',
          'traefik.ingress.kubernetes.io/router.tls.certresolver': CERT_RESOLVER,
        },
      },
      spec: {
        ingressClassName: ingressClass,
        tls: [{ hosts: rules.map((r) => r.host) }],
        rule: rules,
      },
    });
  }

  /**
   * Default deny, then exactly the flows the stack needs: the ingress controller to the public
   * services, Synapse to PostgreSQL, everything to cluster DNS, and Synapse out to the internet
   * (federation where the mode allows it, and push gateways) but never to private ranges.
   */
  private networkPolicies(): void {
    const policy = (id: string, spec: Record<string, unknown>) =>
      new NetworkPolicyV1(this, `netpol-${id}`, { metadata: { name: id, namespace: this.ns, labels: this.labels }, spec: spec as never });
    const pods = (component: string) => ({ matchLabels: selectorLabels(this.spec.name, component) });
    const ingressController =
      this.spec.target.kind === 'hetzner'
        ? [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'traefik' } } }]
        : // On an existing cluster the ingress controller's namespace is the operator's choice.
          [{ namespaceSelector: {} }];
    policy('default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    policy('allow-dns', {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        {
          to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } } }],
          ports: [
            { port: '53', protocol: 'UDP' },
            { port: '53', protocol: 'TCP' },
          ],
        },
      ],
    });
    for (const [component, port] of [
      ['synapse', PORTS.synapseHttp],
      ['element-web', PORTS.elementWeb],
      ['well-known', PORTS.wellKnown],
    ] as const) {
      policy(`allow-ingress-${component}`, {
        podSelector: pods(component),
        policyTypes: ['Ingress'],
        ingress: [{ from: ingressController, ports: [{ port: String(port), protocol: 'TCP' }] }],
      });
    }
    policy('allow-postgres-from-synapse', {
      podSelector: pods('postgres'),
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ podSelector: pods('synapse') }], ports: [{ port: String(PORTS.postgres), protocol: 'TCP' }] }],
    });
    policy('allow-synapse-egress', {
      podSelector: pods('synapse'),
      policyTypes: ['Egress'],
      egress: [
        { to: [{ podSelector: pods('postgres') }], ports: [{ port: String(PORTS.postgres), protocol: 'TCP' }] },
        { to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': SYNAPSE_UPSTREAMS.mas } } }], ports: [{ port: String(PORTS.masHttp), protocol: 'TCP' }] },
        {
          to: [{ ipBlock: { cidr: '0.0.0.0/0', except: PRIVATE_IPV4 } }, { ipBlock: { cidr: '::/0', except: PRIVATE_IPV6 } }],
          ports: [
            { port: String(PORTS.https), protocol: 'TCP' },
            { port: '8448', protocol: 'TCP' },
          ],
        },
      ],
    });
  }

  /**
   * coturn needs the node's own address for relaying, so it runs with host networking in a
   * namespace of its own (host networking is outside the "restricted" pod security profile).
   * The firewall of the infra stack opens exactly its ports. Its rendered configuration carries
   * placeholders for the shared secret and the public address, filled in at container start.
   */
  private coturn(turnSecret: string): void {
    const turnNs = `${this.ns}-turn`;
    new NamespaceV1(this, 'turn-namespace', {
      metadata: {
        name: turnNs,
        labels: { ...this.labels, 'pod-security.kubernetes.io/enforce': 'privileged', 'pod-security.kubernetes.io/warn': 'baseline' },
      },
    });
    const config = this.configMap('coturn', turnNs);
    new SecretV1(this, 'turn-secret-for-coturn', {
      metadata: { name: 'turn-shared-secret', namespace: turnNs, labels: this.labels },
      data: { 'shared-secret': turnSecret },
    });
    const publicIpv4 = new TerraformVariable(this, 'turn_public_ipv4', {
      type: 'string',
      nullable: false,
      description: 'Public IPv4 address of the node that runs coturn (the infra stack output ipv4 on Hetzner).',
    });
    const component = 'coturn';
    new DeploymentV1(this, 'coturn', {
      metadata: { name: component, namespace: turnNs, labels: componentLabels(this.spec.name, component) },
      spec: {
        replicas: '1',
        strategy: { type: 'Recreate' },
        selector: { matchLabels: selectorLabels(this.spec.name, component) },
        template: {
          metadata: { labels: componentLabels(this.spec.name, component), annotations: { 'sovereign-matrix/config-digest': config.digest } },
          spec: {
            ...POD_DEFAULTS,
            hostNetwork: true,
            dnsPolicy: 'ClusterFirstWithHostNet',
            securityContext: podSecurityContext(UID.coturn),
            container: [
              {
                name: component,
                image: this.image.coturn,
                command: ['sh', '-c', `${substitutePlaceholders('/config/turnserver.conf', '/tmp/turnserver.conf')} && exec turnserver -c /tmp/turnserver.conf`],
                env: [
                  { name: COTURN_ENV.sharedSecret, valueFrom: { secretKeyRef: { name: 'turn-shared-secret', key: 'shared-secret' } } },
                  { name: COTURN_ENV.publicIpv4, value: publicIpv4.stringValue },
                ],
                resources: resources({ cpu: 0.25, memoryGiB: 0.25 }),
                securityContext: containerSecurityContext(UID.coturn),
                volumeMount: [
                  { name: 'config', mountPath: '/config', readOnly: true },
                  { name: 'tls', mountPath: COTURN_CERT_PATH.slice(0, COTURN_CERT_PATH.lastIndexOf('/')), readOnly: true },
                  { name: 'tmp', mountPath: '/tmp' },
                  { name: 'state', mountPath: '/var/lib/coturn' },
                ],
              },
            ],
            volume: [
              { name: 'config', configMap: { name: config.name } },
              {
                // The TURNS certificate: a kubernetes.io/tls Secret "turn-tls" for hostnames.turn. Optional: without it
                // coturn serves TURN over UDP and TCP and logs that TLS is off.
                name: 'tls',
                secret: {
                  secretName: 'turn-tls',
                  optional: true,
                  items: [
                    { key: 'tls.crt', path: COTURN_CERT_PATH.slice(COTURN_CERT_PATH.lastIndexOf('/') + 1) },
                    { key: 'tls.key', path: COTURN_KEY_PATH.slice(COTURN_KEY_PATH.lastIndexOf('/') + 1) },
                  ],
                },
              },
              { name: 'tmp', emptyDir: {} },
              { name: 'state', emptyDir: {} },
            ],
          },
        },
      },
    });
  }

  /**
   * k3s ships Traefik; this adds the ACME certificate resolver the Ingress names, with the
   * deployment's ACME server (an EU CA if configured) and contact, sends HTTP to HTTPS, and
   * stops Traefik from calling home.
   * HelmChartConfig is a k3s CRD present from the first boot, so it can be planned.
   */
  private traefikAcme(): void {
    const values = {
      // The chart's defaults ask traefik.io for new versions and send anonymous usage statistics.
      globalArguments: ['--global.checknewversion=false', '--global.sendanonymoususage=false'],
      ports: { web: { redirections: { entryPoint: { to: 'websecure', scheme: 'https', permanent: true } } } },
      persistence: { enabled: true },
      additionalArguments: [
        `--certificatesresolvers.${CERT_RESOLVER}.acme.caserver=${this.spec.tls.acmeServer}`,
        `--certificatesresolvers.${CERT_RESOLVER}.acme.email=${this.spec.tls.acmeEmail}`,
        `--certificatesresolvers.${CERT_RESOLVER}.acme.storage=/data/acme.json`,
        `--certificatesresolvers.${CERT_RESOLVER}.acme.httpchallenge.entrypoint=web`,
      ],
    };
    new Manifest(this, 'traefik-acme', {
      manifest: {
        apiVersion: 'helm.cattle.io/v1',
        kind: 'HelmChartConfig',
        metadata: { name: 'traefik', namespace: 'kube-system' },
        spec: { valuesContent: JSON.stringify(values, null, 2) },
      },
    });
  }
}

/**
 * Terraform reads `${` and `%{` in any string as a template. Rendered files are literal text, so
 * both are escaped; Terraform writes them back unchanged into the ConfigMap.
 */
export function literalForTerraform(content: string): string {
  return content.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{');
}

/** Private and special IPv4 ranges Synapse must not reach directly (SSRF protection in depth). */
const PRIVATE_IPV4 = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16', '127.0.0.0/8'];
const PRIVATE_IPV6 = ['fc00::/7', 'fe80::/10', '::1/128'];

/** Kubernetes namespace of a deployment; several deployments can share a cluster. */
export function namespaceName(spec: DeploymentSpec): string {
  return `matrix-${spec.name}`;
}

