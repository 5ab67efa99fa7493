import { Fn, TerraformOutput, TerraformVariable, Token } from 'cdktf';
import type { Construct } from 'constructs';
import { DataKubernetesResources } from '@cdktf/provider-kubernetes/lib/data-kubernetes-resources';
import { Manifest } from '@cdktf/provider-kubernetes/lib/manifest';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { Id } from '@cdktf/provider-random/lib/id';
import { Password } from '@cdktf/provider-random/lib/password';
import { RandomProvider } from '@cdktf/provider-random/lib/provider';
import { PrivateKey } from '@cdktf/provider-tls/lib/private-key';
import { TlsProvider } from '@cdktf/provider-tls/lib/provider';
import { applyDependencies, KubeObject, KubeSecret, type MonitoringSet, type SecretValue } from '../src/components/k8s/kube-object';
import { MatrixApps } from '../src/components/k8s/matrix-apps';
import { usesCloudNativePg } from '../src/components/k8s/cloudnative-pg';
import { CLOUDNATIVE_PG_VERSION } from '../src/versions';
import type { DeploymentSpec } from '../src/config/spec';
import { appsContractKeys, type ContractKey } from './contract';
import { importContract } from './contract-terraform';
import { DeploymentStack } from './deployment-stack';
import { LiteralManifests } from './literal-manifests';
import { MONITORING_STACK_OUTPUT } from './naming';

/** The field manager of every object the kit applies (kubectl get --show-managed-fields shows it). */
export const FIELD_MANAGER = 'sovereign-matrix';

/** The CustomResourceDefinition whose presence makes `auto` monitoring use the cluster's Prometheus Operator. */
export const SERVICE_MONITOR_CRD = 'servicemonitors.monitoring.coreos.com';

/** The data source that lists SERVICE_MONITOR_CRD (one object when the cluster has it, none otherwise). */
export const MONITORING_PROBE_ID = 'prometheus_operator_crd';

/** The CustomResourceDefinition of CloudNativePG's Cluster: its operator is installed where it exists. */
export const CLOUDNATIVE_PG_CRD = 'clusters.postgresql.cnpg.io';

/** The data source that checks for CLOUDNATIVE_PG_CRD (scale.postgres.engine cloudnative-pg). */
export const CLOUDNATIVE_PG_PROBE_ID = 'cloudnative_pg_crd';

/**
 * The Matrix applications on Kubernetes. Cloud-independent: the same stack runs on the k3s node
 * of the Hetzner infrastructure stack and on any existing cluster. The objects come from
 * MatrixApps (src/components/k8s); each becomes one `kubernetes_manifest` resource named after its
 * identity in the cluster, applied server-side in the order `applyDependencies` gives. Every secret
 * value is generated at apply time by hashicorp/random or hashicorp/tls and lives only in
 * Terraform state and Kubernetes Secrets.
 */
export class AppsStack extends DeploymentStack {
  readonly apps: MatrixApps;
  private readonly secretValues = new Map<string, string>();
  private readonly literals = new LiteralManifests();

