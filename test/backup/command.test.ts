/**
 * The backup commands' own logic: what they ask the cluster, in which order, and what they refuse.
 * kubectl is replaced by a script that records its arguments and answers the agents' listings (the
 * agents themselves are proven against the real tools by test/integration/backup-drill.test.ts).
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLUSTER_BACKUP_YAML, cli, CNPG_YAML, tempDir, VALID_YAML } from '../helpers';
import { PGBACKREST_INFO, RESTIC_SNAPSHOTS, T } from './samples';

let dir: string;
let log: string;
let file: string;

/** Each kubectl call as the argument list after --namespace <ns>. */
function calls(): string[][] {
  if (!existsSync(log)) return [];
  return readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as string[])
    .map((argv) => argv.slice(argv.indexOf('--namespace') + 2));
}

beforeEach(() => {
  dir = tempDir();
  log = join(dir, 'kubectl.log');
  const kubectl = join(dir, 'kubectl');
  writeFileSync(join(dir, 'info.json'), PGBACKREST_INFO);
  writeFileSync(join(dir, 'snapshots.json'), RESTIC_SNAPSHOTS);
  writeFileSync(
    kubectl,
    `#!/usr/bin/env node
const fs = require('node:fs');
const argv = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify(argv) + '\\n');
const line = argv.join(' ');
if (process.env.FAKE_KUBECTL_FAIL && line.includes(process.env.FAKE_KUBECTL_FAIL)) { process.stderr.write('error: pods "postgres-0" is forbidden\\n'); process.exit(1); }
if (line.includes('postgres list')) process.stdout.write(fs.readFileSync(${JSON.stringify(join(dir, 'info.json'))}, 'utf8'));
else if (line.includes('files list')) process.stdout.write(fs.readFileSync(${JSON.stringify(join(dir, 'snapshots.json'))}, 'utf8'));
else if (line.includes('pg_is_in_recovery')) process.stdout.write('f\\n');
else if (line.includes(' backup')) process.stderr.write('backup-agent: backup finished\\n');
`,
  );
  chmodSync(kubectl, 0o755);
  process.env.KUBECTL = kubectl;
  file = join(dir, 'cluster.yaml');
  writeFileSync(file, VALID_YAML.replace(/  hetzner:\n(    .*\n)+/, '  kubernetes:\n    context: prod\n') + CLUSTER_BACKUP_YAML);
});

afterEach(() => {
  delete process.env.KUBECTL;
  delete process.env.FAKE_KUBECTL_FAIL;
});

const agent = (kind: string, ...args: string[]) => expect.arrayContaining(['sh', '/backup/backup-agent.sh', kind, ...args]);

describe('restore', () => {
  it('refuses without a terminal or --yes --confirm, and touches nothing', async () => {
    const result = await cli('restore', file, '--to', 'latest');
    expect(result.code).toBe(11);
    expect(result.stderr).toMatch(/pass --yes --confirm <name>/);
    expect((await cli('restore', file, '--to', 'latest', '--yes', '--confirm', 'other')).code).toBe(2);
    expect(calls()).toEqual([]);
  });

  it('refuses a moment before the oldest backup after reading the listings, and changes nothing', async () => {
    const result = await cli('restore', file, '--to', new Date((T.full - 3600) * 1000).toISOString(), '--yes', '--confirm', 'ministry');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/the oldest restorable moment is 2026-11-29 02:00:05Z/);
    expect(calls().every((c) => c.includes('list'))).toBe(true);
  });

  it('stops the writers before PostgreSQL is restored, drops one-time keys before they start again', async () => {
    const to = new Date((T.diff + 600) * 1000).toISOString();
    const result = await cli('restore', file, '--to', to, '--yes', '--confirm', 'ministry');
    expect(result.stderr).toContain('PostgreSQL: from base backup 20261130-020000F_20261130-020001D');
    expect(result.stderr).toContain('Files: snapshot 4f1e2d3c');
    expect(result.code).toBe(0);
    const steps = calls().filter((c) => !c.includes('list'));
    const index = (predicate: (c: string[]) => boolean) => steps.findIndex(predicate);
    const filesRequest = index((c) => c.includes('request-restore') && c.includes('files'));
    const pgRequest = index((c) => c.includes('request-restore') && c.includes('postgres'));
    const stopSynapse = index((c) => c[0] === 'scale' && c[1] === 'deployment/synapse' && c[2] === '--replicas=0');
    const stopMas = index((c) => c[0] === 'scale' && c[1] === 'deployment/mas' && c[2] === '--replicas=0');
    const restart = index((c) => c[0] === 'delete' && c[2] === 'postgres-0');
    const keys = index((c) => c.includes('/backup/after-restore.sql'));
    const startSynapse = index((c) => c[0] === 'scale' && c[1] === 'deployment/synapse' && c[2] === '--replicas=1');
    expect(steps[filesRequest]).toEqual(agent('files', 'request-restore', '4f1e2d3c'.padEnd(64, '0')));
    expect(steps[pgRequest]).toEqual(agent('postgres', 'request-restore', '2026-11-30 02:10:00+00'));
    expect(filesRequest).toBeLessThan(stopSynapse);
    expect(Math.max(stopSynapse, stopMas)).toBeLessThan(pgRequest);
    expect(pgRequest).toBeLessThan(restart);
    expect(restart).toBeLessThan(keys);
    expect(steps[keys]).toEqual(expect.arrayContaining(['-d', 'synapse']));
    expect(keys).toBeLessThan(startSynapse);
    expect(steps.some((c) => c[1] === 'deployment/keycloak')).toBe(false);
  });

  it('with Synapse workers, stops every worker with the main process before PostgreSQL is restored and starts them after', async () => {
    writeFileSync(file, `${readFileSync(file, 'utf8')}scale:\n  synapse_workers: medium\n`);
    const result = await cli('restore', file, '--to', 'latest', '--yes', '--confirm', 'ministry');
    expect(result.code).toBe(0);
    const steps = calls().filter((c) => !c.includes('list'));
    const index = (predicate: (c: string[]) => boolean) => steps.findIndex(predicate);
    const pgRequest = index((c) => c.includes('request-restore') && c.includes('postgres'));
    for (const worker of ['synapse-synchrotron-0', 'synapse-event-persister-0', 'synapse-media-repository-0', 'synapse-background-0']) {
      const stop = index((c) => c[0] === 'scale' && c[1] === `deployment/${worker}` && c[2] === '--replicas=0');
      const start = index((c) => c[0] === 'scale' && c[1] === `deployment/${worker}` && c[2] === '--replicas=1');
      expect({ worker, stoppedFirst: stop >= 0 && stop < pgRequest, startedAfter: start > pgRequest }).toEqual({ worker, stoppedFirst: true, startedAfter: true });
    }
  });

  it('reports a failing cluster step with kubectl’s words and exit 14', async () => {
    process.env.FAKE_KUBECTL_FAIL = 'pod postgres-0';
    const result = await cli('restore', file, '--to', 'latest', '--yes', '--confirm', 'ministry');
    expect(result.code).toBe(14);
    expect(result.stderr).toMatch(/restarting pod postgres-0 failed \(exit 1\):\n  error: pods "postgres-0" is forbidden/);
    // The operator learns what is left stopped and how to go on.
    expect(result.stderr).toMatch(/synapse and mas are stopped: fix the cause and run the same restore again/);
  });
});

