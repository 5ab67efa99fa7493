import type { Command } from 'commander';
import { EXIT, ExitStatus } from '../shared/exit-codes';
import type { Output } from '../shared/output';
import { loadDeploymentFiles } from '../config/load';
import { workerInstances } from '../config/synapse-workers';
import { synapseWorkerHost } from '../render/synapse-workers';
import { ownsNode } from '../config/node-target';
import type { DeploymentSpec } from '../config/spec';
import type { BackupKind } from '../components/k8s/backup';
import { BACKUP_FILES, BACKUP_PATHS, PGBACKREST_STANZA } from '../render/backup';
import { SYNAPSE_DATABASE } from '../render/synapse';
import { clusterCredentialOutputs } from '../../stacks/contract';
import { stackName } from '../../stacks/naming';
import { Cluster, ClusterError, KubectlMissing, type ClusterAccess } from './cluster';
import {
  formatAge,
  formatBytes,
  formatTime,
  InventoryFormatError,
  newestBackups,
  parsePgbackrestInfo,
  parseResticSnapshots,
  parseRestoreTarget,
  pgbackrestTime,
  restorePlan,
  type Inventory,
} from './inventory';

/** How the commands talk to the operator; tests replace it. */
export interface BackupIO {
  readonly isTTY: boolean;
  ask(question: string): Promise<string>;
  now(): number;
}

interface AccessOptions {
  context?: string;
  kubeconfig?: string;
}

/** A refusal with its exit code; printed once, never with a stack trace. */
class Refusal extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

