import { StatefulSetV1 } from '@cdktf/provider-kubernetes/lib/stateful-set-v1';
import {
  componentLabels,
  containerSecurityContext,
  POD_DEFAULTS,
  podSecurityContext,
  resources,
  selectorLabels,
} from './workload';
import { PORTS } from '../../ports';

import { type AppsContext, UID } from './apps-context';

/**
 * PostgreSQL as a plain StatefulSet: one primary on one node is what the single-node profiles
 * need, it has no CRD to order around (the kubernetes_manifest plan-time pitfall), and its data
 * sits on the persistent volume. The Synapse role and database are created by Synapse's init
 * container from the rendered init-synapse.sql.
 */
export function addPostgres(ctx: AppsContext): void {
  const component = 'postgres';
  ctx.service(component, PORTS.postgres);
  new StatefulSetV1(ctx.scope, 'postgres', {
    metadata: { name: component, namespace: ctx.ns, labels: componentLabels(ctx.spec.name, component) },
    waitForRollout: true,
    spec: {
      serviceName: component,
      replicas: '1',
      selector: { matchLabels: selectorLabels(ctx.spec.name, component) },
      template: {
        metadata: { labels: componentLabels(ctx.spec.name, component) },
        spec: {
          ...POD_DEFAULTS,
          securityContext: podSecurityContext(UID.postgres),
          container: [
            {
              name: component,
              image: ctx.image.postgres,
              port: [{ name: 'postgres', containerPort: PORTS.postgres }],
              env: [
                { name: 'POSTGRES_PASSWORD', valueFrom: { secretKeyRef: { name: 'postgres-superuser', key: 'password' } } },
                // Template databases in UTF8 with C collation: what Synapse requires of its database.
                { name: 'POSTGRES_INITDB_ARGS', value: '--encoding=UTF8 --locale=C' },
                { name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' },
              ],
              resources: resources(ctx.spec.size.postgres),
              securityContext: containerSecurityContext(UID.postgres),
              volumeMount: [
                { name: 'data', mountPath: '/var/lib/postgresql/data' },
                { name: 'run', mountPath: '/var/run/postgresql' },
                { name: 'tmp', mountPath: '/tmp' },
              ],
              readinessProbe: { exec: { command: ['pg_isready', '-U', 'postgres', '-h', '127.0.0.1'] }, periodSeconds: 10 },
              livenessProbe: { exec: { command: ['pg_isready', '-U', 'postgres', '-h', '127.0.0.1'] }, periodSeconds: 30, failureThreshold: 6 },
            },
          ],
          volume: [
            { name: 'run', emptyDir: {} },
            { name: 'tmp', emptyDir: {} },
          ],
        },
      },
      volumeClaimTemplate: [
        {
          metadata: { name: 'data' },
          spec: {
            accessModes: ['ReadWriteOnce'],
            storageClassName: ctx.storageClass,
            resources: { requests: { storage: ctx.volumeGiB(0.4) } },
          },
        },
      ],
    },
  });
}
