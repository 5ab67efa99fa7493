import { join } from 'node:path';
import { Testing } from 'cdktf';
import { AppsStack } from '../../../stacks/apps';
import type { DeploymentSpec } from '../../../src/config/spec';

/** Helpers for the tests of the apps layer's components, which read the objects of a synthesized apps stack. */

export const ROOT = join(__dirname, '..', '..', '..');

/** Example deployments that between them turn every component on and off. */
export const EXAMPLES = ['deployments/example.yaml', 'deployments/agency-kubernetes.yaml', 'deployments/research-open.yaml', 'test/fixtures/valid/no-turn-allow-list.yaml'];

export type Json = Record<string, any>;

export function synth(spec: DeploymentSpec): Json {
  return JSON.parse(Testing.synth(new AppsStack(Testing.app(), spec)));
}

export function resources(json: Json, type: string): Record<string, Json> {
  return json.resource?.[type] ?? {};
}

/** The Kubernetes objects of a stack (the `manifest` of every kubernetes_manifest). */
export function manifests(json: Json): Json[] {
  return Object.values(resources(json, 'kubernetes_manifest')).map((r) => r.manifest);
}

/** The objects of one kind, by name (names are unique per kind in these tests' namespaces). */
export function objects(json: Json, kind: string): Record<string, Json> {
  return Object.fromEntries(manifests(json).filter((m) => m.kind === kind).map((m) => [m.metadata.name, m]));
}

/** Every pod template: Deployments and StatefulSets. */
export function podSpecs(json: Json): [string, Json][] {
  return ['Deployment', 'StatefulSet'].flatMap((kind) => Object.entries(objects(json, kind)).map(([name, r]) => [name, r.spec.template.spec] as [string, Json]));
}

export function containers(pod: Json): Json[] {
  return [...(pod.containers ?? []), ...(pod.initContainers ?? [])];
}
