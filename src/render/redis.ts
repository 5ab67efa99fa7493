import type { DeploymentSpec } from '../config/spec';
import { PORTS } from '../ports';
import type { RenderedFile } from './files';
import { hasWorkers } from './synapse-workers';

/** Where Redis's configuration is mounted; the container runs `redis-server` on it. */
export const REDIS_CONFIG_FILE = 'synapse-redis/redis.conf';

/** Redis's memory ceiling (ESS: 40mb, allkeys-lru): Synapse's shared cache fits; eviction, never an error. */
export const REDIS_MAX_MEMORY = '40mb';

/**
 * `synapse-redis/redis.conf`, only when there are workers: Redis carries Synapse's replication
 * stream between processes (pub/sub) and a small shared cache. Nothing in it must survive a
 * restart, so there is no persistence and no data volume.
 */
export function renderRedis(spec: DeploymentSpec): RenderedFile[] {
  if (!hasWorkers(spec)) return [];
  const lines = [
    '# Redis for Synapse\'s workers, rendered by sovereign-matrix; do not edit.',
    '# Replication bus and shared cache only: nothing is persisted.',
    '#',
    '# No password and protected mode off: acceptable only because the NetworkPolicy admits Synapse\'s',
    '# pods alone to this port, and the Service is cluster-internal. Every address, IPv6 optional',
    '# ("-": a pod without IPv6 still starts).',
    'bind 0.0.0.0 -::',
    `port ${PORTS.redis}`,
    'protected-mode no',
    '',
    '# No snapshots, no append-only file.',
    'save ""',
    'appendonly no',
    'dir /tmp',
    '',
    `maxmemory ${REDIS_MAX_MEMORY}`,
    'maxmemory-policy allkeys-lru',
    '',
    '# Logs to stdout, where the kubelet collects them.',
    'logfile ""',
    '',
  ];
  return [{ path: REDIS_CONFIG_FILE, content: lines.join('\n') }];
}
