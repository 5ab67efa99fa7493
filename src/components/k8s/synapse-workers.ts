import { basename } from 'node:path';
import { Construct } from 'constructs';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import { containerSecurityContext, POD_DEFAULTS, podSecurityContext, resources } from './workload';
import { LABEL, selectorLabels } from '../labels';
import { workerInstances } from '../../config/synapse-workers';
import type { Resources } from '../../config/sizing';
import { PORTS } from '../../ports';
import { SYNAPSE_PATHS } from '../../render/synapse';
import { hasWorkers, isWriterRole, SYNAPSE_PROCESS_HOSTS, synapseWorkerHost } from '../../render/synapse-workers';
import { synapseWorkerFile } from '../../render/synapse-worker-files';

import { METRICS_PORT_NAMES, METRICS_PORTS } from './scraper';
import { type AppsContext, UID } from './apps-context';
import type { SynapseProcessPod } from './synapse';

/** A label selector by name: one name, or several with an `In` expression (pods and Services alike). */
export interface NameSelector {
  readonly matchLabels: Record<string, string>;
  readonly matchExpressions?: { key: string; operator: 'In'; values: string[] }[];
}

export interface SynapseWorkersProps {
  /** The deployment's context. */
  readonly context: AppsContext;
  /** What every Synapse process shares: image, environment, secret and config mounts. */
  readonly process: SynapseProcessPod;
}

/**
 * The Synapse workers of the deployment's preset (spec.scale.workers), Redis as their
 * replication bus and the nginx router the ingress sends Synapse's traffic to. Nothing is made
 * for a single-process deployment.
 *
 * Every worker runs on the main process's node (required pod affinity) because it reads the
 * signing key from Synapse's ReadWriteOnce volume, and the media repository keeps the media store
 * there: workers add cores, not nodes. Each instance has its own Service, so the router and
 * Synapse's instance_map address it by a stable name.
 */
