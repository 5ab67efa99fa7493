import { workerInstances } from '../../config/synapse-workers';
import { synapseWorkerHost } from '../../render/synapse-workers';
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

/** The diagram draws Synapse's workers as one node; every other workload as its own. */
export const SYNAPSE_WORKERS_NODE = 'synapse-workers';

/** The diagram node (without `w_`) that stands for a workload of this deployment. */
export function diagramWorkload(synth: Synthesized): (name: string) => string {
  const workers = new Set(workerInstances(synth.spec.scale.workers).map((i) => synapseWorkerHost(i.name)));
  return (name) => (workers.has(name) ? SYNAPSE_WORKERS_NODE : name);
}
