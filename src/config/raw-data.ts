/**
 * Readers of the raw, not yet validated deployment data. Rules run even when the schema found
 * problems elsewhere, so every read is defensive: a missing or mistyped value is undefined.
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
