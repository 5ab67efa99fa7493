import {
  containerSecurityContext,
  POD_DEFAULTS,
  podSecurityContext,
  resources,
} from './workload';
import { PORTS } from '../../ports';
import { KEYCLOAK_ARGS, KEYCLOAK_MANAGEMENT_PATHS, KEYCLOAK_PATHS, KEYCLOAK_SECRET_ENV } from '../../render/keycloak';
import { KEYCLOAK_PASSWORD_VARIABLE } from '../../render/postgres';

import { type AppsContext, UID } from './apps-context';

/**
 * The bundled Keycloak (identity mode keycloak): its own database and role, the rendered realm
 * imported at first start, the rendered settings loaded from keycloak.env, health and metrics on
 * the management port for probes only. Its root filesystem stays writable: `kc.sh start`
 * re-builds the server into /opt/keycloak/lib when the database vendor or features differ from
 * the image's defaults.
 */
export function addKeycloak(ctx: AppsContext): void {
  const component = 'keycloak';
  const config = ctx.configMap('keycloak');
  const database = ctx.databaseInit('init-keycloak.sql', KEYCLOAK_PASSWORD_VARIABLE, 'keycloak-database', UID.keycloak);
  ctx.service(component, PORTS.keycloakHttp);
  const management = (path: string) => ({ httpGet: { path, port: String(PORTS.keycloakManagement) } });
  const fromSecret = (name: string, secret: string, key: string) => ({ name, valueFrom: { secretKeyRef: { name: secret, key } } });
  ctx.deployment(component, { digest: config.digest, recreate: true }, {
    ...POD_DEFAULTS,
    securityContext: podSecurityContext(UID.keycloak),
    initContainer: [database.container],
    container: [
      {
        name: component,
        image: ctx.image.keycloak,
        command: ['/bin/bash', '-c', `set -a && . /config/keycloak.env && set +a && exec /opt/keycloak/bin/kc.sh ${KEYCLOAK_ARGS.join(' ')}`],
        env: [
          fromSecret(KEYCLOAK_SECRET_ENV.dbPassword, 'keycloak-database', 'password'),
          fromSecret(KEYCLOAK_SECRET_ENV.bootstrapAdminUsername, 'keycloak-admin', 'username'),
          fromSecret(KEYCLOAK_SECRET_ENV.bootstrapAdminPassword, 'keycloak-admin', 'password'),
          fromSecret(KEYCLOAK_SECRET_ENV.masClientSecret, 'keycloak-mas-client', 'secret'),
        ],
        port: [
          { name: 'http', containerPort: PORTS.keycloakHttp },
          { name: 'management', containerPort: PORTS.keycloakManagement },
        ],
        resources: resources({ cpu: 0.5, memoryGiB: 1 }),
        securityContext: { ...containerSecurityContext(UID.keycloak), readOnlyRootFilesystem: false },
        volumeMount: [
          { name: 'config', mountPath: '/config', readOnly: true },
          { name: 'config', mountPath: KEYCLOAK_PATHS.realmFile, subPath: 'realm.json', readOnly: true },
        ],
        startupProbe: { ...management(KEYCLOAK_MANAGEMENT_PATHS.started), periodSeconds: 10, failureThreshold: 60 },
        readinessProbe: { ...management(KEYCLOAK_MANAGEMENT_PATHS.ready), periodSeconds: 10 },
        livenessProbe: { ...management(KEYCLOAK_MANAGEMENT_PATHS.live), periodSeconds: 30 },
      },
    ],
    volume: [{ name: 'config', configMap: { name: config.name } }, database.volume],
  });
}
