import type { DeploymentSpec } from '../config/spec';

/**
 * Kubernetes namespace of a deployment; several deployments can share a cluster. It lives in
 * render (not with the Kubernetes components) because rendered files name in-cluster Services by
 * their namespace too (the Prometheus scrape targets), and render may not import components.
 */
export function namespaceName(spec: DeploymentSpec): string {
  return `matrix-${spec.name}`;
}

/** The namespace coturn runs in: host networking is outside the main namespace's pod security level. */
export function turnNamespaceName(ns: string): string {
  return `${ns}-turn`;
}
