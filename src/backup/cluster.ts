import { spawnSync } from 'node:child_process';
import type { DeploymentSpec } from '../config/spec';
import { BACKUP_CONTAINER, BACKUP_POD_COMPONENT, type BackupKind } from '../components/k8s/backup';
import { namespaceName } from '../render/namespace';
import { selectorLabels } from '../components/labels';
import { BACKUP_FILES, BACKUP_PATHS } from '../render/backup';

/** Where the cluster is: the deployment's kubeconfig context, or the operator's override. */
export interface ClusterAccess {
  readonly context?: string;
  readonly kubeconfig?: string;
  /** The kubectl binary ($KUBECTL, else kubectl on PATH). */
  readonly kubectl?: string;
}

/** A kubectl call failed; `detail` is what it printed. */
export class ClusterError extends Error {
  constructor(
    message: string,
    readonly detail: string,
  ) {
    super(message);
  }
}

/** kubectl itself is missing. */
export class KubectlMissing extends Error {}

/**
 * The deployment's namespace through kubectl: the backup commands only need exec, scale, delete
 * and rollout status, which every cluster gives an operator who can deploy. kubectl is the one
 * client every Kubernetes distribution supports for exec, so the kit does not speak the exec
 * protocol itself.
 */
export class Cluster {
  readonly ns: string;
  private readonly base: string[];
  private readonly binary: string;

  constructor(
    readonly spec: DeploymentSpec,
    access: ClusterAccess,
  ) {
    this.ns = namespaceName(spec);
    this.binary = access.kubectl ?? process.env.KUBECTL ?? 'kubectl';
    this.base = [
      ...(access.kubeconfig ? ['--kubeconfig', access.kubeconfig] : []),
      ...(access.context ? ['--context', access.context] : []),
      '--namespace',
      this.ns,
    ];
  }

  /** Runs kubectl; returns stdout. stderr goes to `onLog` line by line when given. */
  kubectl(args: readonly string[], what: string, options: { timeoutSeconds?: number; onLog?: (line: string) => void } = {}): string {
    const result = spawnSync(this.binary, [...this.base, ...args], {
      encoding: 'utf8',
      env: process.env,
      maxBuffer: 64 * 1024 * 1024,
      timeout: (options.timeoutSeconds ?? 300) * 1000,
    });
    if (result.error && (result.error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new KubectlMissing(`${this.binary} not found: the backup commands run kubectl (install it, or set KUBECTL to its path)`);
    }
    const stderr = result.stderr ?? '';
    if (options.onLog) for (const line of stderr.split('\n').filter(Boolean)) options.onLog(line);
    if (result.status !== 0) {
      const why = result.error ? String(result.error.message) : `exit ${result.status}`;
      throw new ClusterError(`${what} failed (${why})`, stderr.trim().split('\n').slice(-15).join('\n'));
    }
    return result.stdout ?? '';
  }

  /** The pod (controller) a kind's agent runs in. */
  agentTarget(kind: BackupKind): string {
    return kind === 'postgres' ? 'statefulset/postgres' : `deployment/${BACKUP_POD_COMPONENT[kind]}`;
  }

  /** `backup-agent.sh <kind> <args>` in the running agent sidecar. */
  agent(kind: BackupKind, args: readonly string[], what: string, options: { timeoutSeconds?: number; onLog?: (line: string) => void } = {}): string {
    return this.kubectl(
      ['exec', this.agentTarget(kind), '-c', BACKUP_CONTAINER, '--', 'sh', `${BACKUP_PATHS.config}/${BACKUP_FILES.agent}`, kind, ...args],
      what,
      options,
    );
  }

  scale(kind: 'deployment' | 'statefulset', name: string, replicas: number): void {
    this.kubectl(['scale', `${kind}/${name}`, `--replicas=${replicas}`], `scaling ${kind}/${name} to ${replicas}`);
  }

  /** Waits until a controller's pods are gone (after scaling to 0) or rolled out. */
  waitGone(component: string, timeoutSeconds: number): void {
    this.kubectl(
      ['wait', '--for=delete', 'pod', '--selector', Object.entries(selectorLabels(this.spec.name, component)).map(([k, v]) => `${k}=${v}`).join(','), `--timeout=${timeoutSeconds}s`],
      `waiting for the ${component} pods to stop`,
      { timeoutSeconds: timeoutSeconds + 30 },
    );
  }

  rolloutStatus(target: string, timeoutSeconds: number): void {
    this.kubectl(['rollout', 'status', target, `--timeout=${timeoutSeconds}s`], `waiting for ${target}`, { timeoutSeconds: timeoutSeconds + 30 });
  }

  /** SQL as the PostgreSQL superuser, in the PostgreSQL container (over its Unix socket). */
  psql(database: string, args: readonly string[], what: string): string {
    return this.kubectl(['exec', 'statefulset/postgres', '-c', 'postgres', '--', 'psql', '-X', '-v', 'ON_ERROR_STOP=1', '-U', 'postgres', '-d', database, ...args], what);
  }

  deletePod(name: string): void {
    this.kubectl(['delete', 'pod', name, '--wait=true'], `restarting pod ${name}`, { timeoutSeconds: 600 });
  }
}
