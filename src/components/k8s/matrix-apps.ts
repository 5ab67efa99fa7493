import { Construct } from 'constructs';
import { AppsContext, type DeployInputs } from './apps-context';
import { Backup } from './backup';
import { CloudNativePg, usesCloudNativePg } from './cloudnative-pg';
import { Coturn } from './coturn';
import { GroupCalls } from './group-calls';
import { Ingress } from './ingress';
import { Keycloak } from './keycloak';
import { KubeObject, onlyWith } from './kube-object';
import { Mas } from './mas';
import { PrometheusOperatorMonitoring } from './monitoring/prometheus-operator';
import { BundledMonitoring } from './monitoring/bundled';
import { NetworkPolicies } from './network-policies';
import { Postgres } from './postgres';
import { Secrets } from './secrets';
import { StaticSite } from './static-site';
import { Synapse } from './synapse';
import { SynapseWorkers } from './synapse-workers';
import { TraefikConfig } from './traefik-config';
import type { DeploymentSpec } from '../../config/spec';
import { bundledMonitoringPossible } from '../../render/monitoring/bundled';
import { ownsNode } from '../../config/node-target';

export interface MatrixAppsProps {
  /** The resolved deployment file. */
  readonly spec: DeploymentSpec;
  /** Values known only at deploy time (Terraform references, or the operator's). */
  readonly inputs: DeployInputs;
}

/**
 * Every Kubernetes object of one deployment's Matrix applications, cloud-independent: the apps
 * stack applies them with OpenTofu, `manifests` writes them for GitOps tools. Every
 * configuration file comes from src/render (the same bytes `sovereign-matrix render` writes).
 */
export class MatrixApps extends Construct {
  readonly context: AppsContext;

  constructor(scope: Construct, id: string, props: MatrixAppsProps) {
    super(scope, id);
    const { spec } = props;
    const context = new AppsContext(spec, props.inputs);
    this.context = context;
    new KubeObject(this, 'namespace', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: context.ns,
        labels: {
          ...context.labels,
          // Pod Security Admission: every pod here must meet the "restricted" profile.
          'pod-security.kubernetes.io/enforce': 'restricted',
          'pod-security.kubernetes.io/enforce-version': 'latest',
        },
      },
    });
    new Secrets(this, 'secrets', { context });
    // The bundled StatefulSet, or a Cluster for the cluster's CloudNativePG operator (never both).
    if (usesCloudNativePg(spec)) new CloudNativePg(this, 'postgres', { context });
    else new Postgres(this, 'postgres', { context });
    const synapse = new Synapse(this, 'synapse', { context });
    new SynapseWorkers(this, 'synapse-workers', { context, process: synapse.process });
    new Mas(this, 'mas', { context });
    if (spec.identity.mode === 'keycloak') new Keycloak(this, 'keycloak', { context });
    new StaticSite(this, 'element-web', { context, site: 'element-web', image: context.image.elementWeb });
    new StaticSite(this, 'well-known', { context, site: 'well-known', image: context.image.wellKnown });
    new Ingress(this, 'ingress', { context });
    new NetworkPolicies(this, 'network-policies', { context });
    new Backup(this, 'backup', { context });
    if (spec.calls.turn) new Coturn(this, 'coturn', { context });
    if (spec.calls.group.enabled) new GroupCalls(this, 'group-calls', { context });
    if (ownsNode(spec.target)) new TraefikConfig(this, 'traefik', { context });
    // Monitoring: the stack the deployment names, or with `auto` both, each under one construct
    // and marked, so that the apps stack applies the one the cluster supports (OpenTofu decides at
    // plan time) and `manifests` writes them apart.
    if (spec.monitoring.stack !== 'bundled') onlyWith(new PrometheusOperatorMonitoring(this, 'prometheus-operator', { context }), 'prometheus-operator');
    if (bundledMonitoringPossible(spec)) onlyWith(new BundledMonitoring(this, 'monitoring', { context }), 'bundled');
  }
}
