/**
 * Kubernetes objects in a synthesized stack, in Kubernetes' own terms. The apps stack applies each
 * API object as one `kubernetes_manifest` resource whose `manifest` is the object itself
 * (camelCase fields, as `kubectl` shows them); the diff names such a resource by the object's kind,
 * namespace and name (`Deployment matrix-x/synapse`) and its changes by Kubernetes field paths.
 * Kit versions before 0.2 used one typed resource per kind (`kubernetes_deployment_v1`); their
 * identity is read from `metadata`, so an upgrade diff can tell an object that only changes its
 * Terraform address (deploy moves its state) from one that is really deleted.
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

/** The identity of any Terraform resource that is a Kubernetes object, in either form. */
export function resourceIdentity(type: string, value: unknown): KubeIdentity | undefined {
  return type === MANIFEST_TYPE ? manifestIdentity(value) : legacyIdentity(type, value);
}

/** `Deployment matrix-x/synapse`, or `Namespace matrix-x` for a cluster-scoped object. */
export function objectLabel(identity: KubeIdentity): string {
  return `${identity.kind} ${identity.namespace === undefined ? '' : `${identity.namespace}/`}${identity.name}`;
}

/** One string per object: equal for the same object in the cluster, whatever its Terraform address. */
export function identityKey(identity: KubeIdentity): string {
  return [identity.apiVersion, identity.kind, identity.namespace ?? '', identity.name].join(' ');
}

/**
 * A literal string as Kubernetes receives it. The apps stack escapes Terraform's template
 * sequences in every literal field of a manifest (`$${`, `%%{`, see literalForTerraform in
 * stacks/apps.ts); Terraform writes them back as `${` and `%{`. A field that is a Terraform
 * expression (`${base64encode(random_password.x.result)}`) has no escapes and is left as it is.
 */
export function unescapeTemplate(text: string): string {
  return text.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{');
}

/** A manifest value (any JSON) with every string unescaped; see unescapeTemplate. */
export function unescapeManifestValue(value: unknown): unknown {
  if (typeof value === 'string') return unescapeTemplate(value);
  if (Array.isArray(value)) return value.map(unescapeManifestValue);
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unescapeManifestValue(v)]));
  return value;
}
