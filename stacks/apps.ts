import { TerraformVariable } from 'cdktf';
import type { Construct } from 'constructs';
import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { RandomProvider } from '@cdktf/provider-random/lib/provider';
import { TlsProvider } from '@cdktf/provider-tls/lib/provider';
import { AppsContext } from '../src/components/k8s/apps-context';
import { addCoturn } from '../src/components/k8s/coturn';
import { addIngress } from '../src/components/k8s/ingress';
import { addKeycloak } from '../src/components/k8s/keycloak';
import { addMas } from '../src/components/k8s/mas';
import { addNetworkPolicies } from '../src/components/k8s/network-policies';
import { addPostgres } from '../src/components/k8s/postgres';
import { addSecrets } from '../src/components/k8s/secrets';
import { addStaticSite } from '../src/components/k8s/static-site';
import { addSynapse } from '../src/components/k8s/synapse';
import { addTraefikConfig } from '../src/components/k8s/traefik-config';
import type { DeploymentSpec } from '../src/config/spec';
import { DeploymentStack } from './deployment-stack';

export { literalForTerraform, namespaceName } from '../src/components/k8s/apps-context';
export { CERT_RESOLVER } from '../src/render/traefik';

/**
 * The Matrix applications on Kubernetes. Cloud-independent: the same stack runs on the k3s node
 * of the Hetzner infrastructure stack and on any existing cluster. Every configuration file comes
 * from src/render (the same bytes `sovereign-matrix render` writes); every secret is generated at
 * apply time by hashicorp/random and lives only in Terraform state and Kubernetes Secrets. Each
 * component is a module under src/components/k8s/.
 */
export class AppsStack extends DeploymentStack {
  readonly namespace: NamespaceV1;

  constructor(scope: Construct, spec: DeploymentSpec) {
    super(scope, spec, 'apps');
    this.configureKubernetes();
    new RandomProvider(this, 'random', {});
    new TlsProvider(this, 'tls', {});
    const ctx = new AppsContext(this, spec);

    this.namespace = new NamespaceV1(this, 'namespace', {
      metadata: {
        name: ctx.ns,
        labels: {
          ...this.labels,
          // Pod Security Admission: every pod here must meet the "restricted" profile.
          'pod-security.kubernetes.io/enforce': 'restricted',
          'pod-security.kubernetes.io/enforce-version': 'latest',
        },
      },
    });

    const secrets = addSecrets(ctx);
    addPostgres(ctx);
    addSynapse(ctx);
    addMas(ctx);
    if (spec.identity.mode === 'keycloak') addKeycloak(ctx);
    addStaticSite(ctx, 'element-web', ctx.image.elementWeb);
    addStaticSite(ctx, 'well-known', ctx.image.wellKnown);
    addIngress(ctx);
    addNetworkPolicies(ctx);
    if (spec.calls.turn) addCoturn(ctx, secrets.turn);
    if (spec.target.kind === 'hetzner') addTraefikConfig(ctx);
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
