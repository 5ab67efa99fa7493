/**
 * The apps stack as `sovereign-matrix synth` writes it (stacks/synth.ts), read back for the
 * integration tests that boot its programs natively: the Ingress, and each workload's container
 * command, so a test runs what the pod runs rather than a command of its own.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DeploymentSpec } from '../../src/config/spec';
import { synthesize } from '../../stacks/synth';
import type { IngressJson } from './ingress-routers';

export interface Manifest {
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly spec?: any;
}

/** Every Kubernetes object of the deployment's apps stack, synthesized into `out`. */
export function synthesizedApps(spec: DeploymentSpec, out: string): Manifest[] {
  const apps = synthesize([spec], out).find((s) => s.layer === 'apps');
  if (!apps) throw new Error(`${spec.name}: no apps stack synthesized`);
  const json = JSON.parse(readFileSync(join(out, apps.file), 'utf8')) as { resource: Record<string, Record<string, { manifest?: Manifest }>> };
  return Object.values(json.resource.kubernetes_manifest ?? {}).map((r) => r.manifest!);
}

/** The one Ingress of the apps stack. */
export function ingressOf(manifests: readonly Manifest[]): IngressJson {
  const ingresses = manifests.filter((m) => m.kind === 'Ingress');
  if (ingresses.length !== 1) throw new Error(`expected one Ingress, got ${ingresses.length}`);
  return ingresses[0] as unknown as IngressJson;
}

/** The command (entrypoint and arguments) of the workload `name`'s container `container` (default: its first). */
export function containerCommand(manifests: readonly Manifest[], name: string, container?: string): string[] {
  const workloads = manifests.filter((m) => (m.kind === 'Deployment' || m.kind === 'StatefulSet') && m.metadata.name === name);
  if (workloads.length !== 1) throw new Error(`expected one Deployment or StatefulSet ${name}, got ${workloads.length}`);
  const containers = workloads[0].spec.template.spec.containers as { name: string; command?: string[]; args?: string[] }[];
  const c = container === undefined ? containers[0] : containers.find((x) => x.name === container);
  if (!c) throw new Error(`${name} has no container ${container}`);
  const command = [...(c.command ?? []), ...(c.args ?? [])];
  if (command.length === 0) throw new Error(`${name}: the container keeps its image's command, which a native run cannot know`);
  return command;
}
