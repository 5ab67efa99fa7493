import { Construct } from 'constructs';
import type { IEnvVar } from 'kubernetes-models/v1/EnvVar';
import type { IVolume } from 'kubernetes-models/v1/Volume';
import type { IVolumeMount } from 'kubernetes-models/v1/VolumeMount';
import { KubeObject } from './kube-object';
import {
  binaryQuantity,
  containerSecurityContext,
  POD_DEFAULTS,
  podSecurityContext,
  resources,
  secretFileMounts,
  type SecretFile,
} from './workload';
import { componentLabels } from '../labels';
import { PORTS } from '../../ports';
import { backupAgent } from './backup';
import { SYNAPSE_PASSWORD_VARIABLE } from '../../render/postgres';
import { METRICS_INIT_FILE } from '../../render/postgres-exporter';
import { SYNAPSE_PATHS, SYNAPSE_SECRET_FILES } from '../../render/synapse';
import { SYNAPSE_TURN_SECRET_PATH } from '../../render/turn';
import { hasWorkers, SYNAPSE_REPLICATION_SECRET_FILE } from '../../render/synapse-workers';

import { METRICS_PORT_NAMES, METRICS_PORTS } from './scraper';
import { type AppsContext, UID } from './apps-context';

export interface SynapseProps {
  /** The deployment's context. */
  readonly context: AppsContext;
}

/** The key of synapse-secrets that holds the workers' replication secret. */
export const REPLICATION_SECRET_KEY = 'worker-replication-secret';

/** What every Synapse process's pod shares with the main process's (workers reuse it). */
export interface SynapseProcessPod {
  readonly env: IEnvVar[];
  /** Config, data volume (read-only unless `writable`), /tmp and the secret files. */
  mounts(writable: boolean): IVolumeMount[];
  /** The config ConfigMap, data volume, /tmp and the secret volumes. */
  readonly volumes: IVolume[];
  /** Restarts every process when the shared configuration changes. */
  readonly digest: string;
}

/**
 * Synapse: one writer on a ReadWriteOnce volume (media, signing key), its database and role made
 * by an init container, the signing key generated on first start, secrets mounted as files and
 * the database password in libpq's environment.
 */
export class Synapse extends Construct {
  /** For the workers (synapse-workers.ts): the same configuration, secrets and volume. */
  readonly process: SynapseProcessPod;

