import { Construct } from 'constructs';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IEnvVar } from 'kubernetes-models/v1/EnvVar';
import type { IVolume } from 'kubernetes-models/v1/Volume';
import type { IVolumeMount } from 'kubernetes-models/v1/VolumeMount';
import { containerSecurityContext } from './workload';
import { BACKUP_FILES, BACKUP_PATHS, BACKUP_SECRET_ENV } from '../../render/backup';

import { type AppsContext } from './apps-context';

/** The Secret with the bucket credentials and the encryption passphrase (deploy-time inputs). */
export const BACKUP_SECRET = 'backup-credentials';

/** What each agent backs up, and so which pod it runs in. */
export type BackupKind = keyof typeof BACKUP_SECRET_ENV;

/** The pod a kind's agent runs in (its data volume lives there). */
export const BACKUP_POD_COMPONENT: Record<BackupKind, string> = { postgres: 'postgres', files: 'synapse' };

/** Name of the agent's sidecar container, which the CLI's backup commands exec into. */
export const BACKUP_CONTAINER = 'backup';

export interface BackupProps {
  /** The deployment's context. */
  readonly context: AppsContext;
}

/**
 * The ConfigMap of the rendered agent, which the agents in the PostgreSQL and Synapse pods run.
 * (Their egress to the bucket is one of the NetworkPolicies.)
 */
export class Backup extends Construct {
  constructor(scope: Construct, id: string, props: BackupProps) {
    super(scope, id);
    if (props.context.spec.backup.enabled) props.context.configMap(this, 'backup');
  }
}

/** What a pod adds for its backup agent; empty when backups are off. */
export interface BackupAgentParts {
  /** First init container: a restore the operator asked for, before anything else starts. */
  readonly restore: IContainer[];
  /** The agent, as a sidecar (an init container that keeps running beside the main one). */
  readonly sidecar: IContainer[];
  readonly volumes: IVolume[];
  /** For the main container, where it runs a rendered script (PostgreSQL's archive_command). */
  readonly configMounts: IVolumeMount[];
  /** Pod annotation value that changes (and restarts the pod) when the backup files change. */
  readonly digest: string;
}

/**
 * The restore init container and the agent sidecar for one pod. `dataMounts` are the pod's
 * volumes the agent reads (and a restore writes); both run as the pod's user, so the files they
 * restore belong to the service. The image's own entrypoint is not used: the rendered agent is
 * the whole program.
 */
export function backupAgent(ctx: AppsContext, kind: BackupKind, uid: number, dataMounts: readonly IVolumeMount[]): BackupAgentParts {
  if (!ctx.spec.backup.enabled) return { restore: [], sidecar: [], volumes: [], configMounts: [], digest: '' };
  const configMount: IVolumeMount = { name: 'backup-config', mountPath: BACKUP_PATHS.config, readOnly: true };
  const env: IEnvVar[] = Object.entries(BACKUP_SECRET_ENV[kind]).map(([name, key]) => ({
    name,
    valueFrom: { secretKeyRef: { name: BACKUP_SECRET, key } },
  }));
  // restic keeps an index cache; pgBackRest its lock files. Both in the pod's scratch space.
  env.push(kind === 'files' ? { name: 'RESTIC_CACHE_DIR', value: '/tmp/restic-cache' } : { name: 'PGBACKREST_LOCK_PATH', value: '/tmp/pgbackrest' });
  const mounts: IVolumeMount[] = [
    configMount,
    { name: 'backup-tmp', mountPath: '/tmp' },
    ...dataMounts,
  ];
  const container = (name: string, command: string, resources: IContainer['resources']): IContainer => ({
    name,
    image: kind === 'postgres' ? ctx.image.pgbackrest : ctx.image.restic,
    command: ['sh', `${BACKUP_PATHS.config}/${BACKUP_FILES.agent}`, kind, command],
    env,
    resources,
    securityContext: containerSecurityContext(uid),
    volumeMounts: mounts,
  });
  const small = { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '1Gi' } };
  return {
    restore: [container('restore', 'restore-pending', small)],
    // restartPolicy Always on an init container makes it a sidecar (Kubernetes 1.29+): it starts
    // before the main container, which needs it for restore_command, and runs beside it.
    sidecar: [{ ...container(BACKUP_CONTAINER, 'run', small), restartPolicy: 'Always' }],
    volumes: [
      { name: 'backup-config', configMap: { name: 'backup-config' } },
      { name: 'backup-tmp', emptyDir: {} },
    ],
    configMounts: [configMount],
    digest: ctx.configDigest('backup'),
  };
}