describe('backups and backup', () => {
  it('lists both repositories with age and the point-in-time window', async () => {
    const result = await cli('backups', file);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Backups of ministry in https://s3.example-eu.eu/ministry-backups/sovereign-matrix/ministry');
    expect(result.stdout).toMatch(/20261129-020000F +full {2}2026-11-29 02:00:05Z/);
    expect(result.stdout).toContain('point-in-time recovery: from 2026-11-29 02:00:05Z');
    expect(result.stdout).toMatch(/9a8b7c6d {2}2026-11-30 02:30:00Z .* ago {2}4\.9 MiB \(97\.7 KiB new\)/);
  });

  it('exits 13 when the newest backup is older than --max-age, and gives the ages as JSON', async () => {
    const old = await cli('backups', file, '--max-age', '1');
    expect(old.code).toBe(13);
    expect(old.stderr).toMatch(/the newest database and files backup is .* old .* \(allowed: 1 h\)/);
    const json = await cli('backups', file, '--json', '--max-age', '1000000');
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout);
    expect(parsed.newest).toEqual({ database: T.diff + 3, files: T.diff + 1800 });
    expect(parsed.newest_age_seconds.database).toBeGreaterThan(0);
    expect((await cli('backups', file, '--max-age', 'soon')).code).toBe(2);
  });

  it('takes both backups in their agents and prints what was saved', async () => {
    const result = await cli('backup', file, '--full');
    expect(result.code).toBe(0);
    expect(calls().filter((c) => c.includes('backup') && !c.includes('list'))).toEqual([agent('postgres', 'backup', 'full'), agent('files', 'backup')]);
    expect(result.stdout).toContain('PostgreSQL: 20261130-020000F_20261130-020001D (diff)');
    expect(result.stdout).toContain('Files: snapshot 9a8b7c6d');
    expect((await cli('backup', file, '--only', 'media')).code).toBe(2);
  });

  it('needs the cluster credentials on Hetzner, and refuses a deployment without backups or with CloudNativePG', async () => {
    const hetzner = join(dir, 'hetzner.yaml');
    writeFileSync(hetzner, VALID_YAML);
    const result = await cli('backups', hetzner);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/pass --kubeconfig/);
    const off = join(dir, 'off.yaml');
    writeFileSync(off, `${VALID_YAML}backup:\n  enabled: false\n`);
    expect((await cli('backups', off)).stderr).toMatch(/has backups turned off/);
    const cnpg = join(dir, 'cnpg.yaml');
    writeFileSync(cnpg, CNPG_YAML);
    for (const args of [['backups'], ['backup'], ['restore', '--to', 'latest']]) {
      const refused = await cli(args[0]!, cnpg, ...args.slice(1));
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/runs PostgreSQL as a CloudNativePG Cluster .*cover the bundled PostgreSQL only/);
      expect(refused.stderr).not.toMatch(/\n\s+at /);
    }
    expect(calls()).toEqual([]);
  });
});