  constructor(scope: Construct, id: string, props: SynapseProps) {
    super(scope, id);
    const ctx = props.context;
    const component = 'synapse';
    const config = ctx.configMap(this, 'synapse');
    // Also the exporter's role (init-metrics.sql): it needs the superuser over the network, which
    // the exporter beside PostgreSQL does not have, and Synapse's init runs on every start.
    const database = ctx.databaseInit('init-synapse.sql', SYNAPSE_PASSWORD_VARIABLE, 'synapse-database', UID.synapse, [METRICS_INIT_FILE]);
    new KubeObject(this, 'data', {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'synapse-data', namespace: ctx.ns, labels: componentLabels(ctx.spec.name, component) },
      spec: {
        accessModes: ['ReadWriteOnce'],
        ...(ctx.storageClass === undefined ? {} : { storageClassName: ctx.storageClass }),
        resources: { requests: { storage: binaryQuantity(ctx.volumeGiB(0.5), 'Gi') } },
      },
    });
    const secretFiles: SecretFile[] = [
      { secretName: 'synapse-secrets', key: 'macaroon-secret-key', path: SYNAPSE_SECRET_FILES.macaroonSecretKey },
      { secretName: 'synapse-secrets', key: 'form-secret', path: SYNAPSE_SECRET_FILES.formSecret },
      { secretName: 'mas-synapse-shared-secret', key: 'synapse-shared-secret', path: SYNAPSE_SECRET_FILES.masSharedSecret },
      ...(ctx.spec.calls.turn ? [{ secretName: 'turn-shared-secret', key: 'shared-secret', path: SYNAPSE_TURN_SECRET_PATH }] : []),
      // Processes authenticate their replication requests to each other with it.
      ...(hasWorkers(ctx.spec) ? [{ secretName: 'synapse-secrets', key: REPLICATION_SECRET_KEY, path: SYNAPSE_REPLICATION_SECRET_FILE }] : []),
    ];
    const secrets = secretFileMounts(secretFiles);
    const dbPassword = { name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: 'synapse-database', key: 'password' } } };
    const mounts = [
      { name: 'config', mountPath: SYNAPSE_PATHS.config, readOnly: true },
      { name: 'data', mountPath: SYNAPSE_PATHS.data },
      { name: 'tmp', mountPath: '/tmp' },
      ...secrets.mounts,
    ];
    // Media and the signing key: a requested restore runs before the key would be generated.
    this.process = {
      env: [dbPassword],
      mounts: (writable) => mounts.map((m) => (m.name === 'data' && !writable ? { ...m, readOnly: true } : m)),
      volumes: [
        { name: 'config', configMap: { name: config.name } },
        { name: 'data', persistentVolumeClaim: { claimName: 'synapse-data' } },
        { name: 'tmp', emptyDir: {} },
        ...secrets.volumes,
      ],
      digest: config.digest,
    };
    const backup = backupAgent(ctx, 'files', UID.synapse, [
      { name: 'data', mountPath: SYNAPSE_PATHS.data },
      { name: 'config', mountPath: SYNAPSE_PATHS.config, readOnly: true },
    ]);
    const homeserver = ['python', '-m', 'synapse.app.homeserver', '--config-path', `${SYNAPSE_PATHS.config}/homeserver.yaml`];
    const health = { httpGet: { path: '/health', port: PORTS.synapseHttp } };
    // The metrics listener is on the Service for the scraper; only it may connect (network policies).
    // With workers, the main process also answers their replication requests.
    const replication = hasWorkers(ctx.spec) ? [{ name: 'replication', port: PORTS.synapseReplication }] : [];
    ctx.service(this, component, PORTS.synapseHttp, 'main', [{ name: METRICS_PORT_NAMES.synapse, port: METRICS_PORTS.synapse }, ...replication]);
    const digest = backup.digest ? `${config.digest}-${backup.digest}` : config.digest;
    ctx.deployment(this, component, { digest, recreate: true }, {
      ...POD_DEFAULTS,
      securityContext: podSecurityContext(UID.synapse),
      initContainers: [
        database.container,
        ...backup.restore,
        {
          // Creates the signing key on first start (on the persistent volume), then exits.
          name: 'generate-keys',
          image: ctx.image.synapse,
          command: [...homeserver, '--generate-keys'],
          env: [dbPassword],
          securityContext: containerSecurityContext(UID.synapse),
          volumeMounts: mounts,
        },
        ...backup.sidecar,
      ],
      containers: [
        {
          name: component,
          image: ctx.image.synapse,
          command: homeserver,
          env: [dbPassword],
          ports: [
            { name: 'http', containerPort: PORTS.synapseHttp },
            { name: METRICS_PORT_NAMES.synapse, containerPort: METRICS_PORTS.synapse },
            ...replication.map((p) => ({ name: p.name, containerPort: p.port })),
          ],
          resources: resources(ctx.spec.scale.workers.main),
          securityContext: containerSecurityContext(UID.synapse),
          volumeMounts: mounts,
          readinessProbe: { ...health, periodSeconds: 10 },
          livenessProbe: { ...health, periodSeconds: 30, failureThreshold: 5 },
          startupProbe: { ...health, periodSeconds: 10, failureThreshold: 60 },
        },
      ],
      volumes: [
        { name: 'config', configMap: { name: config.name } },
        database.volume,
        { name: 'data', persistentVolumeClaim: { claimName: 'synapse-data' } },
        { name: 'tmp', emptyDir: {} },
        ...secrets.volumes,
        ...backup.volumes,
      ],
    });
  }
}
