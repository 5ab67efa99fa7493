import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import YAML from 'yaml';
import type { DeploymentSpec } from '../../src/config/spec';
import { workerInstances } from '../../src/config/synapse-workers';
import { renderAll } from '../../src/render';
import { SYNAPSE_SECRET_FILES } from '../../src/render/synapse';
import { synapseWorkerFile } from '../../src/render/synapse-worker-files';
import { SYNAPSE_REPLICATION_SECRET_FILE } from '../../src/render/synapse-workers';
import { SYNAPSE_TURN_SECRET_PATH } from '../../src/render/turn';
import { tempDir } from '../helpers';
import { specWith } from '../render/fixtures';
import { overlaySynapseConfig } from './overlay';
import { installSynapse } from './synapse-run';

/**
 * Real Synapse (the pinned release) loads homeserver.yaml plus each rendered worker file exactly
 * as a worker process does (`-c homeserver.yaml -c worker-<name>.yaml`), through the documented
 * overlay (mount points only), and reports what it made of them: who it is, which streams it
 * writes, which duties it runs. Loading the configuration needs no database; booting the
 * processes together is test/integration/synapse-workers.test.ts.
 */

/** What Synapse's own configuration classes say about one process. */
interface Parsed {
  readonly error?: string;
  readonly instance: string;
  readonly app: string | null;
  readonly writers: Record<string, string[]>;
  readonly instanceMap: string[];
  readonly replicationListener: boolean;
  readonly sendFederation: boolean;
  readonly startPushers: boolean;
  readonly backgroundTasks: boolean;
  readonly appservices: boolean;
  readonly userDirectory: boolean;
  readonly mediaRepo: boolean;
  readonly redis: boolean;
}

const PROBE = `
import json, sys
from synapse.config._base import ConfigError
from synapse.config.homeserver import HomeServerConfig
STREAMS = ["events", "typing", "to_device", "account_data", "receipts", "presence", "push_rules", "device_lists", "thread_subscriptions", "quarantined_media_changes"]
result = {}
for files in sys.argv[1:]:
    args = [a for f in files.split(",") for a in ("-c", f)]
    try:
        c = HomeServerConfig.load_config("", args)
    except ConfigError as e:
        result[files] = {"error": str(e)}
        continue
    w = c.worker
    listeners = w.worker_listeners if w.worker_app else c.server.listeners
    result[files] = {
        "instance": w.instance_name,
        "app": w.worker_app,
        "writers": {s: list(getattr(w.writers, s)) for s in STREAMS},
        "instanceMap": sorted(w.instance_map),
        "replicationListener": any(l.http_options and any("replication" in r.names for r in l.http_options.resources) for l in listeners),
        "sendFederation": w.send_federation,
        "startPushers": w.start_pushers,
        "backgroundTasks": w.run_background_tasks,
        "appservices": w.should_notify_appservices,
        "userDirectory": w.should_update_user_directory,
        "mediaRepo": c.media.can_load_media_repo,
        "redis": c.redis.redis_enabled,
    }
print(json.dumps(result))
`;

let python: string;

beforeAll(() => {
  python = installSynapse();
});

/** Writes the overlaid files; returns the comma-joined config paths of main and of every worker. */
function prepare(spec: DeploymentSpec, mutate: (homeserver: Record<string, unknown>) => void = () => undefined): { main: string; workers: Map<string, string> } {
  const dir = tempDir('sm-worker-config-');
  const mounts = { '/data': join(dir, 'data'), '/config': join(dir, 'config'), '/secrets': join(dir, 'secrets') };
  for (const d of Object.values(mounts)) mkdirSync(d, { recursive: true });
  mkdirSync(join(mounts['/data'], 'keys'), { recursive: true });
  const files = new Map(renderAll(spec).map((f) => [f.path, f.content]));
  const overlay = (content: string) => overlaySynapseConfig(content, { mounts, ports: {}, databaseHost: '127.0.0.1' });
  const homeserver = YAML.parse(overlay(files.get('synapse/homeserver.yaml')!));
  mutate(homeserver);
  const main = join(mounts['/config'], 'homeserver.yaml');
  writeFileSync(main, YAML.stringify(homeserver));
  writeFileSync(join(mounts['/config'], 'log.config'), files.get('synapse/log.config')!);
  for (const secret of [...Object.values(SYNAPSE_SECRET_FILES), SYNAPSE_TURN_SECRET_PATH, SYNAPSE_REPLICATION_SECRET_FILE]) {
    const path = join(mounts['/secrets'], secret.slice('/secrets'.length));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  }
  const keys = spawnSync(python, ['-m', 'synapse.app.homeserver', '-c', main, '--generate-keys'], { cwd: dir, encoding: 'utf8' });
  if (keys.status !== 0) throw new Error(`synapse --generate-keys failed:\n${keys.stderr}`);
  const workers = new Map<string, string>();
  for (const { name } of workerInstances(spec.scale.workers)) {
    const path = join(mounts['/config'], `worker-${name}.yaml`);
    writeFileSync(path, overlay(files.get(synapseWorkerFile(name))!));
    workers.set(name, `${main},${path}`);
  }
  return { main, workers };
}