/** `backup`, `backups` and `restore`, registered on the CLI's program. */
export function registerBackupCommands(program: Command, output: Output, io: BackupIO): void {
  const access = (command: Command) =>
    command
      .argument('<file>', 'deployment file')
      .option('--context <name>', 'kubeconfig context of the cluster (default: target.kubernetes.context)')
      .option('--kubeconfig <file>', 'kubeconfig file (default: target.kubernetes.kubeconfig, KUBECONFIG, ~/.kube/config)');

  access(program.command('backup'))
    .description('Take a backup now (PostgreSQL base backup and a files snapshot), wait for it, and print what was saved.')
    .option('--only <kind>', 'postgres or files (default: both)')
    .option('--full', 'a full PostgreSQL backup instead of a differential one')
    .action((file: string, options: AccessOptions & { only?: string; full?: boolean }) =>
      guard(output, 'backup', async () => {
        const { spec, cluster } = open(file, options);
        const kinds = kindsOf(options.only);
        for (const kind of kinds) {
          output.err(`backup ${spec.name}: ${kind === 'postgres' ? 'PostgreSQL (pgBackRest)' : 'media, signing key and configuration (restic)'} ...`);
          const started = io.now();
          cluster.agent(kind, ['backup', ...(kind === 'postgres' && options.full ? ['full'] : [])], `the ${kind} backup`, {
            timeoutSeconds: 6 * 3600,
            onLog: (line) => output.err(`  ${line}`),
          });
          output.err(`  done in ${formatAge(io.now() - started)}`);
        }
        const inventory = readInventory(cluster);
        const newest = inventory.database.backups.at(-1);
        if (kinds.includes('postgres') && newest) {
          output.out(`PostgreSQL: ${newest.label} (${newest.type}), finished ${formatTime(newest.finished)}, database ${formatBytes(newest.databaseBytes)}, stored ${formatBytes(newest.repositoryBytes)}`);
        }
        const snapshot = inventory.files.at(-1);
        if (kinds.includes('files') && snapshot) {
          output.out(`Files: snapshot ${snapshot.shortId} at ${formatTime(snapshot.time)} of ${snapshot.paths.join(', ')}${snapshot.totalBytes !== undefined ? `, ${formatBytes(snapshot.totalBytes)} (${formatBytes(snapshot.addedBytes ?? 0)} new)` : ''}`);
        }
      }),
    );

  access(program.command('backups'))
    .description('List the backups in the bucket with age and size, and the window point-in-time recovery covers.')
    .option('--json', 'print JSON (for scripts and monitoring)')
    .option('--max-age <hours>', `exit with ${EXIT.unhealthy} when the newest successful backup of either kind is older than this`)
    .action((file: string, options: AccessOptions & { json?: boolean; maxAge?: string }) =>
      guard(output, 'backups', async () => {
        const { spec, cluster } = open(file, options);
        const maxAge = options.maxAge === undefined ? undefined : Number(options.maxAge);
        if (maxAge !== undefined && !(maxAge > 0)) throw new Refusal(`--max-age '${options.maxAge}' is not a number of hours above 0`, EXIT.usage);
        const inventory = readInventory(cluster);
        const now = io.now();
        const newest = newestBackups(inventory);
        const ages = { database: newest.database === undefined ? undefined : now - newest.database, files: newest.files === undefined ? undefined : now - newest.files };
        if (options.json) {
          output.out(JSON.stringify({ deployment: spec.name, now, newest, newest_age_seconds: ages, ...inventory }, null, 2));
        } else {
          printInventory(spec, inventory, now, output);
        }
        if (maxAge !== undefined) {
          const stale = (['database', 'files'] as const).filter((k) => ages[k] === undefined || ages[k]! > maxAge * 3600);
          if (stale.length > 0) {
            output.err(`backups ${spec.name}: the newest ${stale.join(' and ')} backup is ${stale.map((k) => (ages[k] === undefined ? 'missing' : `${formatAge(ages[k]!)} old`)).join(' / ')} (allowed: ${maxAge} h)`);
            throw new ExitStatus(EXIT.unhealthy);
          }
        }
      }),
    );

  access(program.command('restore'))
    .description('Restore the running deployment to a moment (PostgreSQL point in time, the newest files snapshot before it): stops Synapse, MAS and Keycloak, restores, starts them again.')
    .requiredOption('--to <time>', 'latest, or a time with its zone such as 2026-12-06T14:05:00Z')
    .option('--yes', 'do not ask (needs --confirm)')
    .option('--confirm <name>', 'the deployment name, to restore without asking')
    .option('--timeout <minutes>', 'how long to wait for the restore to finish', '60')
    .action((file: string, options: AccessOptions & { to: string; yes?: boolean; confirm?: string; timeout: string }) =>
      guard(output, 'restore', async () => {
        const { spec, cluster } = open(file, options);
        const target = parseRestoreTarget(options.to, io.now());
        if (typeof target === 'object') throw new Refusal(`--to: ${target.invalid}`, EXIT.usage);
        const timeout = Number(options.timeout) * 60;
        if (!(timeout > 0)) throw new Refusal(`--timeout '${options.timeout}' is not a number of minutes above 0`, EXIT.usage);
        if (options.yes && options.confirm !== spec.name) {
          throw new Refusal(`--yes needs --confirm ${spec.name} (the deployment name) to restore without asking`, EXIT.usage);
        }
        if (!options.yes && !io.isTTY) throw new Refusal('stdin is not a terminal, so the deployment name cannot be typed; pass --yes --confirm <name>', EXIT.notConfirmed);

        const plan = restorePlan(readInventory(cluster), target);
        if ('refused' in plan) throw new Refusal(`cannot restore to ${options.to}: ${plan.refused}`, EXIT.usage);
        const when = target === 'latest' ? 'the newest archived moment' : formatTime(target);
        output.err(`restore ${spec.name} to ${when}:`);
        output.err(`  PostgreSQL: from base backup ${plan.database.label} (${formatTime(plan.database.finished)}), then the write-ahead log up to ${when}`);
        output.err(plan.files ? `  Files: snapshot ${plan.files.shortId} of ${formatTime(plan.files.time)}` : '  Files: no snapshot at or before that moment; media and signing key stay as they are');
        output.err(`  ${writers(spec).join(', ')} are stopped meanwhile; everything written after that moment is lost.`);
        if (!options.yes) {
          const answer = await io.ask(`Type the deployment name (${spec.name}) to restore it: `);
          if (answer !== spec.name) throw new Refusal('not confirmed; nothing was changed', EXIT.notConfirmed);
        }
        const started = io.now();
        try {
          await runRestore(spec, cluster, target, plan.files?.id, timeout, output);
        } catch (error) {
          if (error instanceof ClusterError) {
            const names = writers(spec);
            const scaleUp = names.map((n) => `deployment/${n}`).join(' ');
            throw new ClusterError(
              error.message,
              `${error.detail}\n${names.join(' and ')} are stopped: fix the cause and run the same restore again (a restore already requested runs once), or start them as they were with kubectl --namespace ${cluster.ns} scale ${scaleUp} --replicas=1`,
            );
          }
          throw error;
        }
        output.out(`Restored ${spec.name} to ${when} in ${formatAge(io.now() - started)}. Clients log in again where their sessions are newer than that moment; one-time keys were dropped, as Synapse's backup guide asks.`);
      }),
    );
}

