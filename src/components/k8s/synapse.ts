import { PersistentVolumeClaimV1 } from '@cdktf/provider-kubernetes/lib/persistent-volume-claim-v1';
import {
  componentLabels,
  containerSecurityContext,
  POD_DEFAULTS,
  podSecurityContext,
  resources,
  secretFileMounts,
  type SecretFile,
} from './workload';
import { PORTS } from '../../ports';
import { SYNAPSE_PASSWORD_VARIABLE } from '../../render/postgres';
import { SYNAPSE_PATHS, SYNAPSE_SECRET_FILES } from '../../render/synapse';
import { SYNAPSE_TURN_SECRET_PATH } from '../../render/turn';

import { type AppsContext, UID } from './apps-context';

/**
 * Synapse: one writer on a ReadWriteOnce volume (media, signing key), its database and role made
 * by an init container, the signing key generated on first start, secrets mounted as files and
 * the database password in libpq's environment.
 */
export function addSynapse(ctx: AppsContext): void {
  const component = 'synapse';
  const config = ctx.configMap('synapse');
  const database = ctx.databaseInit('init-synapse.sql', SYNAPSE_PASSWORD_VARIABLE, 'synapse-database', UID.synapse);
  const media = new PersistentVolumeClaimV1(ctx.scope, 'synapse-data', {
    metadata: { name: 'synapse-data', namespace: ctx.ns, labels: componentLabels(ctx.spec.name, component) },
    // A PVC that is still bound is never waited for; local-path binds on first use.
    waitUntilBound: false,
    spec: {
      accessModes: ['ReadWriteOnce'],
      storageClassName: ctx.storageClass,
      resources: { requests: { storage: ctx.volumeGiB(0.5) } },
    },
  });
  const secretFiles: SecretFile[] = [
    { secretName: 'synapse-secrets', key: 'macaroon-secret-key', path: SYNAPSE_SECRET_FILES.macaroonSecretKey },
    { secretName: 'synapse-secrets', key: 'form-secret', path: SYNAPSE_SECRET_FILES.formSecret },
    { secretName: 'mas-synapse-shared-secret', key: 'synapse-shared-secret', path: SYNAPSE_SECRET_FILES.masSharedSecret },
    ...(ctx.spec.calls.turn ? [{ secretName: 'turn-shared-secret', key: 'shared-secret', path: SYNAPSE_TURN_SECRET_PATH }] : []),
  ];
  const secrets = secretFileMounts(secretFiles);
  const dbPassword = { name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: 'synapse-database', key: 'password' } } };
  const mounts = [
    { name: 'config', mountPath: SYNAPSE_PATHS.config, readOnly: true },
    { name: 'data', mountPath: SYNAPSE_PATHS.data },
    { name: 'tmp', mountPath: '/tmp' },
    ...secrets.mounts,
  ];
  const homeserver = ['python', '-m', 'synapse.app.homeserver', '--config-path', `${SYNAPSE_PATHS.config}/homeserver.yaml`];
  ctx.service(component, PORTS.synapseHttp);
  ctx.deployment(component, { digest: config.digest, recreate: true, waitForRollout: true }, {
    ...POD_DEFAULTS,
    securityContext: podSecurityContext(UID.synapse),
    initContainer: [
      database.container,
      {
        // Creates the signing key on first start (on the persistent volume), then exits.
        name: 'generate-keys',
        image: ctx.image.synapse,
        command: [...homeserver, '--generate-keys'],
        env: [dbPassword],
        securityContext: containerSecurityContext(UID.synapse),
        volumeMount: mounts,
      },
    ],
    container: [
      {
        name: component,
        image: ctx.image.synapse,
        command: homeserver,
        env: [dbPassword],
        port: [
          { name: 'http', containerPort: PORTS.synapseHttp },
          { name: 'metrics', containerPort: PORTS.synapseMetrics },
        ],
        resources: resources(ctx.spec.size.synapse),
        securityContext: containerSecurityContext(UID.synapse),
        volumeMount: mounts,
        readinessProbe: { httpGet: { path: '/health', port: String(PORTS.synapseHttp) }, periodSeconds: 10 },
        livenessProbe: { httpGet: { path: '/health', port: String(PORTS.synapseHttp) }, periodSeconds: 30, failureThreshold: 5 },
        startupProbe: { httpGet: { path: '/health', port: String(PORTS.synapseHttp) }, periodSeconds: 10, failureThreshold: 60 },
      },
    ],
    volume: [
      { name: 'config', configMap: { name: config.name } },
      database.volume,
      { name: 'data', persistentVolumeClaim: { claimName: media.metadata.name } },
      { name: 'tmp', emptyDir: {} },
      ...secrets.volumes,
    ],
  });
}
