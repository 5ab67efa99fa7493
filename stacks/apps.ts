import { TerraformVariable } from 'cdktf';
import type { Construct } from 'constructs';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import type { DeploymentSpec } from '../src/config/spec';
import { DeploymentStack } from './deployment-stack';

/**
 * The Matrix applications on Kubernetes. Cloud-independent: the same stack runs on the k3s node
 * of the Hetzner infrastructure stack and on any existing cluster.
 */
export class AppsStack extends DeploymentStack {
  readonly namespace: NamespaceV1;

  constructor(scope: Construct, spec: DeploymentSpec) {
    super(scope, spec, 'apps');
    this.configureKubernetes();
    this.namespace = new NamespaceV1(this, 'namespace', {
      metadata: { name: namespaceName(spec), labels: this.labels },
    });
  }

  /**
   * An existing cluster is reached through the operator's kubeconfig context. The k3s node built
   * by the infra stack is reached with the credentials that stack outputs; they are handed over as
   * sensitive variables (through the environment at apply time), so they never appear in the JSON.
   */
  private configureKubernetes(): void {
    const target = this.spec.target;
    if (target.kind === 'kubernetes') {
      new KubernetesProvider(this, 'kubernetes', {
        configPath: target.kubeconfig ?? '~/.kube/config',
        configContext: target.context,
      });
      return;
    }
    const variable = (id: string, description: string) =>
      new TerraformVariable(this, id, { type: 'string', sensitive: true, nullable: false, description }).stringValue;
    new KubernetesProvider(this, 'kubernetes', {
      host: variable('kube_host', 'Kubernetes API URL of the k3s node (infra stack output).'),
      clusterCaCertificate: variable('kube_cluster_ca_certificate', 'PEM CA certificate of the k3s API (infra stack output).'),
      clientCertificate: variable('kube_client_certificate', 'PEM client certificate for the kit (infra stack output).'),
      clientKey: variable('kube_client_key', 'PEM client key for the kit (infra stack output).'),
    });
  }
}

/** Kubernetes namespace of a deployment; several deployments can share a cluster. */
export function namespaceName(spec: DeploymentSpec): string {
  return `matrix-${spec.name}`;
}
