import YAML from 'yaml';
import { workerInstances } from '../../src/config/synapse-workers';
import { PORTS } from '../../src/ports';
import { renderAll } from '../../src/render';
import { renderSynapse, synapseConfig } from '../../src/render/synapse';
import { renderSynapseWorkers, synapseWorkerApp, synapseWorkerConfig, synapseWorkerFile } from '../../src/render/synapse-worker-files';
import { isWriterRole, synapseWorkerSettings, WORKER_DATABASE_POOL } from '../../src/render/synapse-workers';
import { SCALE_CASES, specWith } from './fixtures';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const LARGE = specWith('size: large\nfederation:\n  mode: open\n');

/** What a worker runs with: homeserver.yaml, then its file, merged key by key at the top level as Synapse does. */
function effectiveConfig(spec = LARGE, instance: string): Obj {
  const hs = YAML.parse(renderSynapse(spec).find((f) => f.path === 'synapse/homeserver.yaml')!.content);
  const worker = YAML.parse(renderSynapseWorkers(spec).find((f) => f.path === synapseWorkerFile(instance))!.content);
  return { ...hs, ...worker };
}

describe('synapse/worker-<instance>.yaml', () => {
  test('one file per instance, none for a single process; ConfigMap keys are the base names', () => {
    expect(renderSynapseWorkers(specWith())).toEqual([]);
    const paths = renderSynapseWorkers(LARGE).map((f) => f.path);
    expect(paths).toEqual(workerInstances(LARGE.scale.workers).map((i) => `synapse/worker-${i.name}.yaml`));
    expect(paths).toHaveLength(18);
    for (const path of paths) expect(path.slice('synapse/'.length)).toMatch(/^[-._a-zA-Z0-9]+$/);
  });

  test('generic workers everywhere except the media repository', () => {
    expect(synapseWorkerApp('synchrotron')).toBe('synapse.app.generic_worker');
    expect(synapseWorkerApp('media-repository')).toBe('synapse.app.media_repository');
    expect(synapseWorkerConfig(LARGE, 'media-repository-0', 'media-repository').worker_app).toBe('synapse.app.media_repository');
  });

  test.each(SCALE_CASES)('each worker: its name, an HTTP listener on the Synapse port, metrics, main\'s log config ($name)', ({ spec }) => {
    for (const { name, group } of workerInstances(spec.scale.workers)) {
      const config: Obj = YAML.parse(renderSynapseWorkers(spec).find((f) => f.path === synapseWorkerFile(name))!.content);
      expect(config.worker_name).toBe(name);
      expect(config.worker_log_config).toBe(synapseConfig(spec).log_config);
      const http = config.worker_listeners.find((l: Obj) => l.port === PORTS.synapseHttp);
      expect(http).toMatchObject({ type: 'http', x_forwarded: true, bind_addresses: ['0.0.0.0'] });
      expect(http.resources[0].names).toEqual(group.role === 'media-repository' ? ['client', 'federation', 'media'] : ['client', 'federation']);
      expect(config.worker_listeners).toContainEqual({ port: PORTS.synapseMetrics, type: 'metrics', tls: false, bind_addresses: ['0.0.0.0'] });
    }
  });

  test.each(SCALE_CASES)('every stream writer has a replication listener, and no one else ($name)', ({ spec }) => {
    const writers = new Set(Object.values((synapseWorkerSettings(spec).stream_writers ?? {}) as Record<string, string[]>).flat());
    for (const { name, group } of workerInstances(spec.scale.workers)) {
      const replication = (synapseWorkerConfig(spec, name, group.role).worker_listeners as Obj[]).filter((l) =>
        l.resources?.some((r: Obj) => r.names.includes('replication')),
      );
      expect(replication.length).toBe(writers.has(name) ? 1 : 0);
      expect(isWriterRole(group.role)).toBe(writers.has(name));
      if (replication.length) expect(replication[0].port).toBe(PORTS.synapseReplication);
    }
  });

  test('a worker keeps main\'s database settings with the smaller worker pool', () => {
    const main = synapseConfig(LARGE).database as Obj;
    expect(effectiveConfig(LARGE, 'synchrotron-0').database).toEqual({
      ...main,
      args: { ...main.args, cp_min: WORKER_DATABASE_POOL.cpMin, cp_max: WORKER_DATABASE_POOL.cpMax },
    });
    expect(WORKER_DATABASE_POOL.cpMax).toBeLessThan(main.args.cp_max);
  });

  test('what a worker runs with still names every shared setting (the file replaces only its own keys)', () => {
    const config = effectiveConfig(LARGE, 'event-persister-1');
    expect(config.instance_map['event-persister-1']).toEqual({ host: 'synapse-event-persister-1', port: PORTS.synapseReplication });
    expect(config.redis.host).toBe('synapse-redis');
    expect(config.worker_name).toBe('event-persister-1');
  });

  test('no secret value in any worker file: secrets are paths under /secrets', () => {
    for (const file of renderSynapseWorkers(LARGE)) {
      expect(file.content).not.toMatch(/secret(?!_path)[a-z_]*:/i);
      expect(file.content).not.toMatch(/password/i);
    }
  });

  test('registered: renderAll writes the worker files, the router and Redis only with workers', () => {
    const large = renderAll(LARGE).map((f) => f.path);
    expect(large).toEqual(expect.arrayContaining(['synapse/worker-synchrotron-0.yaml', 'synapse-router/nginx.conf', 'synapse-redis/redis.conf']));
    const small = renderAll(specWith()).map((f) => f.path);
    expect(small.filter((p) => p.startsWith('synapse/worker-') || p.startsWith('synapse-router/') || p.startsWith('synapse-redis/'))).toEqual([]);
  });
});
