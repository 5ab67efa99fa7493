import { createHash } from 'node:crypto';
import { Construct } from 'constructs';
import { KubeObject } from './kube-object';
import {
  binaryQuantity,
  containerSecurityContext,
  POD_DEFAULTS,
  podSecurityContext,
  resources,
} from './workload';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IVolume } from 'kubernetes-models/v1/Volume';
import type { IVolumeMount } from 'kubernetes-models/v1/VolumeMount';
import { componentLabels, selectorLabels } from '../labels';
import { PORTS } from '../../ports';
import { postgresArchiveSettings } from '../../render/backup';
import { EXPORTER_QUERIES_FILE, exporterDataSource, postgresExporterArgs } from '../../render/postgres-exporter';
import { POSTGRES_DEFAULT_MAX_CONNECTIONS, postgresMaxConnections } from '../../render/postgres';
import { backupAgent } from './backup';
import type { DeploymentSpec } from '../../config/spec';

import { METRICS_PORT_NAMES, METRICS_PORTS } from './scraper';
import { type AppsContext, UID } from './apps-context';

export interface PostgresProps {
  /** The deployment's context. */
  readonly context: AppsContext;
}

/**
 * PostgreSQL as a plain StatefulSet: one primary on one node is what the single-node profiles
 * need, it has no CRD to order around (the kubernetes_manifest plan-time pitfall), and its data
 * sits on the persistent volume; postgres_exporter runs beside it for the scraper. Also the
 * ConfigMap of the rendered database init scripts (and the exporter's queries), which
 * the init containers of Synapse, MAS and Keycloak run.
 */
export class Postgres extends Construct {
  constructor(scope: Construct, id: string, props: PostgresProps) {
    super(scope, id);
    const ctx = props.context;
    const component = 'postgres';
    ctx.configMap(this, 'postgres');
    // postgres_exporter's port on the same Service, for the scraper only (network policies).
    ctx.service(this, component, PORTS.postgres, 'main', [{ name: METRICS_PORT_NAMES.postgres, port: METRICS_PORTS.postgres }]);
    const readiness = { exec: { command: ['pg_isready', '-U', 'postgres', '-h', '127.0.0.1'] } };
    const dataMounts = [
      { name: 'data', mountPath: '/var/lib/postgresql/data' },
      { name: 'run', mountPath: '/var/run/postgresql' },
    ];
    const backup = backupAgent(ctx, 'postgres', UID.postgres, dataMounts);
    const exporter = exporterSidecar(ctx, dataMounts[1]);
    // WAL goes to the backup agent (archive_command); without backups PostgreSQL runs as before.
    const settings = Object.entries({ ...postgresServerSettings(ctx.spec), ...(ctx.spec.backup.enabled ? postgresArchiveSettings() : {}) }).flatMap(([key, value]) => [
      '-c',
      `${key}=${value}`,
    ]);
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
            ...(backup.digest ? { annotations: { 'sovereign-matrix/backup-digest': backup.digest, ...exporter.annotations } } : {}),
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
              exporter.container,
            ],
            volumes: [
              { name: 'run', emptyDir: {} },
              { name: 'tmp', emptyDir: {} },
              ...backup.volumes,
              ...exporter.volumes,
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

/**
 * PostgreSQL's server settings besides WAL archiving, for either engine: `-c` arguments of the
 * bundled StatefulSet, `postgresql.parameters` of the CloudNativePG Cluster, so the two cannot
 * drift. max_connections holds every Synapse process's pool (postgresConnectionBudget); at
 * PostgreSQL's default it is left out, so a single-process deployment's pod is unchanged.
 */
export function postgresServerSettings(spec: DeploymentSpec): Record<string, string> {
  const maxConnections = postgresMaxConnections(spec);
  return maxConnections > POSTGRES_DEFAULT_MAX_CONNECTIONS ? { max_connections: String(maxConnections) } : {};
}

/** Where the exporter finds its custom queries (the postgres-config ConfigMap's file). */
const EXPORTER_QUERIES_DIR = '/etc/postgres-exporter';

/**
 * postgres_exporter beside PostgreSQL, for the scraper: it reads the server over the shared
 * socket directory (read-only: connecting to a socket needs no write access to its directory) as
 * the `metrics` role (src/render/postgres-exporter.ts says why without a password). It runs as
 * the image's `nobody`, not as postgres, and mounts nothing else of the pod, so it cannot read
 * the data directory. Its queries file exists with backups on; when it changes the pod restarts
 * (the exporter reads it at start), which only a kit upgrade does.
 */
function exporterSidecar(ctx: AppsContext, socket: IVolumeMount): { container: IContainer; volumes: IVolume[]; annotations: Record<string, string> } {
  const queries = ctx.files.find((f) => f.path === `postgres/${EXPORTER_QUERIES_FILE}`);
  const container: IContainer = {
    name: 'metrics',
    image: ctx.image.postgresExporter,
    args: postgresExporterArgs(ctx.spec, PORTS.postgresExporter, EXPORTER_QUERIES_DIR),
    env: [{ name: 'DATA_SOURCE_NAME', value: exporterDataSource(socket.mountPath) }],
    ports: [{ name: METRICS_PORT_NAMES.postgres, containerPort: METRICS_PORTS.postgres }],
    // Its landing page: up without touching the database (a scrape would, every probe).
    readinessProbe: { httpGet: { path: '/', port: PORTS.postgresExporter }, periodSeconds: 10 },
    livenessProbe: { httpGet: { path: '/', port: PORTS.postgresExporter }, periodSeconds: 30, failureThreshold: 5 },
    resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '128Mi' } },
    securityContext: containerSecurityContext(UID.nobody),
    volumeMounts: [
      { ...socket, readOnly: true },
      ...(queries ? [{ name: 'exporter-queries', mountPath: EXPORTER_QUERIES_DIR, readOnly: true }] : []),
    ],
  };
  if (!queries) return { container, volumes: [], annotations: {} };
  return {
    container,
    volumes: [{ name: 'exporter-queries', configMap: { name: 'postgres-config', items: [{ key: EXPORTER_QUERIES_FILE, path: EXPORTER_QUERIES_FILE }] } }],
    annotations: { 'sovereign-matrix/exporter-digest': createHash('sha256').update(queries.content).digest('hex').slice(0, 16) },
  };
}
