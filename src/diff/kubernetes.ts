/**
 * Kubernetes objects in a synthesized stack, in Kubernetes' own terms. The apps stack applies each
 * API object as one `kubernetes_manifest` resource whose `manifest` is the object itself
 * (camelCase fields, as `kubectl` shows them); the diff names such a resource by the object's kind,
 * namespace and name (`Deployment matrix-x/synapse`) and its changes by Kubernetes field paths.
 * Kit versions before 0.2 used one typed resource per kind (`kubernetes_deployment_v1`); their
 * identity is read from `metadata`, so an upgrade diff can tell an object that only changes its
 * Terraform address (deploy moves its state) from one that is really deleted.
 */

import {
  type KubeIdentity,
  LEGACY_KINDS,
  legacyIdentity,
  MANIFEST_TYPE,
  manifestIdentity,
  objectIdentity,
} from '../components/k8s/terraform-identity';

export { LEGACY_KINDS, legacyIdentity, MANIFEST_TYPE, manifestIdentity, objectIdentity };
export type { KubeIdentity };

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

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
