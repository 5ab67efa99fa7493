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
import { Id } from '@cdktf/provider-random/lib/id';
import { PrivateKey } from '@cdktf/provider-tls/lib/private-key';
import { TlsProvider } from '@cdktf/provider-tls/lib/provider';
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
import { KEYCLOAK_ARGS, KEYCLOAK_MANAGEMENT_PATHS, KEYCLOAK_PATHS, KEYCLOAK_PUBLIC_PATHS, KEYCLOAK_SECRET_ENV } from '../src/render/keycloak';
import { MAS_CONFIG_ENV, MAS_HEALTH_PATH, MAS_LISTENERS, MAS_PATHS, MAS_SECRET_FILES, masUpstreamClientSecretSource } from '../src/render/mas';
import { KEYCLOAK_PASSWORD_VARIABLE, MAS_PASSWORD_VARIABLE, SYNAPSE_PASSWORD_VARIABLE } from '../src/render/postgres';
import { SYNAPSE_PATHS, SYNAPSE_SECRET_FILES, SYNAPSE_UPSTREAMS } from '../src/render/synapse';
import { SYNAPSE_TURN_SECRET_PATH } from '../src/render/turn';
import { WELL_KNOWN_ROOT } from '../src/render/web-server';
import { images } from '../src/versions';
import { DeploymentStack } from './deployment-stack';

/** Unix IDs the images run as (from their Dockerfiles). */
const UID = { synapse: 991, postgres: 999, nginx: 101, coturn: 65534, mas: 65532, keycloak: 1000 } as const;