export class SynapseWorkers extends Construct {
  constructor(scope: Construct, id: string, props: SynapseWorkersProps) {
    super(scope, id);
    const { context: ctx, process } = props;
    const plan = ctx.spec.scale.workers;
    const { redis, router } = plan;
    if (!hasWorkers(ctx.spec) || redis === undefined || router === undefined) return;
    const onMainNode = {
      podAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [
          { labelSelector: { matchLabels: selectorLabels(ctx.spec.name, 'synapse') }, topologyKey: 'kubernetes.io/hostname' },
        ],
      },
    };
    for (const { name, group } of workerInstances(plan)) {
      const component = synapseWorkerHost(name);
      const scope = new Construct(this, name);
      const replication = isWriterRole(group.role);
      ctx.service(scope, component, PORTS.synapseHttp, 'main', [
        { name: METRICS_PORT_NAMES.synapse, port: METRICS_PORTS.synapse },
        ...(replication ? [{ name: 'replication', port: PORTS.synapseReplication }] : []),
      ]);
      const health = { httpGet: { path: '/health', port: PORTS.synapseHttp } };
      const pod: IPodSpec = {
        ...POD_DEFAULTS,
        securityContext: podSecurityContext(UID.synapse),
        affinity: onMainNode,
        containers: [
          {
            name: 'synapse',
            image: ctx.image.synapse,
            // generic_worker runs every worker_app, the media repository's too (the file names it).
            command: [
              'python', '-m', 'synapse.app.generic_worker',
              '--config-path', `${SYNAPSE_PATHS.config}/homeserver.yaml`,
              '--config-path', `${SYNAPSE_PATHS.config}/${basename(synapseWorkerFile(name))}`,
            ],
            env: process.env,
            ports: [
              { name: 'http', containerPort: PORTS.synapseHttp },
              { name: METRICS_PORT_NAMES.synapse, containerPort: METRICS_PORTS.synapse },
              ...(replication ? [{ name: 'replication', containerPort: PORTS.synapseReplication }] : []),
            ],
            resources: resources(group.resources),
            securityContext: containerSecurityContext(UID.synapse),
            // Only the media repository writes to the volume; the others read the signing key.
            volumeMounts: process.mounts(group.role === 'media-repository'),
            readinessProbe: { ...health, periodSeconds: 10 },
            livenessProbe: { ...health, periodSeconds: 30, failureThreshold: 5 },
            startupProbe: { ...health, periodSeconds: 10, failureThreshold: 60 },
          },
        ],
        volumes: process.volumes,
      };
      // Recreate: the media repository is the one writer of the media store; the others restart
      // with the main process's configuration anyway.
      ctx.deployment(scope, component, { digest: process.digest, recreate: group.role === 'media-repository' }, pod);
    }
    this.redis(ctx, redis);
    this.router(ctx, router);
  }

  /** Valkey (Redis's protocol): pub/sub between the processes and a shared cache; nothing on disk. */
  private redis(ctx: AppsContext, requests: Resources): void {
    const scope = new Construct(this, 'redis');
    const config = ctx.configMap(scope, SYNAPSE_PROCESS_HOSTS.redis);
    ctx.service(scope, SYNAPSE_PROCESS_HOSTS.redis, PORTS.redis);
    ctx.deployment(scope, SYNAPSE_PROCESS_HOSTS.redis, { digest: config.digest }, {
      ...POD_DEFAULTS,
      securityContext: podSecurityContext(UID.valkey),
      containers: [
        {
          name: 'valkey',
          image: ctx.image.valkey,
          command: ['valkey-server', '/config/redis.conf'],
          ports: [{ name: 'redis', containerPort: PORTS.redis }],
          resources: resources(requests),
          securityContext: containerSecurityContext(UID.valkey),
          volumeMounts: [
            { name: 'config', mountPath: '/config', readOnly: true },
            // redis.conf's `dir`: nothing is saved there, but Redis wants a writable directory.
            { name: 'tmp', mountPath: '/tmp' },
          ],
          readinessProbe: { tcpSocket: { port: PORTS.redis }, periodSeconds: 10 },
          livenessProbe: { tcpSocket: { port: PORTS.redis }, periodSeconds: 30 },
        },
      ],
      volumes: [
        { name: 'config', configMap: { name: config.name } },
        { name: 'tmp', emptyDir: {} },
      ],
    });
  }

  /** The router: nginx with the rendered path table, in front of every Synapse process. */
  private router(ctx: AppsContext, requests: Resources): void {
    const scope = new Construct(this, 'router');
    const config = ctx.configMap(scope, SYNAPSE_PROCESS_HOSTS.router);
    ctx.service(scope, SYNAPSE_PROCESS_HOSTS.router, PORTS.synapseRouter);
    const health = { httpGet: { path: '/health', port: PORTS.synapseRouter } };
    ctx.deployment(scope, SYNAPSE_PROCESS_HOSTS.router, { digest: config.digest }, {
      ...POD_DEFAULTS,
      securityContext: podSecurityContext(UID.nginx),
      containers: [
        {
          name: 'nginx',
          image: ctx.image.synapseRouter,
          command: ['nginx', '-c', '/config/nginx.conf', '-g', 'daemon off;'],
          ports: [{ name: 'http', containerPort: PORTS.synapseRouter }],
          resources: resources(requests),
          securityContext: containerSecurityContext(UID.nginx),
          volumeMounts: [
            { name: 'config', mountPath: '/config', readOnly: true },
            { name: 'tmp', mountPath: '/tmp' },
          ],
          readinessProbe: { ...health, periodSeconds: 10 },
          livenessProbe: { ...health, periodSeconds: 30 },
        },
      ],
      volumes: [
        { name: 'config', configMap: { name: config.name } },
        { name: 'tmp', emptyDir: {} },
      ],
    });
  }
}

/**
 * The pods of every Synapse process: the main process alone without workers (the selector every
 * network policy had before workers existed), else the main process and each worker instance.
 */
export function synapseProcessPods(ctx: AppsContext): NameSelector {
  const workers = workerInstances(ctx.spec.scale.workers).map((instance) => synapseWorkerHost(instance.name));
  if (workers.length === 0) return { matchLabels: selectorLabels(ctx.spec.name, SYNAPSE_PROCESS_HOSTS.main) };
  return { matchLabels: { [LABEL.instance]: ctx.spec.name }, matchExpressions: [{ key: LABEL.name, operator: 'In', values: [SYNAPSE_PROCESS_HOSTS.main, ...workers] }] };
}

/** The Service the ingress sends Synapse's public paths to: the router when there are workers. */
export function synapseFrontService(ctx: AppsContext): { readonly name: string; readonly port: number } {
  return !hasWorkers(ctx.spec) ? { name: SYNAPSE_PROCESS_HOSTS.main, port: PORTS.synapseHttp } : { name: SYNAPSE_PROCESS_HOSTS.router, port: PORTS.synapseRouter };
}