/** The applications that write to the database, stopped while it is restored: every Synapse process too. */
function writers(spec: DeploymentSpec): string[] {
  const workers = workerInstances(spec.scale.workers).map((instance) => synapseWorkerHost(instance.name));
  return ['synapse', ...workers, 'mas', ...(spec.identity.mode === 'keycloak' ? ['keycloak'] : [])];
}

/**
 * The restore, in the order Synapse's backup guide implies: nothing writes while PostgreSQL is
 * restored; the files restore is requested while Synapse still runs (its agent is the one that
 * can write the request) and happens in Synapse's first init container when it starts again,
 * before the signing key would be generated.
 */
async function runRestore(spec: DeploymentSpec, cluster: Cluster, target: number | 'latest', snapshot: string | undefined, timeout: number, output: Output): Promise<void> {
  const step = (text: string) => output.err(`  ${text}`);
  if (snapshot) {
    step(`requesting the files restore of snapshot ${snapshot.slice(0, 8)}`);
    cluster.agent('files', ['request-restore', snapshot], 'requesting the files restore');
  }
  for (const name of writers(spec)) {
    step(`stopping ${name}`);
    cluster.scale('deployment', name, 0);
  }
  for (const name of writers(spec)) cluster.waitGone(name, 300);
  step('requesting the PostgreSQL restore and restarting PostgreSQL');
  cluster.agent('postgres', ['request-restore', target === 'latest' ? 'latest' : pgbackrestTime(target)], 'requesting the PostgreSQL restore');
  cluster.deletePod('postgres-0');
  step('waiting for PostgreSQL to replay the write-ahead log and leave recovery');
  cluster.rolloutStatus('statefulset/postgres', timeout);
  await waitUntilPromoted(cluster, timeout);
  step('dropping one-time keys (Synapse backup guide)');
  cluster.psql(SYNAPSE_DATABASE.database, ['-f', `${BACKUP_PATHS.config}/${BACKUP_FILES.afterRestore}`], 'dropping one-time keys');
  for (const name of writers(spec)) {
    step(`starting ${name}`);
    cluster.scale('deployment', name, 1);
  }
  for (const name of writers(spec)) cluster.rolloutStatus(`deployment/${name}`, timeout);
}

async function waitUntilPromoted(cluster: Cluster, timeoutSeconds: number): Promise<void> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    try {
      if (cluster.psql('postgres', ['-At', '-c', 'SELECT pg_is_in_recovery()'], 'asking PostgreSQL whether it is in recovery').trim() === 'f') return;
    } catch (error) {
      if (!(error instanceof ClusterError)) throw error;
    }
    if (Date.now() > deadline) throw new Refusal(`PostgreSQL is still in recovery after ${timeoutSeconds / 60} minutes; see kubectl logs statefulset/postgres -c restore`, EXIT.unhealthy);
    await new Promise((resolve) => setTimeout(resolve, 3000));
  }
}

function readInventory(cluster: Cluster): Inventory {
  return {
    database: parsePgbackrestInfo(cluster.agent('postgres', ['list'], 'listing the PostgreSQL backups'), PGBACKREST_STANZA),
    files: parseResticSnapshots(cluster.agent('files', ['list'], 'listing the files snapshots')),
  };
}

