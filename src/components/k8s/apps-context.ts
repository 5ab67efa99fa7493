import { createHash } from 'node:crypto';
import type { Construct } from 'constructs';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IVolume } from 'kubernetes-models/v1/Volume';
import type { INetworkPolicySpec } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicySpec';
import { KubeObject } from './kube-object';
import { containerSecurityContext } from './workload';
import { componentLabels, deploymentLabels, selectorLabels } from '../labels';
import type { DeploymentSpec } from '../../config/spec';
import { renderAll } from '../../render';
import type { RenderedFile } from '../../render/files';
import { SYNAPSE_UPSTREAMS } from '../../render/synapse';
import { namespaceName } from '../../render/namespace';
import { images } from '../../versions';
import { ownsNode } from '../../config/node-target';

/**
 * Unix IDs the images run as (from their Dockerfiles; Valkey's alpine image: user valkey, 999). LiveKit's image (alpine) and lk-jwt-service's
 * (scratch) set none, so they run as nobody.
 */
export const UID = { synapse: 991, postgres: 999, valkey: 999, nginx: 101, coturn: 65534, mas: 65532, keycloak: 1000, nobody: 65534, livekit: 65534, lkJwtService: 65534 } as const;

/** A further port of a component's Service, by name. */
export interface ServicePort {
  readonly name: string;
  readonly port: number;
}

/**
 * Values only known when the deployment is applied. The apps stack passes Terraform references
 * (variables and infra outputs); `manifests` passes what the operator gave on the command line.
 */
export interface DeployInputs {
  /** The node's public IPv4 address, where coturn listens and relays (needed with TURN on). */
  readonly turnPublicIpv4?: string;
}

/**
 * What every component of the apps layer shares: the deployment, its namespace, its rendered
 * files and images, the deploy-time inputs, and the helpers that keep ConfigMaps, Services and
 * database init containers alike. Independent of Terraform: components only make KubeObjects.
 */
export class AppsContext {
  readonly ns: string;
  readonly files: readonly RenderedFile[];
  readonly image: ReturnType<typeof images>;
  readonly labels: Readonly<Record<string, string>>;

  constructor(
    readonly spec: DeploymentSpec,
    readonly inputs: DeployInputs,
  ) {
    this.ns = namespaceName(spec);
    this.files = renderAll(spec);
    this.image = images(spec.versions, spec.registryMirror);
    this.labels = deploymentLabels(spec.name);
  }

