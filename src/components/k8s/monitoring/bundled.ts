import { Construct } from 'constructs';
import type { IContainer } from 'kubernetes-models/v1/Container';
import { type AppsContext } from '../apps-context';
import { KubeObject, KubeSecret } from '../kube-object';
import { binaryQuantity, containerSecurityContext, POD_DEFAULTS, podSecurityContext, resources, secretFileMounts } from '../workload';
import { componentLabels, selectorLabels } from '../../labels';
import { BUNDLED_MONITORING } from '../../../config/sizing';
import { PORTS } from '../../../ports';
import { ALERTMANAGER_PATHS } from '../../../render/monitoring/alertmanager';
import { MONITORING_COMPONENTS, MONITORING_SERVICES, PROMETHEUS_CONFIG_FILE } from '../../../render/monitoring/bundled';
import { GRAFANA_PATHS } from '../../../render/monitoring/grafana';
import { MonitoringNetworkPolicies } from './network-policies';

/** Unix IDs the images run as: `nobody` in Prometheus's and Alertmanager's Dockerfiles, 472 in Grafana's. */
const UID = { prometheus: 65534, alertmanager: 65534, grafana: 472 } as const;

/** The generated Grafana admin password; deploy's summary prints the kubectl command that reads it. */
export const GRAFANA_ADMIN_SECRET = { name: 'grafana-admin', key: 'password' } as const;

/** The mail relay's password, given at deploy time (monitoring.alert_email.password_env). */
export const ALERT_EMAIL_SECRET = { name: 'alertmanager-smtp', key: 'password', variable: 'alert_email_password' } as const;

/** Where Prometheus keeps its series (the data volume's mount). */
const PROMETHEUS_DATA = '/prometheus';

/** Share of Prometheus's volume its retention size cap may fill: blocks are cut and compacted beside it. */
const RETENTION_SIZE_SHARE = 0.8;

export interface BundledMonitoringProps {
  /** The deployment's context. */
  readonly context: AppsContext;
}

/**
 * The bundled monitoring stack: Prometheus (scrapes the deployment, evaluates the alert rules),
 * Alertmanager (mails alerts to monitoring.alert_email.to) and Grafana (the two provisioned
 * dashboards), every object under this one construct, so the apps stack can switch the whole stack
 * on and off (spec.monitoring.stack auto decides at deploy time).
 *
 * No Ingress and no IngressRoute, on purpose: the three are reached only with `kubectl
 * port-forward` (deploy prints the commands). That opens no new public surface and puts no second
 * login system on the internet; the people who operate the deployment reach the cluster's API
 * anyway, through its own authentication and TLS. Their Services are ClusterIP.
 */
export class BundledMonitoring extends Construct {
  constructor(scope: Construct, id: string, props: BundledMonitoringProps) {
    super(scope, id);
    const ctx = props.context;
    const sizing = BUNDLED_MONITORING[ctx.spec.size.name];
    const email = ctx.spec.monitoring.alertEmail;

    new KubeSecret(this, GRAFANA_ADMIN_SECRET.name, {
      name: GRAFANA_ADMIN_SECRET.name,
      namespace: ctx.ns,
      labels: ctx.labels,
      data: { [GRAFANA_ADMIN_SECRET.key]: { kind: 'password', id: 'grafana-admin-value', length: 48 } },
    });
    if (email?.auth) {
      new KubeSecret(this, ALERT_EMAIL_SECRET.name, {
        name: ALERT_EMAIL_SECRET.name,
        namespace: ctx.ns,
        labels: ctx.labels,
        data: {
          [ALERT_EMAIL_SECRET.key]: {
            kind: 'input',
            id: ALERT_EMAIL_SECRET.variable,
            environment: email.auth.passwordEnv,
            description: `Password of ${email.auth.username} at the alert mail relay ${email.smarthost}`,
          },
        },
      });
    }

    this.prometheus(ctx, sizing.prometheus, sizing.prometheusVolumeGiB);
    this.alertmanager(ctx, sizing.alertmanager, Boolean(email?.auth));
    this.grafana(ctx, sizing.grafana);
    new MonitoringNetworkPolicies(this, 'network-policies', { context: ctx });
  }

