import { Construct } from 'constructs';
import {
  containerSecurityContext,
  POD_DEFAULTS,
  podSecurityContext,
  resources,
} from './workload';
import { PORTS } from '../../ports';
import { KEYCLOAK_ARGS, KEYCLOAK_MANAGEMENT_PATHS, KEYCLOAK_PATHS, KEYCLOAK_RECONCILE, KEYCLOAK_SECRET_ENV } from '../../render/keycloak';
import { KEYCLOAK_PASSWORD_VARIABLE } from '../../render/postgres';

import { type AppsContext, UID } from './apps-context';

/** Where the reconciliation container notes that its run is over (an in-memory emptyDir). */
const RECONCILE_STATE = '/run/realm-reconcile';
const RECONCILE_ATTEMPTS = 3;

/**
 * The reconciliation container's program: keycloak/reconcile.sh (which waits for Keycloak itself)
 * up to RECONCILE_ATTEMPTS times, 20 s apart, then `result` in RECONCILE_STATE (`succeeded` or
 * `failed`) and sleep until the pod stops. A failure stays in the log and in `result`; it never
 * stops Keycloak, which serves the realm as it was.
 */
const RECONCILE_PROGRAM = [
  "trap 'kill $! 2>/dev/null; exit 0' TERM INT",
  'result=failed',
  `for attempt in ${Array.from({ length: RECONCILE_ATTEMPTS }, (_, i) => i + 1).join(' ')}; do`,
  `  if /bin/bash /config/${KEYCLOAK_RECONCILE.script}; then result=succeeded; break; fi`,
  `  echo "realm-reconcile: attempt $attempt of ${RECONCILE_ATTEMPTS} failed" >&2`,
  `  if [ "$attempt" -lt ${RECONCILE_ATTEMPTS} ]; then sleep 20 & wait $!; fi`,
  'done',
  `echo "$result" > ${RECONCILE_STATE}/result`,
  'if [ "$result" = failed ]; then echo "realm-reconcile: gave up; the realm keeps its previous settings until the next start (kubectl rollout restart deployment/keycloak)" >&2; fi',
  'sleep infinity & wait $!',
].join('\n');

/**
 * The bundled Keycloak (identity mode keycloak): its own database and role, the rendered realm
 * imported at first start, the rendered settings loaded from keycloak.env, health and metrics on
 * the management port for probes only. Its root filesystem stays writable: `kc.sh start`
 * re-builds the server into /opt/keycloak/lib when the database vendor or features differ from
 * the image's defaults.
 *
 * A second container, realm-reconcile (same image, read-only root), applies the kit-managed parts
 * of the rendered realm to the existing realm after every start (keycloak/reconcile.sh, through
 * kcadm.sh as the bootstrap administrator over 127.0.0.1): Keycloak's import skips a realm it
 * already has. A changed rendered file changes the config digest, so the pod restarts and the
 * change is applied. The container is ready once its run is over, whatever the outcome, so the
 * pod takes traffic after the realm was brought up to date, and a failing run delays that by its
 * attempts (about a minute) instead of taking Keycloak offline.
 */
export interface KeycloakProps {
  /** The deployment's context. */
  readonly context: AppsContext;
}

export class Keycloak extends Construct {
  constructor(scope: Construct, id: string, props: KeycloakProps) {
    super(scope, id);
    const ctx = props.context;
    const component = 'keycloak';
    const config = ctx.configMap(this, 'keycloak');
    const database = ctx.databaseInit('init-keycloak.sql', KEYCLOAK_PASSWORD_VARIABLE, 'keycloak-database', UID.keycloak);
    ctx.service(this, component, PORTS.keycloakHttp);
    const management = (path: string) => ({ httpGet: { path, port: PORTS.keycloakManagement } });
    const fromSecret = (name: string, secret: string, key: string) => ({ name, valueFrom: { secretKeyRef: { name: secret, key } } });
    const adminAndClient = [
      fromSecret(KEYCLOAK_SECRET_ENV.bootstrapAdminUsername, 'keycloak-admin', 'username'),
      fromSecret(KEYCLOAK_SECRET_ENV.bootstrapAdminPassword, 'keycloak-admin', 'password'),
      fromSecret(KEYCLOAK_SECRET_ENV.masClientSecret, 'keycloak-mas-client', 'secret'),
    ];
    const shell = (script: string) => ({ exec: { command: ['/bin/bash', '-c', script] } });
    ctx.deployment(this, component, { digest: config.digest, recreate: true }, {
      ...POD_DEFAULTS,
      securityContext: podSecurityContext(UID.keycloak),
      initContainers: [database.container],
      containers: [
        {
          name: component,
          image: ctx.image.keycloak,
          command: ['/bin/bash', '-c', `set -a && . /config/keycloak.env && set +a && exec /opt/keycloak/bin/kc.sh ${KEYCLOAK_ARGS.join(' ')}`],
          env: [fromSecret(KEYCLOAK_SECRET_ENV.dbPassword, 'keycloak-database', 'password'), ...adminAndClient],
          ports: [
            { name: 'http', containerPort: PORTS.keycloakHttp },
            { name: 'management', containerPort: PORTS.keycloakManagement },
          ],
          resources: resources({ cpu: 0.5, memoryGiB: 1 }),
          // The one writable root file system of the kit (docs/security-model.md): Keycloak's start
          // writes its optimised build into the image's installation directory.
          securityContext: { ...containerSecurityContext(UID.keycloak), readOnlyRootFilesystem: false },
          volumeMounts: [
            { name: 'config', mountPath: '/config', readOnly: true },
            { name: 'config', mountPath: KEYCLOAK_PATHS.realmFile, subPath: 'realm.json', readOnly: true },
          ],
          startupProbe: { ...management(KEYCLOAK_MANAGEMENT_PATHS.started), periodSeconds: 10, failureThreshold: 60 },
          readinessProbe: { ...management(KEYCLOAK_MANAGEMENT_PATHS.ready), periodSeconds: 10 },
          livenessProbe: { ...management(KEYCLOAK_MANAGEMENT_PATHS.live), periodSeconds: 30 },
        },
        {
          name: 'realm-reconcile',
          image: ctx.image.keycloak,
          command: ['/bin/bash', '-c', RECONCILE_PROGRAM],
          env: adminAndClient,
          // kcadm.sh runs a small JVM for a few seconds per call (-Xmx64m, see reconcile.sh).
          resources: resources({ cpu: 0.05, memoryGiB: 0.125 }),
          securityContext: containerSecurityContext(UID.keycloak),
          volumeMounts: [
            { name: 'config', mountPath: '/config', readOnly: true },
            { name: 'realm-reconcile', mountPath: RECONCILE_STATE },
          ],
          readinessProbe: { ...shell(`test -e ${RECONCILE_STATE}/result`), periodSeconds: 5 },
          // Every kcadm call has a time limit, so the run always ends; alive means the program runs.
          livenessProbe: { ...shell('kill -0 1'), periodSeconds: 60 },
        },
      ],
      volumes: [
        { name: 'config', configMap: { name: config.name } },
        database.volume,
        { name: 'realm-reconcile', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } },
      ],
    });
  }
}