  constructor(scope: Construct, spec: DeploymentSpec) {
    super(scope, spec, 'apps');
    // The infra stack's outputs this stack takes (stacks/contract.ts).
    const contract: Partial<Record<ContractKey, TerraformVariable>> = importContract(this, appsContractKeys(spec));
    this.configureKubernetes(contract);
    new RandomProvider(this, 'random', {});
    new TlsProvider(this, 'tls', {});
    const turnPublicIpv4 = contract.turn_public_ipv4?.stringValue;
    this.apps = new MatrixApps(this, 'matrix', { spec, inputs: { turnPublicIpv4 } });

    const objects = KubeObject.all(this.apps);
    const secrets = KubeSecret.all(this.apps);
    const dependencies = applyDependencies([...objects, ...secrets]);
    const resources = new Map<string, Manifest>();
    const count = this.monitoringCounts(objects.some((o) => o.onlyWith !== undefined) || secrets.some((s) => s.onlyWith !== undefined));
    // Namespaces and Secrets first in the JSON too, so a reader meets what the workloads reference.
    const manifest = (key: string, body: Record<string, unknown>, set: MonitoringSet | undefined, waitForRollout = false) => {
      const resource = new Manifest(this, key, {
        manifest: this.literals.defer(key, body),
        ...(set !== undefined && count !== undefined ? { count: count[set] } : {}),
        // The operator check stays a cdktf dependency; the objects it needs are written in as
        // addresses afterwards (a token each would be resolved three times over).
        ...(kinds.get(key) === 'Cluster' && operatorCheck ? { dependsOn: [operatorCheck] } : {}),
        fieldManager: { name: FIELD_MANAGER, forceConflicts: true },
        ...(waitForRollout ? { wait: { rollout: true } } : {}),
      });
      const address = (r: Manifest) => `${r.terraformResourceType}.${r.friendlyUniqueId}`;
      this.literals.dependsOn(resource.friendlyUniqueId, dependencies.get(key)!.map((k) => address(resources.get(k)!)));
      resources.set(key, resource);
    };
    const operatorCheck = this.cloudNativePgCheck();
    const kinds = new Map(objects.map((o) => [o.key, o.kind]));
    const ordered = [...objects.filter((o) => o.kind === 'Namespace'), ...secrets, ...objects.filter((o) => o.kind !== 'Namespace')];
    for (const item of sortByDependencies(ordered, dependencies)) {
      if (item instanceof KubeSecret) manifest(item.key, this.secretObject(item), item.onlyWith);
      else manifest(item.key, literalForTerraform(item.data) as Record<string, unknown>, item.onlyWith, item.options.waitForRollout);
    }
  }

  /** The stack's Terraform JSON, with every deferred object body back in place (see LiteralManifests). */
  override toTerraform(): any {
    return this.literals.restore(super.toTerraform());
  }

  /**
   * With monitoring.stack `auto`, both monitoring stacks are synthesized and the cluster decides at
   * plan time: when it serves ServiceMonitors (the CRD exists), the prometheus-operator objects get
   * count 1 and the bundled ones 0; otherwise the reverse. kubernetes_manifest resolves an object's
   * kind while planning, so a ServiceMonitor without its CRD fails the plan; count 0 never gets
   * there. The data source lists CRDs by name and finds none, without an error, on a cluster
   * without the operator. Undefined when there is nothing to choose (a fixed stack: only its
   * objects exist).
   */
  private monitoringCounts(anyMarked: boolean): Record<MonitoringSet, number> | undefined {
    if (this.spec.monitoring.stack !== 'auto' || !anyMarked) return undefined;
    const crds = new DataKubernetesResources(this, MONITORING_PROBE_ID, {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      fieldSelector: `metadata.name=${SERVICE_MONITOR_CRD}`,
    });
    // Written out: cdktf 0.21's Op.gt(x, 0) renders the 0 as `undefined`.
    const found = `length(data.${crds.terraformResourceType}.${crds.friendlyUniqueId}.objects)`;
    // Which one the cluster got, for deploy's summary (it prints how to reach the bundled stack).
    new TerraformOutput(this, MONITORING_STACK_OUTPUT, {
      value: `\${${found} > 0 ? "prometheus-operator" : "bundled"}`,
      description: 'The monitoring stack chosen at plan time (monitoring.stack auto): prometheus-operator or bundled.',
    });
    return {
      'prometheus-operator': Token.asNumber(`\${${found} > 0 ? 1 : 0}`),
      bundled: Token.asNumber(`\${${found} == 0 ? 1 : 0}`),
    };
  }

  /**
   * With scale.postgres.engine cloudnative-pg, the plan stops with one clear error when the
   * cluster lacks CloudNativePG (no CLOUDNATIVE_PG_CRD): kubernetes_manifest would otherwise fail
   * on the Cluster's unknown kind with the provider's own message. The kit does not install the
   * operator. The Cluster depends on this check, so it is read first.
   */
  private cloudNativePgCheck(): DataKubernetesResources | undefined {
    if (!usesCloudNativePg(this.spec)) return undefined;
    return new DataKubernetesResources(this, CLOUDNATIVE_PG_PROBE_ID, {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      fieldSelector: `metadata.name=${CLOUDNATIVE_PG_CRD}`,
      lifecycle: {
        postcondition: [
          {
            condition: '${length(self.objects) > 0}',
            errorMessage: `scale.postgres.engine is cloudnative-pg, but this cluster has no CloudNativePG operator (no CustomResourceDefinition ${CLOUDNATIVE_PG_CRD}). Install CloudNativePG ${CLOUDNATIVE_PG_VERSION} or newer first (docs/operations.md), or set scale.postgres.engine: bundled.`,
          },
        ],
      },
    });
  }

