/**
 * Shared by the tests of the fact families (test/docs/facts/*.test.ts) and of the documents made
 * from them: the example deployments synthesized once per test file, and a way to alter the
 * read-back JSON (a new firewall rule, a new network policy flow, another image tag) so a test
 * can expect the facts, the document and its diagram to show the change.
 */
import { join } from 'node:path';
import type { DeploymentSpec } from '../../../src/config/spec';
import { loadDeploymentFiles } from '../../../src/config/load';
import { generateFromSynthesized, type ReferenceArchitecture } from '../../../src/docs/generate';
import { resourcesOf, synthesizeForDocs, type Synthesized } from '../../../src/docs/read-back';

/** The first test of a file that calls generated() synthesizes and lays out a whole deployment. */
jest.setTimeout(60_000);

export const ROOT = join(__dirname, '..', '..', '..');
export const specOfFile = (file: string): DeploymentSpec => loadDeploymentFiles([join(ROOT, file)])[0].spec;

/** Hetzner examples with different federation, identity, location, DNS and size. */
export const HETZNER_FILES = ['deployments/example.yaml', 'deployments/research-open.yaml', 'docs/reference-architectures/reference-medium.yaml'];

const cache = new Map<string, { synth: Synthesized; ref: ReferenceArchitecture }>();
export function generated(file: string): { synth: Synthesized; ref: ReferenceArchitecture } {
  if (!cache.has(file)) {
    const synth = synthesizeForDocs(specOfFile(file));
    cache.set(file, { synth, ref: generateFromSynthesized(synth) });
  }
  return cache.get(file)!;
}

/** A deep copy of the read-back stacks that a test may change. */
export function alter(synth: Synthesized, change: (stacks: Record<string, any>) => void): Synthesized {
  const stacks = JSON.parse(JSON.stringify(Object.fromEntries(synth.stacks.map((s) => [s.layer, s.json])))) as Record<string, any>;
  change(stacks);
  return { spec: synth.spec, stacks: synth.stacks.map((s) => ({ ...s, json: stacks[s.layer] })) };
}

/** The apps stack's kubernetes_manifest resources, by name: what the tests alter. */
export const manifests = (stacks: Record<string, any>): Record<string, { manifest: Record<string, any> }> => stacks.apps.resource.kubernetes_manifest;

export function firewallRulesInJson(synth: Synthesized): { protocol: string; port: string; sources: string[] }[] {
  return resourcesOf(synth, 'hcloud_firewall').flatMap((fw) =>
    (fw.body.rule as Record<string, any>[]).map((r) => ({ protocol: r.protocol, port: r.port ?? '', sources: r.source_ips })),
  );
}