  /**
   * Prometheus: a one-pod StatefulSet on its own claim. The claim is a plain object, not a
   * volumeClaimTemplate: those are immutable, so a bigger size profile would force the StatefulSet
   * to be replaced, where a claim grows in place (as synapse-data does).
   */
  private prometheus(ctx: AppsContext, requests: { cpu: number; memoryGiB: number }, volumeGiB: number): void {
    const component = MONITORING_COMPONENTS.prometheus;
    const scope = new Construct(this, component);
    const config = ctx.configMap(scope, MONITORING_SERVICES.prometheus);
    ctx.service(scope, component, PORTS.prometheus, 'http');
    const claim = `${component}-data`;
    new KubeObject(scope, 'data', {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: claim, namespace: ctx.ns, labels: componentLabels(ctx.spec.name, component) },
      spec: {
        accessModes: ['ReadWriteOnce'],
        ...(ctx.storageClass === undefined ? {} : { storageClassName: ctx.storageClass }),
        resources: { requests: { storage: binaryQuantity(volumeGiB, 'Gi') } },
      },
    });
    const retentionSize = `${Math.floor(volumeGiB * RETENTION_SIZE_SHARE * 1024)}MB`;
    const health = (path: string) => ({ httpGet: { path, port: PORTS.prometheus } });
    const container: IContainer = {
      name: component,
      image: ctx.image.prometheus,
      args: [
        `--config.file=/etc/prometheus/${PROMETHEUS_CONFIG_FILE}`,
        `--storage.tsdb.path=${PROMETHEUS_DATA}`,
        `--storage.tsdb.retention.time=${ctx.spec.monitoring.retentionDays}d`,
        // Prometheus's units are powers of two (MB = MiB). The cap, not the claim, bounds the disk:
        // k3s's local-path volumes do not enforce their size.
        `--storage.tsdb.retention.size=${retentionSize}`,
        `--web.listen-address=:${PORTS.prometheus}`,
        // Links in alerts (generatorURL) open through the port-forward deploy prints.
        `--web.external-url=http://localhost:${PORTS.prometheus}/`,
      ],
      ports: [{ name: 'http', containerPort: PORTS.prometheus }],
      resources: resources(requests),
      securityContext: containerSecurityContext(UID.prometheus),
      volumeMounts: [
        { name: 'config', mountPath: '/etc/prometheus', readOnly: true },
        { name: 'data', mountPath: PROMETHEUS_DATA },
      ],
      readinessProbe: { ...health('/-/ready'), periodSeconds: 10 },
      livenessProbe: { ...health('/-/healthy'), periodSeconds: 30, failureThreshold: 6 },
    };
    new KubeObject(scope, 'statefulset', {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: component, namespace: ctx.ns, labels: componentLabels(ctx.spec.name, component) },
      spec: {
        serviceName: component,
        replicas: 1,
        selector: { matchLabels: selectorLabels(ctx.spec.name, component) },
        template: {
          metadata: { labels: componentLabels(ctx.spec.name, component), annotations: { 'sovereign-matrix/config-digest': config.digest } },
          spec: {
            ...POD_DEFAULTS,
            securityContext: podSecurityContext(UID.prometheus),
            // Time to write the head block out, so a restart does not replay the whole WAL.
            terminationGracePeriodSeconds: 120,
            containers: [container],
            volumes: [
              { name: 'config', configMap: { name: config.name } },
              { name: 'data', persistentVolumeClaim: { claimName: claim } },
            ],
          },
        },
      },
    });
  }

  /**
   * Alertmanager on an emptyDir: its state is silences and the notification log, not worth a
   * volume. A restart forgets the silences and may mail a still-firing alert once more; it keeps
   * the stack's only volume Prometheus's, and no claim for destroy to keep.
   */
  private alertmanager(ctx: AppsContext, requests: { cpu: number; memoryGiB: number }, withPassword: boolean): void {
    const component = MONITORING_COMPONENTS.alertmanager;
    const scope = new Construct(this, component);
    const config = ctx.configMap(scope, MONITORING_SERVICES.alertmanager);
    ctx.service(scope, component, PORTS.alertmanager, 'http');
    const secrets = secretFileMounts(
      withPassword ? [{ secretName: ALERT_EMAIL_SECRET.name, key: ALERT_EMAIL_SECRET.key, path: ALERTMANAGER_PATHS.smtpPasswordFile }] : [],
    );
    const health = (path: string) => ({ httpGet: { path, port: PORTS.alertmanager } });
    ctx.deployment(scope, component, { digest: config.digest }, {
      ...POD_DEFAULTS,
      securityContext: podSecurityContext(UID.alertmanager),
      containers: [
        {
          name: component,
          image: ctx.image.alertmanager,
          args: [
            `--config.file=${ALERTMANAGER_PATHS.config}`,
            `--storage.path=${ALERTMANAGER_PATHS.data}`,
            `--web.listen-address=:${PORTS.alertmanager}`,
            `--web.external-url=http://localhost:${PORTS.alertmanager}/`,
            // One replica: no gossip mesh, so no cluster port is opened.
            '--cluster.listen-address=',
          ],
          ports: [{ name: 'http', containerPort: PORTS.alertmanager }],
          resources: resources(requests),
          securityContext: containerSecurityContext(UID.alertmanager),
          volumeMounts: [
            { name: 'config', mountPath: ALERTMANAGER_PATHS.configDir, readOnly: true },
            { name: 'data', mountPath: ALERTMANAGER_PATHS.data },
            ...secrets.mounts,
          ],
          readinessProbe: { ...health('/-/ready'), periodSeconds: 10 },
          livenessProbe: { ...health('/-/healthy'), periodSeconds: 30 },
        },
      ],
      volumes: [{ name: 'config', configMap: { name: config.name } }, { name: 'data', emptyDir: { sizeLimit: '64Mi' } }, ...secrets.volumes],
    });
  }

  /**
   * Grafana with its database on an emptyDir: the data source and dashboards are provisioned from
   * files and the admin is the only account, so a restart loses nothing, and the admin password is
   * the Secret's at every start.
   */
  private grafana(ctx: AppsContext, requests: { cpu: number; memoryGiB: number }): void {
    const component = MONITORING_COMPONENTS.grafana;
    const scope = new Construct(this, component);
    const config = ctx.configMap(scope, MONITORING_SERVICES.grafana);
    const dashboards = ctx.configMap(scope, MONITORING_SERVICES.dashboards);
    ctx.service(scope, component, PORTS.grafana, 'http');
    const secrets = secretFileMounts([{ secretName: GRAFANA_ADMIN_SECRET.name, key: GRAFANA_ADMIN_SECRET.key, path: GRAFANA_PATHS.adminPasswordFile }]);
    const provisioning = GRAFANA_PATHS.provisioning.slice(GRAFANA_PATHS.configDir.length + 1);
    ctx.deployment(scope, component, { digest: `${config.digest}${dashboards.digest}` }, {
      ...POD_DEFAULTS,
      securityContext: podSecurityContext(UID.grafana),
      containers: [
        {
          name: component,
          image: ctx.image.grafana,
          env: [{ name: 'GF_PATHS_CONFIG', value: GRAFANA_PATHS.config }],
          ports: [{ name: 'http', containerPort: PORTS.grafana }],
          resources: resources(requests),
          securityContext: containerSecurityContext(UID.grafana),
          volumeMounts: [
            { name: 'config', mountPath: GRAFANA_PATHS.configDir, readOnly: true },
            { name: 'dashboards', mountPath: GRAFANA_PATHS.dashboards, readOnly: true },
            { name: 'data', mountPath: GRAFANA_PATHS.data },
            { name: 'logs', mountPath: '/var/log/grafana' },
            { name: 'tmp', mountPath: '/tmp' },
            ...secrets.mounts,
          ],
          readinessProbe: { httpGet: { path: '/api/health', port: PORTS.grafana }, periodSeconds: 10 },
          livenessProbe: { httpGet: { path: '/api/health', port: PORTS.grafana }, periodSeconds: 30, failureThreshold: 6 },
        },
      ],
      volumes: [
        {
          name: 'config',
          configMap: {
            name: config.name,
            items: [
              { key: 'grafana.ini', path: 'grafana.ini' },
              { key: 'datasources.yaml', path: `${provisioning}/datasources/datasources.yaml` },
              { key: 'dashboards.yaml', path: `${provisioning}/dashboards/dashboards.yaml` },
            ],
          },
        },
        { name: 'dashboards', configMap: { name: dashboards.name } },
        { name: 'data', emptyDir: { sizeLimit: '256Mi' } },
        { name: 'logs', emptyDir: { sizeLimit: '64Mi' } },
        { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
        ...secrets.volumes,
      ],
    });
  }
}
