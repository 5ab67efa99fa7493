import YAML from 'yaml';
import type { DeploymentSpec } from '../config/spec';
import { workerInstances, type WorkerRole } from '../config/synapse-workers';
import { PORTS } from '../ports';
import type { RenderedFile } from './files';
import { deepMerge } from './merge';
import { synapseConfig, SYNAPSE_PATHS } from './synapse';
import { isWriterRole, replicationListener, WORKER_DATABASE_POOL } from './synapse-workers';

/**
 * One file per worker instance, `synapse/worker-<instance>.yaml`. A worker runs
 *
 *   python -m synapse.app.generic_worker --config-path /config/homeserver.yaml \
 *     --config-path /config/worker-<instance>.yaml
 *
 * (the media worker: synapse.app.media_repository). Synapse merges the files' top-level keys, the
 * later file winning, so this file holds only what differs from homeserver.yaml.
 */

/** The file of a worker instance; a ConfigMap key is its base name (no '/' allowed there). */
export function synapseWorkerFile(instance: string): string {
  return `synapse/worker-${instance}.yaml`;
}

/**
 * Synapse's application module of a role. Only the media repository still needs its own: with
 * `enable_media_repo: false` in the shared config, Synapse loads the media repository only in a
 * process whose worker_app is synapse.app.media_repository (config/repository.py of 1.163.2).
 * Everything else is a generic worker whose function the shared config and the router decide.
 */
export function synapseWorkerApp(role: WorkerRole): string {
  return role === 'media-repository' ? 'synapse.app.media_repository' : 'synapse.app.generic_worker';
}

/** HTTP listener resources of a role: client and federation, plus media on the media worker (as ESS). */
function httpResources(role: WorkerRole): string[] {
  return role === 'media-repository' ? ['client', 'federation', 'media'] : ['client', 'federation'];
}

/** The worker file's content as an object. */
export function synapseWorkerConfig(spec: DeploymentSpec, instance: string, role: WorkerRole): Record<string, unknown> {
  // The main process's database block (with extra.synapse's overrides), with the worker's pool:
  // the worker file replaces the whole `database` key, so it must repeat the rest.
  const database = deepMerge(synapseConfig(spec).database as Record<string, unknown>, {
    args: { cp_min: WORKER_DATABASE_POOL.cpMin, cp_max: WORKER_DATABASE_POOL.cpMax },
  });
  return {
    worker_app: synapseWorkerApp(role),
    worker_name: instance,
    worker_listeners: [
      {
        port: PORTS.synapseHttp,
        type: 'http',
        tls: false,
        // The router passes on the ingress's X-Forwarded-For and -Proto.
        x_forwarded: true,
        bind_addresses: ['0.0.0.0'],
        resources: [{ names: httpResources(role), compress: false }],
      },
      { port: PORTS.synapseMetrics, type: 'metrics', tls: false, bind_addresses: ['0.0.0.0'] },
      ...(isWriterRole(role) ? [replicationListener()] : []),
    ],
    worker_log_config: `${SYNAPSE_PATHS.config}/log.config`,
    database,
  };
}

/** Every worker's file, in the plan's order; [] for a single process. */
export function renderSynapseWorkers(spec: DeploymentSpec): RenderedFile[] {
  return workerInstances(spec.scale.workers).map(({ name, group }) => {
    const doc = new YAML.Document(synapseWorkerConfig(spec, name, group.role));
    doc.commentBefore = [
      ` Synapse worker ${name} (${group.role}), rendered by sovereign-matrix; do not edit.`,
      ' Read after homeserver.yaml: these top-level keys replace the shared ones. /health answers on',
      ` the HTTP listener (${PORTS.synapseHttp}); metrics on ${PORTS.synapseMetrics}.`,
    ].join('\n');
    return { path: synapseWorkerFile(name), content: doc.toString({ lineWidth: 0, indentSeq: true }) };
  });
}
