import { Construct } from 'constructs';
import { KubeObject } from './kube-object';
import {
  binaryQuantity,
  containerSecurityContext,
  POD_DEFAULTS,
  podSecurityContext,
  resources,
} from './workload';
import { componentLabels, selectorLabels } from '../labels';
import { PORTS } from '../../ports';
import { postgresArchiveSettings } from '../../render/backup';
import { backupAgent } from './backup';

import { type AppsContext, UID } from './apps-context';

export interface PostgresProps {
  /** The deployment's context. */
  readonly context: AppsContext;
}

/**
 * PostgreSQL as a plain StatefulSet: one primary on one node is what the single-node profiles
 * need, it has no CRD to order around (the kubernetes_manifest plan-time pitfall), and its data
 * sits on the persistent volume. Also the ConfigMap of the rendered database init scripts, which
 * the init containers of Synapse, MAS and Keycloak run.
 */
export class Postgres extends Construct {
  constructor(scope: Construct, id: string, props: PostgresProps) {
    super(scope, id);
    const ctx = props.context;
    const component = 'postgres';
    ctx.configMap(this, 'postgres');
    ctx.service(this, component, PORTS.postgres);
    const readiness = { exec: { command: ['pg_isready', '-U', 'postgres', '-h', '127.0.0.1'] } };
    const dataMounts = [
      { name: 'data', mountPath: '/var/lib/postgresql/data' },
      { name: 'run', mountPath: '/var/run/postgresql' },
    ];
    const backup = backupAgent(ctx, 'postgres', UID.postgres, dataMounts);
    // WAL goes to the backup agent (archive_command); without backups PostgreSQL runs as before.
    const settings = ctx.spec.backup.enabled ? Object.entries(postgresArchiveSettings()).flatMap(([key, value]) => ['-c', `${key}=${value}`]) : [];
    new KubeObject(this, 'statefulset', {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: component, namespace: ctx.ns, labels: componentLabels(ctx.spec.name, component) },
      spec: {
        serviceName: component,
        replicas: 1,
        selector: { matchLabels: selectorLabels(ctx.spec.name, component) },
        template: {
          metadata: {
            labels: componentLabels(ctx.spec.name, component),
            ...(backup.digest ? { annotations: { 'sovereign-matrix/backup-digest': backup.digest } } : {}),
          },
          spec: {
            ...POD_DEFAULTS,
            securityContext: podSecurityContext(UID.postgres),
            ...(backup.restore.length ? { initContainers: [...backup.restore, ...backup.sidecar] } : {}),
            containers: [
              {
                name: component,
                image: ctx.image.postgres,
                ...(settings.length ? { args: ['postgres', ...settings] } : {}),
                ports: [{ name: 'postgres', containerPort: PORTS.postgres }],
                env: [
                  { name: 'POSTGRES_PASSWORD', valueFrom: { secretKeyRef: { name: 'postgres-superuser', key: 'password' } } },
                  // Template databases in UTF8 with C collation: what Synapse requires of its database.
                  { name: 'POSTGRES_INITDB_ARGS', value: '--encoding=UTF8 --locale=C' },
                  { name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' },
                ],
                resources: resources(ctx.spec.size.postgres),
                securityContext: containerSecurityContext(UID.postgres),
                volumeMounts: [...dataMounts, { name: 'tmp', mountPath: '/tmp' }, ...backup.configMounts],
                readinessProbe: { ...readiness, periodSeconds: 10 },
                livenessProbe: { ...readiness, periodSeconds: 30, failureThreshold: 6 },
              },
            ],
            volumes: [
              { name: 'run', emptyDir: {} },
              { name: 'tmp', emptyDir: {} },
              ...backup.volumes,
            ],
          },
        },
        volumeClaimTemplates: [
          {
            metadata: { name: 'data' },
            spec: {
              accessModes: ['ReadWriteOnce'],
              ...(ctx.storageClass === undefined ? {} : { storageClassName: ctx.storageClass }),
              resources: { requests: { storage: binaryQuantity(ctx.volumeGiB(0.4), 'Gi') } },
            },
          },
        ],
      },
    }, { waitForRollout: true });
  }
}
