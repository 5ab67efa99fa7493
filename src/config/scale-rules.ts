import type { Problem } from './problems';
import { get, str } from './raw-data';
import type { YamlSource } from './yaml-source';

/**
 * CloudNativePG runs PostgreSQL only where its operator already runs: an existing cluster. The
 * kit's own k3s node has none, and one node gives replicas nothing to fail over to. The kit's
 * backups are built for the bundled PostgreSQL; with CloudNativePG they must be off on purpose.
 */
export function scaleRule(src: YamlSource): Problem[] {
  const engine = str(src.data, ['scale', 'postgres', 'engine']);
  const onHetzner = get(src.data, ['target', 'hetzner']) !== undefined;
  if (engine === 'cloudnative-pg' && onHetzner) {
    return [src.problem(['scale', 'postgres', 'engine'], "needs an existing cluster's CloudNativePG operator (expected bundled on target.hetzner)")];
  }
  if (engine === 'cloudnative-pg' && get(src.data, ['backup', 'enabled']) !== false) {
    // Backups default to on, so this names the one way through. Not a silent gap: the kit's agents
    // (pgBackRest and restic, encrypted on the client with the operator's passphrase) run inside the
    // bundled PostgreSQL's pod, and no CloudNativePG backup to the same bucket is built yet.
    return [
      src.problem(
        get(src.data, ['backup']) === undefined ? ['scale', 'postgres', 'engine'] : ['backup'],
        "the kit's backups cover the bundled PostgreSQL only; with cloudnative-pg set backup.enabled: false and back the Cluster up with CloudNativePG's own backups (Barman Cloud plugin, docs/backups.md)",
      ),
    ];
  }
  if (engine !== 'cloudnative-pg' && get(src.data, ['scale', 'postgres', 'instances']) !== undefined) {
    return [src.problem(['scale', 'postgres', 'instances'], 'only used with engine cloudnative-pg (the bundled PostgreSQL is one instance)', true)];
  }
  return [];
}