/** Client API versions whose login, logout and refresh endpoints MAS answers (its compatibility layer). */
const MAS_COMPAT_VERSIONS = ['r0', 'v3'] as const;
const MAS_COMPAT_ENDPOINTS = ['login', 'logout', 'refresh'] as const;

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
    new TlsProvider(this, 'tls', {});
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
    this.mas();
    if (spec.identity.mode === 'keycloak') this.keycloak();
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
    const masShared = password('mas-synapse-shared-secret');
    secret('mas-synapse-shared-secret', { 'synapse-shared-secret': masShared });

    // MAS: 32 random bytes as 64 hex characters (MAS reads the raw file; it must never change),
    // an RSA signing key (RS256 is mandatory in OpenID Connect), its database password, the secret
    // it shares with Synapse, and the upstream provider's client secret where there is one.
    const masDatabase = password('mas-database');
    secret('mas-database', { password: masDatabase });
    const upstream = masUpstreamClientSecretSource(this.spec);
    const upstreamSecret =
      upstream.kind === 'generated'
        ? password('mas-upstream-client-secret')
        : upstream.kind === 'deploy-env'
          ? new TerraformVariable(this, 'oidc_client_secret', {
              type: 'string',
              sensitive: true,
              nullable: false,
              description: `Client secret at the OIDC provider; deploy passes it from $${upstream.name}.`,
            }).stringValue
          : undefined;
    secret('mas-secrets', {
      'encryption-key': new Id(this, 'mas-encryption-key', { byteLength: 32 }).hex,
      'signing-key-rsa.pem': new PrivateKey(this, 'mas-signing-key', { algorithm: 'RSA', rsaBits: 4096 }).privateKeyPem,
      'database-password': masDatabase,
      'synapse-shared-secret': masShared,
      ...(upstreamSecret ? { 'upstream-client-secret': upstreamSecret } : {}),
    });
    if (this.spec.identity.mode === 'keycloak') {
      secret('keycloak-database', { password: password('keycloak-database') });
      secret('keycloak-admin', { username: 'bootstrap-admin', password: password('keycloak-admin') });
      secret('keycloak-mas-client', { secret: upstreamSecret! });
    }
    const turn = password('turn-shared-secret');
    secret('turn-shared-secret', { 'shared-secret': turn });
    return { turn };
  }

  /**
   * An init container that runs a rendered, idempotent database init script as the PostgreSQL
   * superuser; the role's password arrives as a psql variable from a Secret.
   */
  private databaseInit(script: string, variable: string, passwordSecret: string, uid: number) {
    const postgresInit = this.configMap('postgres');
    return {
      volume: { name: 'postgres-init', configMap: { name: postgresInit.name, items: [{ key: script, path: script }] } },
      container: {
        name: 'database',
        image: this.image.postgres,
        command: ['psql', '-v', 'ON_ERROR_STOP=1', '-v', `${variable}=$(ROLE_PASSWORD)`, '-h', SYNAPSE_UPSTREAMS.postgres, '-U', 'postgres', '-f', `/init/${script}`],
        env: [
          { name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: 'postgres-superuser', key: 'password' } } },
          { name: 'ROLE_PASSWORD', valueFrom: { secretKeyRef: { name: passwordSecret, key: 'password' } } },
        ],
        securityContext: containerSecurityContext(uid),
        volumeMount: [{ name: 'postgres-init', mountPath: '/init', readOnly: true }],
      },
    };
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
    const id = namespace === this.ns ? name : `${name}-${namespace}`;
    if (!this.node.tryFindChild(id)) {
      new ConfigMapV1(this, id, {
        metadata: { name, namespace, labels: this.labels },
        data: Object.fromEntries(Object.entries(files).map(([file, content]) => [file, literalForTerraform(content)])),
      });
    }
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
    const database = this.databaseInit('init-synapse.sql', SYNAPSE_PASSWORD_VARIABLE, 'synapse-database', UID.synapse);
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
              database.container,
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
              database.volume,
              { name: 'data', persistentVolumeClaim: { claimName: media.metadata.name } },
              { name: 'tmp', emptyDir: {} },
              ...secrets.volumes,
            ],
          },
        },
      },
    });
  }

  /**
   * Matrix Authentication Service, in front of Synapse in every identity mode. Its image has no
   * shell: every secret is a file it reads (`*_file` options), never a placeholder. It migrates
   * its database and syncs the configured upstream provider at start.
   */
  private mas(): void {
    const component = 'mas';
    const config = this.configMap('mas');
    const database = this.databaseInit('init-mas.sql', MAS_PASSWORD_VARIABLE, 'mas-database', UID.mas);
    const upstream = masUpstreamClientSecretSource(this.spec).kind !== 'none';
    const secrets = secretFileMounts(
      [
        { key: 'encryption-key', path: MAS_SECRET_FILES.encryptionKey },
        { key: 'signing-key-rsa.pem', path: MAS_SECRET_FILES.signingKeyRsa },
        { key: 'database-password', path: MAS_SECRET_FILES.databasePassword },
        { key: 'synapse-shared-secret', path: MAS_SECRET_FILES.synapseSharedSecret },
        ...(upstream ? [{ key: 'upstream-client-secret', path: MAS_SECRET_FILES.upstreamClientSecret }] : []),
      ].map((f) => ({ ...f, secretName: 'mas-secrets' })),
    );
    new ServiceV1(this, 'mas-service', {
      metadata: { name: component, namespace: this.ns, labels: componentLabels(this.spec.name, component) },
      spec: {
        selector: selectorLabels(this.spec.name, component),
        // Only the web listener: health and metrics stay on the pod.
        port: [{ name: 'web', port: MAS_LISTENERS.web.port, targetPort: String(MAS_LISTENERS.web.port), protocol: 'TCP' }],
      },
    });
    const health = { httpGet: { path: MAS_HEALTH_PATH, port: String(MAS_LISTENERS.internal.port) } };
    new DeploymentV1(this, 'mas', {
      metadata: { name: component, namespace: this.ns, labels: componentLabels(this.spec.name, component) },
      spec: {
        replicas: '1',
        selector: { matchLabels: selectorLabels(this.spec.name, component) },
        template: {
          metadata: { labels: componentLabels(this.spec.name, component), annotations: { 'sovereign-matrix/config-digest': config.digest } },
          spec: {
            ...POD_DEFAULTS,
            securityContext: podSecurityContext(UID.mas),
            initContainer: [database.container],
            container: [
              {
                name: component,
                image: this.image.mas,
                args: ['server'],
                env: [{ name: MAS_CONFIG_ENV, value: MAS_PATHS.config }],
                port: [
                  { name: 'web', containerPort: MAS_LISTENERS.web.port },
                  { name: 'internal', containerPort: MAS_LISTENERS.internal.port },
                ],
                resources: resources({ cpu: 0.25, memoryGiB: 0.25 }),
                securityContext: containerSecurityContext(UID.mas),
                volumeMount: [{ name: 'config', mountPath: MAS_PATHS.configDir, readOnly: true }, { name: 'tmp', mountPath: '/tmp' }, ...secrets.mounts],
                readinessProbe: { ...health, periodSeconds: 10 },
                livenessProbe: { ...health, periodSeconds: 30 },
              },
            ],
            volume: [{ name: 'config', configMap: { name: config.name } }, { name: 'tmp', emptyDir: {} }, database.volume, ...secrets.volumes],
          },
        },
      },
    });
  }

  /**
   * The bundled Keycloak (identity mode keycloak): its own database and role, the rendered realm
   * imported at first start, the rendered settings loaded from keycloak.env, health and metrics on
   * the management port for probes only. Its root filesystem stays writable: `kc.sh start`
   * re-builds the server into /opt/keycloak/lib when the database vendor or features differ from
   * the image's defaults.
   */
  private keycloak(): void {
    const component = 'keycloak';
    const config = this.configMap('keycloak');
    const database = this.databaseInit('init-keycloak.sql', KEYCLOAK_PASSWORD_VARIABLE, 'keycloak-database', UID.keycloak);
    this.service(component, PORTS.keycloakHttp);
    const management = (path: string) => ({ httpGet: { path, port: String(PORTS.keycloakManagement) } });
    const fromSecret = (name: string, secret: string, key: string) => ({ name, valueFrom: { secretKeyRef: { name: secret, key } } });
    new DeploymentV1(this, 'keycloak', {
      metadata: { name: component, namespace: this.ns, labels: componentLabels(this.spec.name, component) },
      spec: {
        replicas: '1',
        strategy: { type: 'Recreate' },
        selector: { matchLabels: selectorLabels(this.spec.name, component) },
        template: {
          metadata: { labels: componentLabels(this.spec.name, component), annotations: { 'sovereign-matrix/config-digest': config.digest } },
          spec: {
            ...POD_DEFAULTS,
            securityContext: podSecurityContext(UID.keycloak),
            initContainer: [database.container],
            container: [
              {
                name: component,
                image: this.image.keycloak,
                command: ['/bin/bash', '-c', `set -a && . /config/keycloak.env && set +a && exec /opt/keycloak/bin/kc.sh ${KEYCLOAK_ARGS.join(' ')}`],
                env: [
                  fromSecret(KEYCLOAK_SECRET_ENV.dbPassword, 'keycloak-database', 'password'),
                  fromSecret(KEYCLOAK_SECRET_ENV.bootstrapAdminUsername, 'keycloak-admin', 'username'),
                  fromSecret(KEYCLOAK_SECRET_ENV.bootstrapAdminPassword, 'keycloak-admin', 'password'),
                  fromSecret(KEYCLOAK_SECRET_ENV.masClientSecret, 'keycloak-mas-client', 'secret'),
                ],
                port: [
                  { name: 'http', containerPort: PORTS.keycloakHttp },
                  { name: 'management', containerPort: PORTS.keycloakManagement },
                ],
                resources: resources({ cpu: 0.5, memoryGiB: 1 }),
                securityContext: { ...containerSecurityContext(UID.keycloak), readOnlyRootFilesystem: false },
                volumeMount: [
                  { name: 'config', mountPath: '/config', readOnly: true },
                  { name: 'config', mountPath: KEYCLOAK_PATHS.realmFile, subPath: 'realm.json', readOnly: true },
                ],
                startupProbe: { ...management(KEYCLOAK_MANAGEMENT_PATHS.started), periodSeconds: 10, failureThreshold: 60 },
                readinessProbe: { ...management(KEYCLOAK_MANAGEMENT_PATHS.ready), periodSeconds: 10 },
                livenessProbe: { ...management(KEYCLOAK_MANAGEMENT_PATHS.live), periodSeconds: 30 },
              },
            ],
            volume: [{ name: 'config', configMap: { name: config.name } }, database.volume],
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
    const prefix = (paths: readonly string[], name: string, port: number) =>
      paths.map((path) => ({ path, pathType: 'Prefix', backend: backend(name, port) }));
    // MAS answers the pre-OAuth login, logout and refresh endpoints; longer prefixes win over /_matrix.
    const compat = MAS_COMPAT_VERSIONS.flatMap((v) => MAS_COMPAT_ENDPOINTS.map((e) => `/_matrix/client/${v}/${e}`));
    const rules = [
      {
        host: hostnames.matrix,
        http: { path: [...prefix(['/_matrix', '/_synapse/client'], 'synapse', PORTS.synapseHttp), ...prefix(compat, 'mas', PORTS.masHttp)] },
      },
      { host: serverName, http: { path: prefix(['/'], 'well-known', PORTS.wellKnown) } },
      { host: hostnames.web, http: { path: prefix(['/'], 'element-web', PORTS.elementWeb) } },
      { host: hostnames.auth, http: { path: prefix(['/'], 'mas', PORTS.masHttp) } },
      ...(this.spec.identity.mode === 'keycloak'
        ? [
            {
              host: hostnames.sso,
              // Only the realm endpoints and static resources; never /admin, never the management port.
              http: { path: prefix(KEYCLOAK_PUBLIC_PATHS.map((p) => p.replace(/\/$/, '')), 'keycloak', PORTS.keycloakHttp) },
            },
          ]
        : []),
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
    const publicComponents: [string, number][] = [
      ['synapse', PORTS.synapseHttp],
      ['element-web', PORTS.elementWeb],
      ['well-known', PORTS.wellKnown],
      ['mas', PORTS.masHttp],
      ...(this.spec.identity.mode === 'keycloak' ? [['keycloak', PORTS.keycloakHttp] as [string, number]] : []),
    ];
    for (const [component, port] of publicComponents) {
      policy(`allow-ingress-${component}`, {
        podSelector: pods(component),
        policyTypes: ['Ingress'],
        ingress: [{ from: ingressController, ports: [{ port: String(port), protocol: 'TCP' }] }],
      });
    }
    const databaseClients = ['synapse', 'mas', ...(this.spec.identity.mode === 'keycloak' ? ['keycloak'] : [])];
    policy('allow-postgres-from-clients', {
      podSelector: pods('postgres'),
      policyTypes: ['Ingress'],
      ingress: [{ from: databaseClients.map((c) => ({ podSelector: pods(c) })), ports: [{ port: String(PORTS.postgres), protocol: 'TCP' }] }],
    });
    policy('allow-mas-from-synapse', {
      podSelector: pods('mas'),
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ podSelector: pods('synapse') }], ports: [{ port: String(PORTS.masHttp), protocol: 'TCP' }] }],
    });
    const publicInternet = [{ ipBlock: { cidr: '0.0.0.0/0', except: PRIVATE_IPV4 } }, { ipBlock: { cidr: '::/0', except: PRIVATE_IPV6 } }];
    policy('allow-mas-egress', {
      podSelector: pods('mas'),
      policyTypes: ['Egress'],
      egress: [
        { to: [{ podSelector: pods('postgres') }], ports: [{ port: String(PORTS.postgres), protocol: 'TCP' }] },
        { to: [{ podSelector: pods('synapse') }], ports: [{ port: String(PORTS.synapseHttp), protocol: 'TCP' }] },
        // The upstream identity provider (Keycloak too) is reached at its public https URL.
        { to: publicInternet, ports: [{ port: String(PORTS.https), protocol: 'TCP' }] },
      ],
    });
    if (this.spec.identity.mode === 'keycloak') {
      policy('allow-keycloak-egress', {
        podSelector: pods('keycloak'),
        policyTypes: ['Egress'],
        egress: [
          { to: [{ podSelector: pods('postgres') }], ports: [{ port: String(PORTS.postgres), protocol: 'TCP' }] },
          // Back-channel logout to MAS at its public https URL.
          { to: publicInternet, ports: [{ port: String(PORTS.https), protocol: 'TCP' }] },
        ],
      });
    }
    policy('allow-synapse-egress', {
      podSelector: pods('synapse'),
      policyTypes: ['Egress'],
      egress: [
        { to: [{ podSelector: pods('postgres') }], ports: [{ port: String(PORTS.postgres), protocol: 'TCP' }] },
        { to: [{ podSelector: pods('mas') }], ports: [{ port: String(PORTS.masHttp), protocol: 'TCP' }] },
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

