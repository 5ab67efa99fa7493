import { join } from 'node:path';
import { Testing } from 'cdktf';
import { Construct } from 'constructs';
import { AppsContext, type DeployInputs } from '../../../src/components/k8s/apps-context';
import { KubeObject, KubeSecret } from '../../../src/components/k8s/kube-object';
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

/**
 * The objects and Secrets one component makes on its own, without the stack: `make` adds it under
 * a fresh scope with the deployment's context.
 */
export function componentObjects(
  spec: DeploymentSpec,
  make: (scope: Construct, context: AppsContext) => void,
  inputs: DeployInputs = { turnPublicIpv4: '192.0.43.10' },
): { objects: Json[]; secrets: KubeSecret[]; context: AppsContext } {
  const scope = new Construct(undefined as unknown as Construct, 'test');
  const context = new AppsContext(spec, inputs);
  make(scope, context);
  return { objects: KubeObject.all(scope).map((o) => o.data as Json), secrets: KubeSecret.all(scope), context };
}

/** The one object of a kind and name among `objects`. */
export function find(objects: Json[], kind: string, name: string): Json {
  const found = objects.filter((o) => o.kind === kind && o.metadata.name === name);
  if (found.length !== 1) throw new Error(`${found.length} ${kind} ${name}`);
  return found[0];
}

/** Whether a pod with `labels` matches a label selector (matchLabels and In/NotIn/Exists expressions). */
export function selects(selector: Json, labels: Record<string, string>): boolean {
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpressions = ((selector.matchExpressions ?? []) as Json[]).every((e) =>
    e.operator === 'In' ? e.values.includes(labels[e.key]) : e.operator === 'NotIn' ? !e.values.includes(labels[e.key]) : e.operator === 'Exists' ? e.key in labels : !(e.key in labels),
  );
  return byLabels && byExpressions;
}