function printInventory(spec: DeploymentSpec, inventory: Inventory, now: number, output: Output): void {
  const where = spec.backup.enabled ? `${spec.backup.s3.endpoint}/${spec.backup.s3.bucket}/${spec.backup.s3.keyPrefix}` : '';
  output.out(`Backups of ${spec.name} in ${where}`);
  output.out(`PostgreSQL (pgBackRest, ${inventory.database.status}):`);
  if (inventory.database.backups.length === 0) output.out('  none yet');
  for (const b of inventory.database.backups) {
    output.out(`  ${b.label.padEnd(26)} ${b.type.padEnd(4)}  ${formatTime(b.finished)}  ${formatAge(now - b.finished).padStart(12)} ago  database ${formatBytes(b.databaseBytes)}, stored ${formatBytes(b.repositoryBytes)}${b.error ? '  (checksum errors)' : ''}`);
  }
  const oldest = inventory.database.backups.find((b) => !b.error);
  if (oldest && inventory.database.wal) {
    output.out(`  point-in-time recovery: from ${formatTime(oldest.finished)} to the newest archived WAL (${inventory.database.wal.max}; at most a minute behind)`);
  }
  output.out('Files (restic: media, signing key, configuration):');
  if (inventory.files.length === 0) output.out('  none yet');
  for (const s of inventory.files) {
    const size = s.totalBytes === undefined ? '' : `  ${formatBytes(s.totalBytes)} (${formatBytes(s.addedBytes ?? 0)} new)`;
    output.out(`  ${s.shortId}  ${formatTime(s.time)}  ${formatAge(now - s.time).padStart(12)} ago${size}`);
  }
}

function kindsOf(only: string | undefined): BackupKind[] {
  if (only === undefined) return ['postgres', 'files'];
  if (only === 'postgres' || only === 'files') return [only];
  throw new Refusal(`--only '${only}' is not postgres or files`, EXIT.usage);
}

function open(file: string, options: AccessOptions): { spec: DeploymentSpec; cluster: Cluster } {
  const [{ spec }] = loadDeploymentFiles([file]);
  if (spec.scale.postgres.engine === 'cloudnative-pg') {
    throw new Refusal(
      `${spec.name} runs PostgreSQL as a CloudNativePG Cluster (scale.postgres.engine in ${file}); the kit's backup, restore and drill cover the bundled PostgreSQL only: use CloudNativePG's own backups (docs/backups.md)`,
      EXIT.usage,
    );
  }
  if (!spec.backup.enabled) throw new Refusal(`${spec.name} has backups turned off (backup.enabled: false in ${file})`, EXIT.usage);
  const target = spec.target;
  const access: ClusterAccess =
    target.kind === 'kubernetes'
      ? { context: options.context ?? target.context, kubeconfig: options.kubeconfig ?? target.kubeconfig }
      : { context: options.context, kubeconfig: options.kubeconfig };
  if (ownsNode(target) && !options.kubeconfig && !options.context) {
    throw new Refusal(
      `on ${target.kind === 'hetzner' ? 'Hetzner' : 'OpenStack'} the cluster is the deployment's k3s node: pass --kubeconfig for it (write one with: sovereign-matrix kubeconfig ${file} --write <path>; it is made from the outputs ${credentialOutputs()} of ${stackName(spec, 'infra')})`,
      EXIT.usage,
    );
  }
  return { spec, cluster: new Cluster(spec, access) };
}

/** The infra stack's outputs a kubeconfig for the k3s node is made from (`a, b, c and d`). */
function credentialOutputs(): string {
  const outputs = clusterCredentialOutputs();
  return `${outputs.slice(0, -1).join(', ')} and ${outputs[outputs.length - 1]}`;
}

async function guard(output: Output, command: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    if (error instanceof Refusal) {
      output.err(`sovereign-matrix ${command}: ${error.message}`);
      throw new ExitStatus(error.code);
    }
    if (error instanceof KubectlMissing) {
      output.err(`sovereign-matrix ${command}: ${error.message}`);
      throw new ExitStatus(EXIT.toolFailed);
    }
    if (error instanceof InventoryFormatError) {
      output.err(`sovereign-matrix ${command}: the backup agent printed something unexpected: ${error.message}`);
      throw new ExitStatus(EXIT.backupFailed);
    }
    if (error instanceof ClusterError) {
      output.err(`sovereign-matrix ${command}: ${error.message}:`);
      error.detail.split('\n').forEach((line) => output.err(`  ${line}`));
      throw new ExitStatus(EXIT.backupFailed);
    }
    throw error;
  }
}
