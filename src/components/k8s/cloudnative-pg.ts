import { Construct } from 'constructs';
import { KubeObject } from './kube-object';
import { binaryQuantity, resources } from './workload';
import { postgresServerSettings } from './postgres';
import { METRICS_PORT_NAMES, METRICS_PORTS } from './scraper';
import { componentLabels, LABEL, selectorLabels } from '../labels';
import { PORTS } from '../../ports';
import { SYNAPSE_UPSTREAMS } from '../../render/synapse';
import type { DeploymentSpec } from '../../config/spec';
import { type AppsContext } from './apps-context';

/**
 * The Cluster's name. The apps reach the database at SYNAPSE_UPSTREAMS.postgres, which is the
 * kit's own Service in front of the Cluster's primary (below); the Cluster's own Services are
 * `postgres-rw`, `postgres-ro` and `postgres-r`.
 */
export const CNPG_CLUSTER = 'postgres';

/** Labels CloudNativePG 1.30 puts on every pod of a Cluster, and on the primary (pkg/utils/labels_annotations.go). */
export const CNPG_LABELS = {
  cluster: 'cnpg.io/cluster',
  /** `primary` or `replica`; the operator moves it on failover and switchover. */
  instanceRole: 'cnpg.io/instanceRole',
} as const;

/**
 * The label CloudNativePG's operator pods carry, whether installed from its release manifest or
 * its Helm chart (CloudNativePG's own network policy example selects the operator by it).
 */
export const CNPG_OPERATOR_POD_LABELS = { [LABEL.name]: 'cloudnative-pg' } as const;

/** The instance manager's status port, which the operator and the other instances call (security.md, "Exposed Ports"). */
export const CNPG_STATUS_PORT = 8000;

/** True when the deployment's PostgreSQL is a CloudNativePG Cluster rather than the bundled StatefulSet. */
export function usesCloudNativePg(spec: DeploymentSpec): boolean {
  return spec.scale.postgres.engine === 'cloudnative-pg';
}

/**
 * The pods that run the deployment's PostgreSQL, whichever engine: the network policies admit
 * the database clients and the scraper to these. With CloudNativePG every pod of the Cluster
 * (instances, and the initdb and join jobs that prepare them) carries the cluster label.
 */
export function postgresPods(ctx: AppsContext): { matchLabels: Record<string, string> } {
  if (usesCloudNativePg(ctx.spec)) return { matchLabels: { [CNPG_LABELS.cluster]: CNPG_CLUSTER } };
  return { matchLabels: selectorLabels(ctx.spec.name, 'postgres') };
}

/**
 * Synchronous replication, `[minSyncReplicas, maxSyncReplicas]`. One synchronous standby: a
 * commit (a Matrix event Synapse has acknowledged to a client) is on two nodes before it returns,
 * so losing the primary's node loses no acknowledged event, and the operator promotes that
 * standby. With three or more instances, at least one standby must confirm (a second standby
 * covers for one that is down, so writes go on through a node drain). With two instances the only
 * standby may be down for maintenance: writes then go on unreplicated rather than stopping Matrix.
 */
export function syncReplicas(instances: number): [number, number] {
  return instances >= 3 ? [1, 1] : [0, 1];
}

export interface CloudNativePgProps {
  /** The deployment's context. */
  readonly context: AppsContext;
}

/**
 * PostgreSQL as a CloudNativePG Cluster (scale.postgres.engine cloudnative-pg), run by the
 * operator already installed on the cluster: a primary and streaming replicas on separate nodes,
 * with the operator's automated failover, instead of the bundled single StatefulSet. The apps
 * keep their database host, their init containers and their Secrets: the superuser is the kit's
 * own Secret, so the database init scripts (the postgres-config ConfigMap, made here too) create
 * the roles and databases as with the bundled PostgreSQL.
 */
export class CloudNativePg extends Construct {
  constructor(scope: Construct, id: string, props: CloudNativePgProps) {
    super(scope, id);
    const ctx = props.context;
    const engine = ctx.spec.scale.postgres;
    if (engine.engine !== 'cloudnative-pg') throw new Error('CloudNativePg needs scale.postgres.engine cloudnative-pg');
    ctx.configMap(this, 'postgres');
    const [minSyncReplicas, maxSyncReplicas] = syncReplicas(engine.instances);
    new KubeObject(this, 'cluster', {
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'Cluster',
      metadata: { name: CNPG_CLUSTER, namespace: ctx.ns, labels: componentLabels(ctx.spec.name, 'postgres') },
      spec: {
        instances: engine.instances,
        imageName: ctx.image.cloudnativePgPostgres,
        minSyncReplicas,
        maxSyncReplicas,
        // The kit's superuser Secret (username postgres, Secrets adds it for this engine): the init
        // containers of Synapse, MAS and Keycloak log in with it, as with the bundled PostgreSQL.
        enableSuperuserAccess: true,
        superuserSecret: { name: 'postgres-superuser' },
        // UTF8 with C collation and ctype: Synapse refuses anything else. CloudNativePG's defaults
        // today, written out so that a changed default cannot change a new deployment's database.
        bootstrap: { initdb: { encoding: 'UTF8', localeCollate: 'C', localeCType: 'C' } },
        postgresql: { parameters: postgresServerSettings(ctx.spec) },
        storage: {
          size: binaryQuantity(ctx.volumeGiB(0.4), 'Gi'),
          ...(ctx.storageClass === undefined ? {} : { storageClass: ctx.storageClass }),
        },
        resources: resources(ctx.spec.size.postgres),
        // Replicas on separate nodes, or a node loss takes the standby with the primary.
        affinity: { enablePodAntiAffinity: true, podAntiAffinityType: 'required', topologyKey: 'kubernetes.io/hostname' },
        // What the kit manages, on the pods, claims and Services the operator makes.
        inheritedMetadata: { labels: { [LABEL.partOf]: ctx.labels[LABEL.partOf]!, [LABEL.deployment]: ctx.labels[LABEL.deployment]! } },
      },
    });
    primaryService(ctx, this);
  }
}

/**
 * The `postgres` Service the apps already use (SYNAPSE_UPSTREAMS.postgres), selecting the pod the
 * operator labels primary: the same selector as the operator's own `postgres-rw`, so failover
 * moves both. Chosen over an ExternalName to postgres-rw, which would hard-code the cluster's DNS
 * domain and the Service's namespace into a name. The metrics port reaches the primary's
 * instance manager, which serves its cnpg_* series on 9187, the number postgres_exporter uses
 * beside the bundled PostgreSQL: the scrape target and the ServiceMonitor stay as they are.
 */
function primaryService(ctx: AppsContext, scope: Construct): void {
  new KubeObject(scope, 'service', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: SYNAPSE_UPSTREAMS.postgres, namespace: ctx.ns, labels: componentLabels(ctx.spec.name, 'postgres') },
    spec: {
      selector: { [CNPG_LABELS.cluster]: CNPG_CLUSTER, [CNPG_LABELS.instanceRole]: 'primary' },
      ports: [
        { name: 'main', port: PORTS.postgres, targetPort: PORTS.postgres, protocol: 'TCP' },
        { name: METRICS_PORT_NAMES.postgres, port: METRICS_PORTS.postgres, targetPort: METRICS_PORTS.postgres, protocol: 'TCP' },
      ],
    },
  });
}
