import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeploymentSpec } from '../config/spec';
import { synthesize } from '../../stacks/synth';

/** A stack's cdk.tf.json, as far as the documents read it. */
export interface TerraformJson {
  readonly terraform?: {
    readonly backend?: Record<string, Record<string, unknown>>;
    readonly required_providers?: Record<string, { readonly source?: string; readonly version?: string }>;
  };
  readonly provider?: Record<string, readonly Record<string, unknown>[]>;
  /** resource type -> logical name -> attributes. */
  readonly resource?: Record<string, Record<string, Record<string, any>>>;
  /** data source type -> logical name -> arguments. */
  readonly data?: Record<string, Record<string, Record<string, any>>>;
  readonly output?: Record<string, Record<string, unknown>>;
  readonly variable?: Record<string, Record<string, unknown>>;
}

/** One synthesized stack, read back from disk. */
export interface SynthesizedStack {
  /** `<deployment>-<layer>`. */
  readonly name: string;
  readonly layer: 'infra' | 'apps';
  readonly json: TerraformJson;
}

/** What is actually deployed for one deployment: the spec and its synthesized stacks, in apply order. */
export interface Synthesized {
  readonly spec: DeploymentSpec;
  readonly stacks: readonly SynthesizedStack[];
}

/**
 * Synthesizes a deployment into a temporary directory with the same code `synth` runs and reads
 * the Terraform JSON back, so a document describes exactly what would be deployed.
 */
export function synthesizeForDocs(spec: DeploymentSpec): Synthesized {
  const dir = mkdtempSync(join(tmpdir(), 'sovereign-matrix-docs-'));
  try {
    const summaries = synthesize([spec], dir);
    return {
      spec,
      stacks: summaries.map((s) => ({
        name: s.stack,
        layer: s.layer as 'infra' | 'apps',
        json: JSON.parse(readFileSync(join(dir, s.file), 'utf8')) as TerraformJson,
      })),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A resource of a synthesized stack with its Terraform address. */
export interface FoundResource {
  readonly stack: string;
  readonly type: string;
  readonly name: string;
  /** `type.name`, as Terraform prints it. */
  readonly address: string;
  readonly body: Record<string, any>;
}

/** Every resource of the given types, in stack order, then type and name order (as in the JSON). */
/** The data sources of the given types, addressed `data.<type>.<name>`. */
export function dataSourcesOf(synth: Synthesized, type: string): FoundResource[] {
  return synth.stacks.flatMap((stack) =>
    Object.entries(stack.json.data?.[type] ?? {}).map(([name, body]) => ({ stack: stack.name, type, name, address: `data.${type}.${name}`, body })),
  );
}

export function resourcesOf(synth: Synthesized, ...types: string[]): FoundResource[] {
  const found: FoundResource[] = [];
  for (const stack of synth.stacks) {
    for (const type of types) {
      for (const [name, body] of Object.entries(stack.json.resource?.[type] ?? {})) {
        found.push({ stack: stack.name, type, name, address: `${type}.${name}`, body });
      }
    }
  }
  return found;
}

/**
 * A Kubernetes API object of a synthesized stack: every object of the apps layer is one
 * `kubernetes_manifest` resource whose `manifest` is the object as the Kubernetes API takes it
 * (apiVersion, kind, metadata, spec or data, with the API's own camelCase field names).
 */
export interface FoundKubeObject {
  readonly stack: string;
  /** `kubernetes_manifest.<kind>_<namespace>_<name>`, as Terraform prints it. */
  readonly address: string;
  readonly kind: string;
  /** Undefined for a cluster-scoped object (Namespace). */
  readonly namespace: string | undefined;
  readonly name: string;
  /** The API object. */
  readonly manifest: Record<string, any>;
}

/**
 * Every Kubernetes object of the given kinds (`Deployment`, `NetworkPolicy`, ...), in stack order,
 * then kind order as given, then as in the JSON; every object of any kind without kinds.
 */
export function kubeObjects(synth: Synthesized, ...kinds: string[]): FoundKubeObject[] {
  const all = resourcesOf(synth, 'kubernetes_manifest')
    .filter((r) => r.body.manifest && typeof r.body.manifest === 'object')
    .map((r) => {
      const manifest = r.body.manifest as Record<string, any>;
      return {
        stack: r.stack,
        address: r.address,
        kind: String(manifest.kind),
        namespace: manifest.metadata?.namespace as string | undefined,
        name: String(manifest.metadata?.name),
        manifest,
      };
    });
  if (kinds.length === 0) return all;
  return synth.stacks.flatMap((s) => kinds.flatMap((kind) => all.filter((o) => o.stack === s.name && o.kind === kind)));
}

/** The containers of a workload's pod template, init containers first. */
export function containersOf(workload: FoundKubeObject): Record<string, any>[] {
  const pod = workload.manifest.spec?.template?.spec ?? {};
  return [...(pod.initContainers ?? []), ...(pod.containers ?? [])] as Record<string, any>[];
}

/** `address (stack)`: where a reader finds a resource in cdktf.out. */
export function where(resource: { readonly address: string; readonly stack: string }): string {
  return `\`${resource.address}\` (${resource.stack})`;
}

/** Rendered file `file` of service `service`, read back from its ConfigMap in the JSON. */
export function renderedFromJson(synth: Synthesized, service: string, file: string): string | undefined {
  const data = configMapOf(synth, service)?.manifest.data?.[file];
  // Undo the stack's escaping of Terraform template sequences (literalForTerraform).
  return typeof data === 'string' ? data.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{') : undefined;
}

export function configMapOf(synth: Synthesized, service: string): FoundKubeObject | undefined {
  return kubeObjects(synth, 'ConfigMap').find((cm) => cm.name === `${service}-config`);
}
