import { Token } from 'cdktf';

/** The one key of a stand-in body; no Kubernetes object has it. */
const STAND_IN_KEY = 'sovereign-matrix/deferred-manifest';

/**
 * Object bodies and dependency lists that cdktf need not walk. cdktf resolves a stack three times over (when preparing,
 * per element and as a whole), node by node, to find tokens; a kubernetes_manifest body without a
 * Terraform reference has none, and a large deployment's bodies (a Deployment per Synapse worker,
 * the config maps) made most of synthesis time. Such a body goes to cdktf as a one-key stand-in
 * and is put back, the same object, into the resolved JSON. Bodies with a reference (the TURN
 * address) go through cdktf as before. Dependencies between manifests likewise: thousands of
 * references in a large deployment, each a token to resolve, are written in as addresses.
 */
export class LiteralManifests {
  private readonly bodies = new Map<string, Record<string, unknown>>();
  private readonly dependencies = new Map<string, readonly string[]>();

  /** The addresses the manifest resource `name` (its JSON key) depends on, written before any cdktf one. */
  dependsOn(name: string, addresses: readonly string[]): void {
    this.dependencies.set(name, addresses);
  }

  /** What to give cdktf for the body of the manifest `key`: a stand-in, or the body itself when it holds a token. */
  defer(key: string, body: Record<string, unknown>): Record<string, unknown> {
    if (hasToken(body)) return body;
    this.bodies.set(key, body);
    return { [STAND_IN_KEY]: key };
  }

  /** The resolved stack JSON with each stand-in replaced by its body and every dependency list written. */
  restore(tf: any): any {
    const manifests = tf?.resource?.kubernetes_manifest ?? {};
    const missing = [...this.dependencies.keys()].filter((name) => manifests[name] === undefined);
    if (missing.length > 0) throw new Error(`manifest resources missing from the stack JSON: ${missing.join(', ')}`);
    for (const [name, resource] of Object.entries<Record<string, any>>(manifests)) {
      const before = this.dependencies.get(name);
      // Written even when empty, as cdktf wrote a dependsOn list it was given.
      if (before !== undefined) resource.depends_on = [...before, ...(resource.depends_on ?? [])];
      const key = resource.manifest?.[STAND_IN_KEY];
      if (key === undefined) continue;
      const body = this.bodies.get(key);
      if (body === undefined) throw new Error(`no deferred manifest body for ${key}`);
      resource.manifest = body;
    }
    return tf;
  }
}

/** Whether any string in the value is (or holds) an unresolved cdktf token. */
function hasToken(value: unknown): boolean {
  if (typeof value === 'string') return Token.isUnresolved(value);
  if (Array.isArray(value)) return value.some(hasToken);
  if (value !== null && typeof value === 'object') return Object.values(value).some(hasToken);
  return typeof value === 'number' && Token.isUnresolved(value);
}
