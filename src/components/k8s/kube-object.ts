import { Construct, type IConstruct } from 'constructs';
import type { ICertificate } from '@kubernetes-models/cert-manager/cert-manager.io/v1/Certificate';
import type { IIssuer } from '@kubernetes-models/cert-manager/cert-manager.io/v1/Issuer';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IStatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import type { IEndpointSlice } from 'kubernetes-models/discovery.k8s.io/v1/EndpointSlice';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { INamespace } from 'kubernetes-models/v1/Namespace';
import type { IPersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import type { IResourceRequirements } from 'kubernetes-models/v1/ResourceRequirements';
import type { IService } from 'kubernetes-models/v1/Service';
import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';

/**
 * The Kubernetes API objects of the apps layer, typed with kubernetes-models (generated from the
 * Kubernetes OpenAPI document; the kit imports its types only, so nothing of it loads at synth
 * time) and cert-manager's models. k3s's HelmChartConfig has no published model; its two fields
 * are typed here.
 */
export interface IHelmChartConfig {
  apiVersion: 'helm.cattle.io/v1';
  kind: 'HelmChartConfig';
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  spec: { valuesContent: string };
}

/**
 * The Prometheus Operator's ServiceMonitor and PrometheusRule (monitoring.coreos.com/v1), only the
 * fields the kit sets; no model package of them is a dependency. The control-plane test checks
 * them against the operator's own CRDs.
 */
export interface IServiceMonitor {
  apiVersion: 'monitoring.coreos.com/v1';
  kind: 'ServiceMonitor';
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  spec: {
    /** A label selector: Synapse's names its Services with an `In` expression when there are workers. */
    selector: { matchLabels: Record<string, string>; matchExpressions?: { key: string; operator: 'In'; values: string[] }[] };
    endpoints: {
      port: string;
      path: string;
      interval: string;
      scrapeTimeout: string;
      relabelings: { action: 'replace'; targetLabel: string; replacement: string }[];
    }[];
  };
}

export interface IPrometheusRule {
  apiVersion: 'monitoring.coreos.com/v1';
  kind: 'PrometheusRule';
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  spec: {
    groups: readonly {
      readonly name: string;
      readonly rules: readonly { alert: string; expr: string; for: string; labels: Readonly<Record<string, string>>; annotations: Readonly<Record<string, string>> }[];
    }[];
  };
}

/**
 * CloudNativePG's Cluster (postgresql.cnpg.io/v1), only the fields the kit sets; the control-plane
 * test checks it against the operator's own CRD (scripts/tools.sh, CLOUDNATIVE_PG_VERSION).
 */
export interface ICnpgCluster {
  apiVersion: 'postgresql.cnpg.io/v1';
  kind: 'Cluster';
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  spec: {
    instances: number;
    imageName: string;
    minSyncReplicas: number;
    maxSyncReplicas: number;
    enableSuperuserAccess: boolean;
    superuserSecret: { name: string };
    bootstrap: { initdb: { encoding: string; localeCollate: string; localeCType: string } };
    postgresql: { parameters: Record<string, string> };
    storage: { size: string; storageClass?: string };
    resources: IResourceRequirements;
    affinity: { enablePodAntiAffinity: boolean; podAntiAffinityType: 'required' | 'preferred'; topologyKey: string };
    inheritedMetadata: { labels: Record<string, string> };
  };
}

export type KubeObjectData =
  | INamespace
  | IConfigMap
  | IService
  | IEndpointSlice
  | IPersistentVolumeClaim
  | INetworkPolicy
  | IIngress
  | IDeployment
  | IStatefulSet
  | IIssuer
  | ICertificate
  | IHelmChartConfig
  | IServiceMonitor
  | IPrometheusRule
  | ICnpgCluster;

export interface KubeObjectOptions {
  /**
   * Apply waits until the StatefulSet's new pods are ready (the workloads after it need them).
   * Not for Deployments: hashicorp/kubernetes 2.38 fails every update of a Deployment it waits for
   * ("inconsistent result after apply" on the deployment.kubernetes.io/revision annotation the
   * controller bumps; hashicorp/terraform-provider-kubernetes#1591, reproduced here by the 0.1
   * migration test). Deploy waits for the homeserver itself instead.
   * @default false
   */
  readonly waitForRollout?: boolean;
}

/**
 * The two monitoring stacks (DeploymentSpec.monitoring.stack without `auto`). With `auto` both are
 * built and the apps stack lets OpenTofu keep exactly one at plan time (stacks/apps.ts).
 */
export type MonitoringSet = 'prometheus-operator' | 'bundled';

const MONITORING_SETS = new WeakMap<IConstruct, MonitoringSet>();

/**
 * Marks every object and Secret under `scope` as belonging to one monitoring stack. A scope, not an
 * option per object: a stack is one construct (BundledMonitoring, PrometheusOperatorMonitoring),
 * and what it contains need not know. Returns the scope.
 */
export function onlyWith<T extends IConstruct>(scope: T, set: MonitoringSet): T {
  MONITORING_SETS.set(scope, set);
  return scope;
}

/** The monitoring stack `c` belongs to (onlyWith on it or a scope above it), or undefined: always applied. */
export function monitoringSetOf(c: IConstruct): MonitoringSet | undefined {
  for (const scope of [...c.node.scopes].reverse()) {
    const set = MONITORING_SETS.get(scope);
    if (set !== undefined) return set;
  }
  return undefined;
}

/**
 * Kinds whose pods the controllers start: applied after every other object of their namespace.
 * A CloudNativePG Cluster is one: its operator starts pods that need the superuser Secret and the
 * network policies (the API server, each other) from the first one.
 */
const WORKLOAD_KINDS: ReadonlySet<string> = new Set(['Deployment', 'StatefulSet', 'Cluster']);

/**
 * One Kubernetes API object of a deployment. Components add them to the construct tree; the apps
 * stack turns each into a kubernetes_manifest resource and `manifests` writes each as YAML, both
 * through `KubeObject.all`, the one place every object passes through.
 */
export class KubeObject extends Construct implements Applied {
  /** Every object under `scope`, in construct-tree order; refuses two objects with one identity. */
  static all(scope: IConstruct): KubeObject[] {
    const objects = scope.node.findAll().filter((c): c is KubeObject => c instanceof KubeObject);
    const seen = new Set<string>();
    for (const o of objects) {
      if (seen.has(o.key)) throw new Error(`two Kubernetes objects are ${o.describe()}`);
      seen.add(o.key);
    }
    return objects;
  }

  constructor(
    scope: Construct,
    id: string,
    readonly data: KubeObjectData,
    readonly options: KubeObjectOptions = {},
  ) {
    super(scope, id);
    if (!data.metadata?.name) throw new Error(`${data.kind} at ${this.node.path} has no name`);
    if (options.waitForRollout && data.kind !== 'StatefulSet') throw new Error(`${data.kind}: only a StatefulSet's rollout is waited for (see KubeObjectOptions)`);
  }

  get kind(): string {
    return this.data.kind;
  }

  get name(): string {
    return this.data.metadata!.name!;
  }

  /** The namespace, or undefined for a cluster-scoped object (Namespace). */
  get namespace(): string | undefined {
    return this.data.metadata?.namespace;
  }

  get isWorkload(): boolean {
    return WORKLOAD_KINDS.has(this.kind);
  }

  /**
   * Identity in the cluster as a Terraform resource name: `<kind>_<namespace>_<name>`
   * (`deployment_matrix-ministry_synapse`). It is the resource's address in state, so it never
   * depends on where in the code an object is made.
   */
  get key(): string {
    return [this.kind.toLowerCase(), ...(this.namespace === undefined ? [] : [this.namespace]), this.name].join('_');
  }

  get onlyWith(): MonitoringSet | undefined {
    return monitoringSetOf(this);
  }

  describe(): string {
    return `${this.kind} ${this.namespace === undefined ? '' : `${this.namespace}/`}${this.name}`;
  }
}

/**
 * How a Secret's values come to exist. The objects never carry secret values: the apps stack makes
 * generated values with hashicorp/random and hashicorp/tls at apply time (kept in state), and
 * `manifests` writes a script that generates them into the cluster. A value with the same `id`
 * is the same value wherever it is used.
 */
export type SecretValue =
  /** Letters and digits only: the values pass through config files and shell substitution. */
  | { readonly kind: 'password'; readonly id: string; readonly length: number }
  /** Random bytes as lower-case hex. */
  | { readonly kind: 'hex'; readonly id: string; readonly bytes: number }
  /** An RSA private key in PEM (MAS reads PKCS#1, which hashicorp/tls writes, and PKCS#8). */
  | { readonly kind: 'rsa-key'; readonly id: string; readonly bits: number }
  /** Given by the operator at deploy time through an environment variable. */
  | { readonly kind: 'input'; readonly id: string; readonly environment: string; readonly description: string }
  /** Not secret, kept beside the secret values it belongs with (a user name). */
  | { readonly kind: 'literal'; readonly value: string };

/** A Secret of the deployment: its identity and where each key's value comes from. */
export class KubeSecret extends Construct implements Applied {
  static all(scope: IConstruct): KubeSecret[] {
    return scope.node.findAll().filter((c): c is KubeSecret => c instanceof KubeSecret);
  }

  constructor(
    scope: Construct,
    id: string,
    readonly props: {
      readonly name: string;
      readonly namespace: string;
      readonly labels: Readonly<Record<string, string>>;
      readonly data: Readonly<Record<string, SecretValue>>;
    },
  ) {
    super(scope, id);
  }

  readonly kind = 'Secret';

  get namespace(): string {
    return this.props.namespace;
  }

  get key(): string {
    return ['secret', this.props.namespace, this.props.name].join('_');
  }

  get onlyWith(): MonitoringSet | undefined {
    return monitoringSetOf(this);
  }
}

/** What the apply order needs to know of an object or a Secret. */
export interface Applied {
  readonly key: string;
  readonly kind: string;
  readonly namespace: string | undefined;
  /** Applied only with this monitoring stack (onlyWith). */
  readonly onlyWith?: MonitoringSet;
}

/**
 * The order that lets a fresh cluster take a whole deployment in one apply: every object in a
 * namespace the deployment creates waits for that Namespace; every workload waits for every other
 * object of its namespace (its Secrets, ConfigMaps, claims, Services and the network policies that
 * must hold before its first pod starts), except objects of a monitoring stack it is not part of:
 * no application needs monitoring to start, and with `auto` one of the two stacks is not applied.
 * Custom resources (HelmChartConfig, cert-manager's) need
 * their definitions served before planning, which `deploy` waits for (src/deploy/wait.ts).
 * Returns, for each key, the keys it depends on, in input order.
 */
export function applyDependencies(items: readonly Applied[]): Map<string, string[]> {
  const namespaces = new Map(items.filter((i) => i.kind === 'Namespace').map((i) => [i.key.slice('namespace_'.length), i.key]));
  const dependencies = new Map<string, string[]>();
  for (const item of items) {
    const needs: string[] = [];
    const ns = item.namespace === undefined ? undefined : namespaces.get(item.namespace);
    if (ns !== undefined) needs.push(ns);
    if (WORKLOAD_KINDS.has(item.kind)) {
      for (const other of items) {
        const sameSet = other.onlyWith === undefined || other.onlyWith === item.onlyWith;
        if (other.namespace === item.namespace && other.kind !== 'Namespace' && !WORKLOAD_KINDS.has(other.kind) && sameSet) needs.push(other.key);
      }
    }
    dependencies.set(item.key, needs);
  }
  return dependencies;
}
