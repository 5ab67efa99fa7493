import type { Problem } from './problems';
import { get, str } from './raw-data';
import type { YamlSource } from './yaml-source';

/**
 * CloudNativePG runs PostgreSQL only where its operator already runs: an existing cluster. The
 * kit's own k3s node has none, and one node gives replicas nothing to fail over to.
 */
export function scaleRule(src: YamlSource): Problem[] {
  const engine = str(src.data, ['scale', 'postgres', 'engine']);
  const onHetzner = get(src.data, ['target', 'hetzner']) !== undefined;
  if (engine === 'cloudnative-pg' && onHetzner) {
    return [src.problem(['scale', 'postgres', 'engine'], "needs an existing cluster's CloudNativePG operator (expected bundled on target.hetzner)")];
  }
  if (engine !== 'cloudnative-pg' && get(src.data, ['scale', 'postgres', 'instances']) !== undefined) {
    return [src.problem(['scale', 'postgres', 'instances'], 'only used with engine cloudnative-pg (the bundled PostgreSQL is one instance)', true)];
  }
  return [];
}
