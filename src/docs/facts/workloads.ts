import { containersOf, kubeObjects, type FoundKubeObject, type Synthesized } from '../read-back';

/** A workload of the apps stack: most fact families start from these. */
export interface WorkloadFact {
  /** Kubernetes name (also the `app.kubernetes.io/name` label). */
  readonly name: string;
  readonly namespace: string;
  readonly kind: 'Deployment' | 'StatefulSet';
  readonly images: readonly string[];
  readonly hostNetwork: boolean;
  /** The Deployment or StatefulSet object. */
  readonly object: FoundKubeObject;
}

/** Every Deployment and StatefulSet of the apps stack. */
export function workloadsOf(synth: Synthesized): WorkloadFact[] {
  return kubeObjects(synth, 'Deployment', 'StatefulSet').map((o) => ({
    name: o.name,
    namespace: String(o.namespace),
    kind: o.kind as WorkloadFact['kind'],
    images: [...new Set(containersOf(o).map((c) => String(c.image)))],
    hostNetwork: o.manifest.spec?.template?.spec?.hostNetwork === true,
    object: o,
  }));
}
