/**
 * Defensive readers of the raw YAML data, for the rules: they run even when the schema found
 * problems elsewhere, so any value may be of any shape.
 */

export function get(data: unknown, path: readonly string[]): unknown {
  let node = data;
  for (const key of path) {
    if (!isRecord(node)) return undefined;
    node = node[key];
  }
  return node;
}

export function str(data: unknown, path: readonly string[]): string | undefined {
  const value = get(data, path);
  return typeof value === 'string' ? value : undefined;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Which node target the file names, if any: the kit builds its own k3s node on these. */
export function nodeTargetKey(data: unknown): 'hetzner' | 'openstack' | undefined {
  if (get(data, ['target', 'hetzner']) !== undefined) return 'hetzner';
  if (get(data, ['target', 'openstack']) !== undefined) return 'openstack';
  return undefined;
}
