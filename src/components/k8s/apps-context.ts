import { DeploymentV1, type DeploymentV1SpecTemplateSpec } from '@cdktf/provider-kubernetes/lib/deployment-v1';
import { createHash } from 'node:crypto';
import { TerraformVariable } from 'cdktf';
import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { ServiceV1 } from '@cdktf/provider-kubernetes/lib/service-v1';
import {
  componentLabels,
  containerSecurityContext,
  selectorLabels,
} from './workload';
import type { DeploymentSpec } from '../../config/spec';
import { renderAll } from '../../render';
import type { RenderedFile } from '../../render/files';
import { SYNAPSE_UPSTREAMS } from '../../render/synapse';
import { images } from '../../versions';
import type { DeploymentStack } from '../../../stacks/deployment-stack';

/** Unix IDs the images run as (from their Dockerfiles). */
export const UID = { synapse: 991, postgres: 999, nginx: 101, coturn: 65534, mas: 65532, keycloak: 1000 } as const;

/**
 * What every component of the apps stack shares: the stack it adds resources to, the deployment,
 * its namespace, its rendered files and images, and the helpers that keep ConfigMaps, Services and
 * database init containers alike. Construct ids stay those of the stack, so splitting the stack
 * into modules changes no resource address.
 */
export class AppsContext {
  readonly ns: string;
  readonly files: readonly RenderedFile[];
  readonly image: ReturnType<typeof images>;

  constructor(
    readonly scope: DeploymentStack,
    readonly spec: DeploymentSpec,
  ) {
    this.ns = namespaceName(spec);
    this.files = renderAll(spec);
    this.image = images(spec.versions);
  }

  /**
   * A one-replica Deployment of a component: the labels, selector and config digest annotation
   * (a changed rendered file restarts the pods) every workload of the stack shares.
   */
  deployment(
    component: string,
    options: { readonly digest: string; readonly namespace?: string; readonly recreate?: boolean; readonly waitForRollout?: boolean },
    pod: DeploymentV1SpecTemplateSpec,
  ): DeploymentV1 {
    return new DeploymentV1(this.scope, component, {
      metadata: { name: component, namespace: options.namespace ?? this.ns, labels: componentLabels(this.spec.name, component) },
      ...(options.waitForRollout ? { waitForRollout: true } : {}),
      spec: {
        replicas: '1',
        // Recreate: one writer on a ReadWriteOnce volume (or one owner of host ports); the old pod stops first.
        ...(options.recreate ? { strategy: { type: 'Recreate' } } : {}),
        selector: { matchLabels: selectorLabels(this.spec.name, component) },
        template: {
          metadata: { labels: componentLabels(this.spec.name, component), annotations: { 'sovereign-matrix/config-digest': options.digest } },
          spec: pod,
        },
      },
    });
  }

  /**
   * The node's public IPv4 address, where coturn listens and relays (the infra stack's output on
   * Hetzner, TF_VAR_turn_public_ipv4 on an existing cluster). One variable, shared by coturn and
   * Traefik's TURN-over-TLS route.
   */
  get turnPublicIpv4(): string {
    const id = 'turn_public_ipv4';
    const existing = this.scope.node.tryFindChild(id) as TerraformVariable | undefined;
    const variable =
      existing ??
      new TerraformVariable(this.scope, id, {
        type: 'string',
        nullable: false,
        description: 'Public IPv4 address of the node that runs coturn (the infra stack output ipv4 on Hetzner).',
      });
    return variable.stringValue;
  }

  get labels(): Record<string, string> {
    return this.scope.labels;
  }

  /** The rendered files of one service (`<service>/...`), keyed by file name. */
  renderedFiles(service: string): Record<string, string> {
    const data = Object.fromEntries(
      this.files.filter((f) => f.path.startsWith(`${service}/`)).map((f) => [f.path.slice(service.length + 1), f.content]),
    );
    if (Object.keys(data).length === 0) throw new Error(`nothing rendered for ${service}`);
    return data;
  }

  /** The rendered files of one service as a ConfigMap, plus a digest that restarts pods when they change. */
  configMap(service: string, namespace = this.ns): { name: string; digest: string } {
    const files = this.renderedFiles(service);
    const name = `${service}-config`;
    const id = namespace === this.ns ? name : `${name}-${namespace}`;
    if (!this.scope.node.tryFindChild(id)) {
      new ConfigMapV1(this.scope, id, {
        metadata: { name, namespace, labels: this.labels },
        data: Object.fromEntries(Object.entries(files).map(([file, content]) => [file, literalForTerraform(content)])),
      });
    }
    const digest = createHash('sha256').update(JSON.stringify(files)).digest('hex').slice(0, 16);
    return { name, digest };
  }

  service(component: string, port: number, protocol = 'TCP'): void {
    new ServiceV1(this.scope, `${component}-service`, {
      metadata: { name: component, namespace: this.ns, labels: componentLabels(this.spec.name, component) },
      spec: {
        selector: selectorLabels(this.spec.name, component),
        port: [{ name: 'main', port, targetPort: String(port), protocol }],
      },
    });
  }

  /** Where persistent volumes come from: the cluster default, or the deployment's StorageClass. */
  get storageClass(): string | undefined {
    return this.spec.target.kind === 'kubernetes' ? this.spec.target.storageClass : 'local-path';
  }

  /** Volume budget split: PostgreSQL 40 %, media 50 %, the rest headroom. */
  volumeGiB(share: number): string {
    const total = this.spec.target.kind === 'hetzner' ? this.spec.target.volumeSizeGiB : this.spec.size.volumeSizeGiB;
    return `${Math.max(1, Math.floor(total * share))}Gi`;
  }

  /**
   * An init container that runs a rendered, idempotent database init script as the PostgreSQL
   * superuser; the role's password arrives as a psql variable from a Secret.
   */
  databaseInit(script: string, variable: string, passwordSecret: string, uid: number) {
    const postgresInit = this.configMap('postgres');
    return {
      volume: { name: 'postgres-init', configMap: { name: postgresInit.name, items: [{ key: script, path: script }] } },
      container: {
        name: 'database',
        image: this.image.postgres,
        command: ['psql', '-v', 'ON_ERROR_STOP=1', '-v', `${variable}=$(ROLE_PASSWORD)`, '-h', SYNAPSE_UPSTREAMS.postgres, '-U', 'postgres', '-f', `/init/${script}`],
        env: [
          { name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: 'postgres-superuser', key: 'password' } } },
          { name: 'ROLE_PASSWORD', valueFrom: { secretKeyRef: { name: passwordSecret, key: 'password' } } },
        ],
        securityContext: containerSecurityContext(uid),
        volumeMount: [{ name: 'postgres-init', mountPath: '/init', readOnly: true }],
      },
    };
  }
}

/**
 * Terraform reads `${` and `%{` in any string as a template. Rendered files are literal text, so
 * both are escaped; Terraform writes them back unchanged into the ConfigMap.
 */
export function literalForTerraform(content: string): string {
  return content.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{');
}

/** Kubernetes namespace of a deployment; several deployments can share a cluster. */
export function namespaceName(spec: DeploymentSpec): string {
  return `matrix-${spec.name}`;
}
