import { Construct } from 'constructs';
import {
  containerSecurityContext,
  POD_DEFAULTS,
  podSecurityContext,
  resources,
  secretFileMounts,
} from './workload';
import { MAS_CONFIG_ENV, MAS_HEALTH_PATH, MAS_LISTENERS, MAS_PATHS, MAS_SECRET_FILES, masUpstreamClientSecretSource } from '../../render/mas';
import { MAS_PASSWORD_VARIABLE } from '../../render/postgres';

import { type AppsContext, UID } from './apps-context';

/**
 * Matrix Authentication Service, in front of Synapse in every identity mode. Its image has no
 * shell: every secret is a file it reads (`*_file` options), never a placeholder. It migrates
 * its database and syncs the configured upstream provider at start.
 */
export interface MasProps {
  /** The deployment's context. */
  readonly context: AppsContext;
}

export class Mas extends Construct {
  constructor(scope: Construct, id: string, props: MasProps) {
    super(scope, id);
    const ctx = props.context;
    const component = 'mas';
    const config = ctx.configMap(this, 'mas');
    const database = ctx.databaseInit('init-mas.sql', MAS_PASSWORD_VARIABLE, 'mas-database', UID.mas);
    const upstream = masUpstreamClientSecretSource(ctx.spec).kind !== 'none';
    const secrets = secretFileMounts(
      [
        { key: 'encryption-key', path: MAS_SECRET_FILES.encryptionKey },
        { key: 'signing-key-rsa.pem', path: MAS_SECRET_FILES.signingKeyRsa },
        { key: 'database-password', path: MAS_SECRET_FILES.databasePassword },
        { key: 'synapse-shared-secret', path: MAS_SECRET_FILES.synapseSharedSecret },
        ...(upstream ? [{ key: 'upstream-client-secret', path: MAS_SECRET_FILES.upstreamClientSecret }] : []),
      ].map((f) => ({ ...f, secretName: 'mas-secrets' })),
    );
    // The web listener, then the internal one (health and /metrics) for the scraper; network
    // policies open it to the scraper only, and no ingress route leads to it.
    ctx.service(this, component, MAS_LISTENERS.web.port, 'web', [{ name: MAS_LISTENERS.internal.name, port: MAS_LISTENERS.internal.port }]);
    const health = { httpGet: { path: MAS_HEALTH_PATH, port: MAS_LISTENERS.internal.port } };
    ctx.deployment(this, component, { digest: config.digest }, {
      ...POD_DEFAULTS,
      securityContext: podSecurityContext(UID.mas),
      initContainers: [database.container],
      containers: [
        {
          name: component,
          image: ctx.image.mas,
          args: ['server'],
          env: [{ name: MAS_CONFIG_ENV, value: MAS_PATHS.config }],
          ports: [
            { name: 'web', containerPort: MAS_LISTENERS.web.port },
            { name: 'internal', containerPort: MAS_LISTENERS.internal.port },
          ],
          resources: resources({ cpu: 0.25, memoryGiB: 0.25 }),
          securityContext: containerSecurityContext(UID.mas),
          volumeMounts: [{ name: 'config', mountPath: MAS_PATHS.configDir, readOnly: true }, { name: 'tmp', mountPath: '/tmp' }, ...secrets.mounts],
          readinessProbe: { ...health, periodSeconds: 10 },
          livenessProbe: { ...health, periodSeconds: 30 },
        },
      ],
      volumes: [{ name: 'config', configMap: { name: config.name } }, { name: 'tmp', emptyDir: {} }, database.volume, ...secrets.volumes],
    });
  }
}