  /**
   * A one-replica Deployment of a component: the labels, selector and config digest annotation
   * (a changed rendered file restarts the pods) every workload of the layer shares.
   */
  deployment(
    scope: Construct,
    component: string,
    options: { readonly digest: string; readonly namespace?: string; readonly recreate?: boolean },
    pod: IPodSpec,
  ): KubeObject {
    return new KubeObject(scope, 'deployment', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: component, namespace: options.namespace ?? this.ns, labels: componentLabels(this.spec.name, component) },
      spec: {
        replicas: 1,
        // Recreate: one writer on a ReadWriteOnce volume (or one owner of host ports); the old pod stops first.
        ...(options.recreate ? { strategy: { type: 'Recreate' } } : {}),
        selector: { matchLabels: selectorLabels(this.spec.name, component) },
        template: {
          metadata: { labels: componentLabels(this.spec.name, component), annotations: { 'sovereign-matrix/config-digest': options.digest } },
          spec: pod,
        },
      },
    });
  }

  /** The public IPv4 address coturn uses; refuses to go on without one. */
  get turnPublicIpv4(): string {
    if (this.inputs.turnPublicIpv4 === undefined) throw new Error('TURN needs the public IPv4 address of its node');
    return this.inputs.turnPublicIpv4;
  }

  /** The rendered files of one service (`<service>/...`), keyed by file name. */
  renderedFiles(service: string): Record<string, string> {
    const data = Object.fromEntries(
      this.files.filter((f) => f.path.startsWith(`${service}/`)).map((f) => [f.path.slice(service.length + 1), f.content]),
    );
    if (Object.keys(data).length === 0) throw new Error(`nothing rendered for ${service}`);
    return data;
  }

  /**
   * The rendered files of one service as a ConfigMap `<service>-config` under `scope`, plus a
   * digest that restarts pods when they change.
   */
  configMap(scope: Construct, service: string, namespace = this.ns): { name: string; digest: string } {
    const files = this.renderedFiles(service);
    const name = `${service}-config`;
    new KubeObject(scope, `config-${service}`, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace, labels: { ...this.labels } },
      data: files,
    });
    return { name, digest: configDigest(files) };
  }

  /** The digest of a service's rendered files, for a pod that mounts a ConfigMap made elsewhere. */
  configDigest(service: string): string {
    return configDigest(this.renderedFiles(service));
  }

  /** A NetworkPolicy in the deployment's namespace, with the deployment's labels. */
  networkPolicy(scope: Construct, name: string, spec: INetworkPolicySpec): void {
    new KubeObject(scope, name, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name, namespace: this.ns, labels: { ...this.labels } },
      spec,
    });
  }

  /**
   * The component's Service: its main port first (what the other components and the ingress
   * reach), then any further named ports (the metrics port the scraper reads; network policies,
   * not the Service, decide who may connect).
   */
  service(scope: Construct, component: string, port: number, portName = 'main', more: readonly ServicePort[] = []): void {
    new KubeObject(scope, 'service', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: component, namespace: this.ns, labels: componentLabels(this.spec.name, component) },
      spec: {
        selector: selectorLabels(this.spec.name, component),
        ports: [{ name: portName, port }, ...more].map((p) => ({ name: p.name, port: p.port, targetPort: p.port, protocol: 'TCP' })),
      },
    });
  }

  /** Where persistent volumes come from: the cluster default, or the deployment's StorageClass. */
  get storageClass(): string | undefined {
    return this.spec.target.kind === 'kubernetes' ? this.spec.target.storageClass : 'local-path';
  }

  /** Volume budget split in GiB: PostgreSQL 40 %, media 50 %, the rest headroom. */
  volumeGiB(share: number): number {
    const total = ownsNode(this.spec.target) ? this.spec.target.volumeSizeGiB : this.spec.size.volumeSizeGiB;
    return Math.max(1, Math.floor(total * share));
  }

  /**
   * An init container that runs a rendered, idempotent database init script as the PostgreSQL
   * superuser; the role's password arrives as a psql variable from a Secret. The script comes
   * from the postgres-config ConfigMap the PostgreSQL component makes. `alsoRun` are further
   * scripts of that ConfigMap run after it in the same session (database `postgres`).
   */
  databaseInit(script: string, variable: string, passwordSecret: string, uid: number, alsoRun: readonly string[] = []): { volume: IVolume; container: IContainer } {
    const scripts = [script, ...alsoRun];
    return {
      volume: { name: 'postgres-init', configMap: { name: 'postgres-config', items: scripts.map((s) => ({ key: s, path: s })) } },
      container: {
        name: 'database',
        image: this.image.postgres,
        command: [
          'psql', '-v', 'ON_ERROR_STOP=1', '-v', `${variable}=$(ROLE_PASSWORD)`, '-h', SYNAPSE_UPSTREAMS.postgres, '-U', 'postgres',
          ...scripts.flatMap((s) => ['-f', `/init/${s}`]),
        ],
        env: [
          { name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: 'postgres-superuser', key: 'password' } } },
          { name: 'ROLE_PASSWORD', valueFrom: { secretKeyRef: { name: passwordSecret, key: 'password' } } },
        ],
        securityContext: containerSecurityContext(uid),
        volumeMounts: [{ name: 'postgres-init', mountPath: '/init', readOnly: true }],
      },
    };
  }
}

function configDigest(files: Record<string, string>): string {
  return createHash('sha256').update(JSON.stringify(files)).digest('hex').slice(0, 16);
}
