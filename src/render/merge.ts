/**
 * The escape hatch's merge (`extra.<component>`), shared by every renderer: `overlay` is applied
 * on top of `base`. Plain objects merge key by key, recursively; anything else in the overlay
 * (arrays, scalars, null) replaces the base value whole. Keys keep the base's order, and keys new
 * in the overlay follow in the overlay's order, so the result is as deterministic as the inputs.
 * Neither argument is modified; the result shares no objects or arrays with either.
 */
export function deepMerge(
  base: Readonly<Record<string, unknown>>,
  overlay: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(base)) result[key] = clone(value);
  for (const [key, value] of Object.entries(overlay)) {
    const current = result[key];
    result[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : clone(value);
  }
  return result;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  // Compared structurally, not with `=== Object.prototype`: objects made by structuredClone
  // (the resolved spec) may come from another realm, whose Object.prototype is a different object.
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

function clone(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(clone);
  if (isPlainObject(value)) return deepMerge({}, value);
  return value;
}