  /** A Secret with its values as Terraform references, base64 as the API's `data` field wants. */
  private secretObject(secret: KubeSecret): Record<string, unknown> {
    const { name, namespace, labels, data } = secret.props;
    return {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace, labels: { ...labels } },
      type: 'Opaque',
      // `data`, not `stringData`: the API server moves stringData into data, which the provider
      // would report as an inconsistent result after apply.
      data: Object.fromEntries(Object.entries(data).map(([key, value]) => [key, this.base64Value(value)])),
    };
  }

  private base64Value(value: SecretValue): string {
    if (value.kind === 'literal') return Buffer.from(value.value, 'utf8').toString('base64');
    let reference = this.secretValues.get(value.id);
    if (reference === undefined) {
      reference = this.generate(value);
      this.secretValues.set(value.id, reference);
    }
    return Fn.base64encode(reference);
  }

  private generate(value: Exclude<SecretValue, { kind: 'literal' }>): string {
    switch (value.kind) {
      case 'password':
        return new Password(this, value.id, { length: value.length, special: false }).result;
      case 'hex':
        return new Id(this, value.id, { byteLength: value.bytes }).hex;
      case 'rsa-key':
        return new PrivateKey(this, value.id, { algorithm: 'RSA', rsaBits: value.bits }).privateKeyPem;
      case 'input':
        return new TerraformVariable(this, value.id, {
          type: 'string',
          sensitive: true,
          nullable: false,
          description: `${value.description}; deploy passes it from $${value.environment}.`,
        }).stringValue;
    }
  }

  /**
   * An existing cluster is reached through the operator's kubeconfig context. The k3s node built
   * by the infra stack is reached with the credentials that stack outputs; they are handed over as
   * sensitive variables (through the environment at apply time), so they never appear in the JSON.
   */
  private configureKubernetes(contract: Partial<Record<ContractKey, TerraformVariable>>): void {
    const target = this.spec.target;
    if (target.kind === 'kubernetes') {
      new KubernetesProvider(this, 'kubernetes', {
        configPath: target.kubeconfig ?? '~/.kube/config',
        configContext: target.context,
      });
      return;
    }
    const credential = (key: ContractKey) => {
      const variable = contract[key];
      if (!variable) throw new Error(`the apps stack of a Hetzner deployment lacks the contract variable ${key}`);
      return variable.stringValue;
    };
    new KubernetesProvider(this, 'kubernetes', {
      host: credential('kube_host'),
      clusterCaCertificate: credential('kube_cluster_ca_certificate'),
      clientCertificate: credential('kube_client_certificate'),
      clientKey: credential('kube_client_key'),
    });
  }
}

/** Items after what they depend on, otherwise in their given order (stable, so the JSON is too). */
function sortByDependencies<T extends { readonly key: string }>(items: readonly T[], dependencies: Map<string, string[]>): T[] {
  const done = new Set<string>();
  const sorted: T[] = [];
  const byKey = new Map(items.map((i) => [i.key, i]));
  const visit = (item: T, path: readonly string[]) => {
    if (done.has(item.key)) return;
    if (path.includes(item.key)) throw new Error(`dependency cycle: ${[...path, item.key].join(' -> ')}`);
    for (const k of dependencies.get(item.key) ?? []) visit(byKey.get(k)!, [...path, item.key]);
    done.add(item.key);
    sorted.push(item);
  };
  for (const item of items) visit(item, []);
  return sorted;
}

/**
 * Terraform reads `${` and `%{` in any string as a template. Object fields are literal text, so
 * both are escaped; Terraform writes them back unchanged. A string holding a Terraform reference
 * (the TURN address) is left alone, and must have no template characters of its own.
 */
export function literalForTerraform(value: unknown): unknown {
  if (typeof value === 'string') {
    if (!Token.isUnresolved(value)) return value.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{');
    if (/\$\{|%\{/.test(value.replace(/\$\{TfToken\[[^\]]+\]\}/g, ''))) throw new Error('a string with a Terraform reference has template characters of its own');
    return value;
  }
  if (Array.isArray(value)) return value.map(literalForTerraform);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, literalForTerraform(v)]));
  }
  return value;
}