function parse(configs: string[]): Record<string, Parsed> {
  const run = spawnSync(python, ['-c', PROBE, ...configs], { encoding: 'utf8', timeout: 5 * 60_000 });
  if (run.status !== 0) throw new Error(`the probe failed:\n${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').pop()!) as Record<string, Parsed>;
}

describe.each([
  ['large', specWith('size: large\nfederation:\n  mode: open\n')],
  ['medium', specWith('size: medium\nfederation:\n  mode: open\n')],
  ['large, closed federation', specWith('size: large\n')],
] as const)('Synapse %s loads every process\'s configuration', (_name, spec) => {
  let processes: Map<string, Parsed>;
  let roles: Map<string, string>;
  beforeAll(() => {
    const { main, workers } = prepare(spec);
    const parsed = parse([main, ...workers.values()]);
    processes = new Map([['main', parsed[main]], ...[...workers].map(([name, files]) => [name, parsed[files]] as const)]);
    roles = new Map([['main', 'main'], ...workerInstances(spec.scale.workers).map((i) => [i.name, i.group.role] as const)]);
  });

  it('without a configuration error, each under its own name and application', () => {
    for (const [name, parsed] of processes) {
      expect([name, parsed.error]).toEqual([name, undefined]);
      expect(parsed.instance).toBe(name === 'main' ? 'master' : name);
      const role = roles.get(name);
      expect(parsed.app).toBe(role === 'main' ? null : role === 'media-repository' ? 'synapse.app.media_repository' : 'synapse.app.generic_worker');
      expect(parsed.redis).toBe(true);
    }
  });

  it('every process agrees on the writers; every writer has a replication listener and is in instance_map', () => {
    const [first, ...rest] = [...processes.values()];
    for (const parsed of rest) expect(parsed.writers).toEqual(first.writers);
    const writers = new Set(Object.values(first.writers).flat().map((w) => (w === 'master' ? 'main' : w)));
    for (const writer of writers) {
      expect(processes.get(writer)!.replicationListener).toBe(true);
      expect(first.instanceMap).toContain(writer);
    }
    for (const [name, parsed] of processes) expect([name, parsed.replicationListener]).toEqual([name, writers.has(name)]);
  });

  it('each duty runs exactly where the preset puts it', () => {
    const where = (duty: keyof Parsed) => [...processes].filter(([, p]) => p[duty] === true).map(([name]) => roles.get(name));
    const has = (role: string) => [...roles.values()].includes(role);
    expect(where('backgroundTasks')).toEqual(['background']);
    expect(where('appservices')).toEqual(['background']);
    expect(where('userDirectory')).toEqual(['background']);
    expect(where('mediaRepo')).toEqual(['media-repository']);
    expect(new Set(where('sendFederation'))).toEqual(new Set([has('federation-sender') ? 'federation-sender' : 'main']));
    expect(new Set(where('startPushers'))).toEqual(new Set([has('pusher') ? 'pusher' : 'main']));
  });
});

describe('Synapse refuses what the tests above rely on it to check', () => {
  it('a stream writer missing from instance_map is a configuration error', () => {
    const spec = specWith('size: large\nfederation:\n  mode: open\n');
    const { workers } = prepare(spec, (homeserver) => {
      delete (homeserver.instance_map as Record<string, unknown>)['stream-writer-0'];
    });
    const files = workers.get('synchrotron-0')!;
    expect(parse([files])[files].error).toMatch(/stream-writer-0.*instance_map/);
  });
});
