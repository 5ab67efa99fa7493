/**
 * Who a Kubernetes object is, as the Terraform forms of the apps layer name it: the current
 * `kubernetes_manifest` (whose `manifest` is the API object) and the typed resources of kit 0.1
 * (`kubernetes_deployment_v1`, with a `metadata` block). diff and deploy's state move both read it.
 */

/** What identifies an object in the cluster. `namespace` is absent for cluster-scoped kinds. */
export interface KubeIdentity {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}

export const MANIFEST_TYPE = 'kubernetes_manifest';

/** The typed resources of kit 0.1 and the kind each one is (as src/deploy/migrate-state.ts reads them). */
export const LEGACY_KINDS: Readonly<Record<string, { apiVersion: string; kind: string }>> = {
  kubernetes_namespace_v1: { apiVersion: 'v1', kind: 'Namespace' },
  kubernetes_secret_v1: { apiVersion: 'v1', kind: 'Secret' },
  kubernetes_config_map_v1: { apiVersion: 'v1', kind: 'ConfigMap' },
  kubernetes_service_v1: { apiVersion: 'v1', kind: 'Service' },
  kubernetes_persistent_volume_claim_v1: { apiVersion: 'v1', kind: 'PersistentVolumeClaim' },
  kubernetes_deployment_v1: { apiVersion: 'apps/v1', kind: 'Deployment' },
  kubernetes_stateful_set_v1: { apiVersion: 'apps/v1', kind: 'StatefulSet' },
  kubernetes_network_policy_v1: { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy' },
  kubernetes_ingress_v1: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' },
};

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** The object a `kubernetes_manifest` block (its Terraform JSON or a plan's before/after) applies. */
export function manifestIdentity(value: unknown): KubeIdentity | undefined {
  if (!isObject(value)) return undefined;
  return objectIdentity(value.manifest);
}

/** The identity of a Kubernetes API object (`{ apiVersion, kind, metadata: { name, namespace } }`). */
export function objectIdentity(object: unknown): KubeIdentity | undefined {
  if (!isObject(object) || !isObject(object.metadata)) return undefined;
  const { apiVersion, kind } = object;
  const { name, namespace } = object.metadata;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string' || typeof name !== 'string') return undefined;
  return { apiVersion, kind, ...(typeof namespace === 'string' ? { namespace } : {}), name };
}

/** The object a typed resource of kit 0.1 manages (`metadata` is a block: an object or a list of one). */
export function legacyIdentity(type: string, value: unknown): KubeIdentity | undefined {
  const legacy = LEGACY_KINDS[type];
  if (!legacy || !isObject(value)) return undefined;
  const metadata = Array.isArray(value.metadata) ? value.metadata[0] : value.metadata;
  if (!isObject(metadata) || typeof metadata.name !== 'string') return undefined;
  const namespace = legacy.kind === 'Namespace' ? undefined : typeof metadata.namespace === 'string' ? metadata.namespace : 'default';
  return { ...legacy, ...(namespace === undefined ? {} : { namespace }), name: metadata.name };
}
