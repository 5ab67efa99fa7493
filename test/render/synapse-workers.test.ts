import { workerInstances } from '../../src/config/synapse-workers';
import { PORTS } from '../../src/ports';
import {
  hasWorkers,
  instancesOf,
  isWriterRole,
  mainReplicationListeners,
  STREAM_WRITER_STREAMS,
  SYNAPSE_PROCESS_HOSTS,
  SYNAPSE_REPLICATION_SECRET_FILE,
  synapseWorkerHost,
  synapseWorkerSettings,
} from '../../src/render/synapse-workers';
import { SCALE_CASES, specWith } from './fixtures';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const LARGE = specWith('size: large\nfederation:\n  mode: open\n');
const MEDIUM = specWith('size: medium\nfederation:\n  mode: open\n');

/** Streams Synapse allows exactly one writer for (synapse/config/workers.py of 1.163.2). */
const SINGLE_WRITER_STREAMS = ['typing', 'to_device', 'account_data', 'presence', 'push_rules'];

describe('the shared worker settings', () => {
  test('a single process gets none of them (homeserver.yaml as before workers existed)', () => {
    const small = specWith();
    expect(hasWorkers(small)).toBe(false);
    expect(synapseWorkerSettings(small)).toEqual({});
    expect(mainReplicationListeners(small)).toEqual([]);
    expect(synapseWorkerSettings(specWith('size: large\nscale:\n  synapse_workers: none\n'))).toEqual({});
  });

  test.each(SCALE_CASES.filter((c) => hasWorkers(c.spec)))('every writer is in instance_map at its Service and replication port ($name)', ({ spec }) => {
    const settings: Obj = synapseWorkerSettings(spec);
    const writers = [...new Set(Object.values(settings.stream_writers as Record<string, string[]>).flat())];
    expect(writers.length).toBeGreaterThan(0);
    for (const writer of [...writers, 'main']) expect(settings.instance_map[writer]).toBeDefined();
    expect(settings.instance_map.main).toEqual({ host: SYNAPSE_PROCESS_HOSTS.main, port: PORTS.synapseReplication });
    for (const [name, address] of Object.entries(settings.instance_map)) {
      if (name !== 'main') expect(address).toEqual({ host: synapseWorkerHost(name), port: PORTS.synapseReplication });
    }
    // Only writers (and main) are called over replication.
    const writerInstances = workerInstances(spec.scale.workers).filter((i) => isWriterRole(i.group.role)).map((i) => i.name);
    expect(Object.keys(settings.instance_map)).toEqual(['main', ...writerInstances]);
  });

  test('large: the event persisters write events, the stream writer exactly its six streams', () => {
    const settings: Obj = synapseWorkerSettings(LARGE);
    expect(settings.stream_writers).toEqual({
      events: ['event-persister-0', 'event-persister-1'],
      ...Object.fromEntries(STREAM_WRITER_STREAMS.map((stream) => [stream, ['stream-writer-0']])),
    });
    for (const stream of SINGLE_WRITER_STREAMS) expect(settings.stream_writers[stream]).toHaveLength(1);
  });

  test('medium: no stream writer, so main keeps the single-writer streams', () => {
    const settings: Obj = synapseWorkerSettings(MEDIUM);
    expect(settings.stream_writers).toEqual({ events: ['event-persister-0'] });
  });

  test.each(SCALE_CASES.filter((c) => hasWorkers(c.spec)))('single-writer streams never have two writers ($name)', ({ spec }) => {
    const writers: Obj = synapseWorkerSettings(spec).stream_writers as Obj;
    for (const stream of SINGLE_WRITER_STREAMS) expect((writers[stream] ?? ['main']).length).toBe(1);
  });

  test('senders, pushers, background jobs and the media repository go to their workers', () => {
    const settings: Obj = synapseWorkerSettings(LARGE);
    expect(settings.federation_sender_instances).toEqual(['federation-sender-0', 'federation-sender-1']);
    expect(settings.pusher_instances).toEqual(['pusher-0']);
    expect(settings.run_background_tasks_on).toBe('background-0');
    expect(settings.update_user_directory_from_worker).toBe('background-0');
    expect(settings.notify_appservices_from_worker).toBe('background-0');
    expect(settings.enable_media_repo).toBe(false);
    expect(settings.media_instance_running_background_jobs).toBe('media-repository-0');
  });

  test('roles the plan lacks leave their job on main: medium has no pusher', () => {
    expect(synapseWorkerSettings(MEDIUM)).not.toHaveProperty('pusher_instances');
  });

  test('closed federation: no federation workers and no sender list', () => {
    const closed = specWith('size: large\n');
    expect(closed.federation.mode).toBe('closed');
    expect(instancesOf(closed.scale.workers, 'federation-sender')).toEqual([]);
    expect(synapseWorkerSettings(closed)).not.toHaveProperty('federation_sender_instances');
    const names = workerInstances(closed.scale.workers).map((i) => i.name);
    expect(names.filter((n) => n.startsWith('federation-'))).toEqual([]);
  });

  test('Redis at its Service, the replication secret only as a file path', () => {
    const settings: Obj = synapseWorkerSettings(LARGE);
    expect(settings.redis).toEqual({ enabled: true, host: 'synapse-redis', port: PORTS.redis });
    expect(settings.worker_replication_secret_path).toBe(SYNAPSE_REPLICATION_SECRET_FILE);
    expect(settings).not.toHaveProperty('worker_replication_secret');
    expect(SYNAPSE_REPLICATION_SECRET_FILE.startsWith('/secrets/')).toBe(true);
  });

  test('main listens for replication on its own port, never on the client port', () => {
    expect(mainReplicationListeners(LARGE)).toEqual([
      { port: PORTS.synapseReplication, type: 'http', tls: false, bind_addresses: ['0.0.0.0'], resources: [{ names: ['replication'], compress: false }] },
    ]);
    expect(PORTS.synapseReplication).not.toBe(PORTS.synapseHttp);
  });

  test('Service names: synapse-<instance>, distinct from main, Redis and the router', () => {
    const hosts = workerInstances(LARGE.scale.workers).map((i) => synapseWorkerHost(i.name));
    expect(hosts).toContain('synapse-synchrotron-2');
    expect(new Set([...hosts, ...Object.values(SYNAPSE_PROCESS_HOSTS)]).size).toBe(hosts.length + 3);
    // Kubernetes Service names: DNS labels.
    for (const host of hosts) expect(host).toMatch(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/);
  });
});
