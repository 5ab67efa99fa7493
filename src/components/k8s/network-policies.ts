import { Construct } from 'constructs';
import type { INetworkPolicySpec } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicySpec';
import { LABEL, selectorLabels } from '../labels';
import { PORTS } from '../../ports';
import { BACKUP_POD_COMPONENT } from './backup';
import { METRICS_PORTS, scraperPeers } from './scraper';
import { synapseFrontService, synapseProcessPods } from './synapse-workers';
import { workerEgress, workerPolicies } from './synapse-worker-policies';
import { CNPG_OPERATOR_POD_LABELS, CNPG_STATUS_PORT, postgresPods, usesCloudNativePg } from './cloudnative-pg';

import { type AppsContext } from './apps-context';
import { ownsNode } from '../../config/node-target';

/** The port cert-manager's HTTP-01 solver pods listen on. */
const ACME_SOLVER_PORT = 8089;

/** Private and special IPv4 ranges Synapse must not reach directly (SSRF protection in depth). */
export const PRIVATE_IPV4 = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16', '127.0.0.0/8'];
export const PRIVATE_IPV6 = ['fc00::/7', 'fe80::/10', '::1/128'];

/**
 * Default deny, then exactly the flows the stack needs: the ingress controller to the public
 * services, Synapse to PostgreSQL, everything to cluster DNS, the scraper to each metrics port
 * (and nobody else), and Synapse out to the internet (federation where the mode allows it, and
 * push gateways) but never to private ranges.
 */
export interface NetworkPoliciesProps {
  /** The deployment's context. */
  readonly context: AppsContext;
}

export class NetworkPolicies extends Construct {
  constructor(scope: Construct, id: string, props: NetworkPoliciesProps) {
    super(scope, id);
    const ctx = props.context;
    const policy = (name: string, spec: INetworkPolicySpec) => ctx.networkPolicy(this, name, spec);
    const pods = (component: string) => ({ matchLabels: selectorLabels(ctx.spec.name, component) });
    const ingressController =
      ownsNode(ctx.spec.target)
        ? [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { [LABEL.name]: 'traefik' } } }]
        : // On an existing cluster the ingress controller's namespace is the operator's choice.
          [{ namespaceSelector: {} }];
    policy('default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    policy('allow-dns', {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        {
          to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } } }],
          ports: [
            { port: PORTS.dns, protocol: 'UDP' },
            { port: PORTS.dns, protocol: 'TCP' },
          ],
        },
      ],
    });
    // Synapse's public paths reach its one process, or with workers only the router.
    const front = synapseFrontService(ctx);
    const synapse = synapseProcessPods(ctx);
    const publicComponents: [string, number][] = [
      [front.name, front.port],
      ['element-web', PORTS.elementWeb],
      ['well-known', PORTS.wellKnown],
      ['mas', PORTS.masHttp],
      ...(ctx.spec.identity.mode === 'keycloak' ? [['keycloak', PORTS.keycloakHttp] as [string, number]] : []),
      // The SFU's webhooks come from its node's own network, which no policy can block for a pod on
      // that node (group-calls.ts keeps lk-jwt-service there).
      ...(ctx.spec.calls.group.enabled ? [['lk-jwt-service', PORTS.lkJwtHttp] as [string, number]] : []),
    ];
    for (const [component, port] of publicComponents) {
      policy(`allow-ingress-${component}`, {
        podSelector: pods(component),
        policyTypes: ['Ingress'],
        ingress: [{ from: ingressController, ports: [{ port, protocol: 'TCP' }] }],
      });
    }
    if (ctx.spec.target.kind === 'kubernetes') {
      // cert-manager answers HTTP-01 challenges from solver pods it starts in this namespace.
      policy('allow-ingress-acme-solver', {
        podSelector: { matchLabels: { 'acme.cert-manager.io/http01-solver': 'true' } },
        policyTypes: ['Ingress'],
        ingress: [{ from: ingressController, ports: [{ port: ACME_SOLVER_PORT, protocol: 'TCP' }] }],
      });
    }
    const databaseClients = [synapse, pods('mas'), ...(ctx.spec.identity.mode === 'keycloak' ? [pods('keycloak')] : [])];
    // The database's pods: the bundled StatefulSet's, or every pod of the CloudNativePG Cluster.
    const database = postgresPods(ctx);
    policy('allow-postgres-from-clients', {
      podSelector: database,
      policyTypes: ['Ingress'],
      ingress: [{ from: databaseClients.map((podSelector) => ({ podSelector })), ports: [{ port: PORTS.postgres, protocol: 'TCP' }] }],
    });
    // Every Synapse process asks MAS about the access tokens it is shown.
    policy('allow-mas-from-synapse', {
      podSelector: pods('mas'),
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ podSelector: synapse }], ports: [{ port: PORTS.masHttp, protocol: 'TCP' }] }],
    });
    // Metrics: each port from the scraper only (scraper.ts says who that is); the public policies
    // above name only the main ports, so the ingress controller never reaches these.
    const metrics = Object.entries(METRICS_PORTS);
    for (const [component, port] of metrics) {
      policy(`allow-metrics-${component}`, {
        podSelector: component === 'synapse' ? synapse : component === 'postgres' ? database : pods(component),
        policyTypes: ['Ingress'],
        ingress: [{ from: scraperPeers(ctx), ports: [{ port, protocol: 'TCP' }] }],
      });
    }
    const publicInternet = [{ ipBlock: { cidr: '0.0.0.0/0', except: PRIVATE_IPV4 } }, { ipBlock: { cidr: '::/0', except: PRIVATE_IPV6 } }];
    policy('allow-mas-egress', {
      podSelector: pods('mas'),
      policyTypes: ['Egress'],
      egress: [
        { to: [{ podSelector: database }], ports: [{ port: PORTS.postgres, protocol: 'TCP' }] },
        { to: [{ podSelector: pods('synapse') }], ports: [{ port: PORTS.synapseHttp, protocol: 'TCP' }] },
        // The upstream identity provider (Keycloak too) is reached at its public https URL.
        { to: publicInternet, ports: [{ port: PORTS.https, protocol: 'TCP' }] },
      ],
    });
    if (ctx.spec.identity.mode === 'keycloak') {
      policy('allow-keycloak-egress', {
        podSelector: pods('keycloak'),
        policyTypes: ['Egress'],
        egress: [
          { to: [{ podSelector: database }], ports: [{ port: PORTS.postgres, protocol: 'TCP' }] },
          // Back-channel logout to MAS at its public https URL.
          { to: publicInternet, ports: [{ port: PORTS.https, protocol: 'TCP' }] },
        ],
      });
    }
    if (usesCloudNativePg(ctx.spec)) cloudNativePgPolicies(policy, database);
    if (ctx.spec.backup.enabled) {
      // The backup agents beside PostgreSQL and Synapse reach the bucket. Policies match
      // addresses, not names: the bucket's port on public addresses, private ranges closed.
      const port = Number(new URL(ctx.spec.backup.s3.endpoint).port || PORTS.https);
      policy('allow-backup-egress', {
        podSelector: {
          matchLabels: { [LABEL.instance]: ctx.spec.name },
          matchExpressions: [{ key: LABEL.name, operator: 'In', values: Object.values(BACKUP_POD_COMPONENT) }],
        },
        policyTypes: ['Egress'],
        egress: [{ to: publicInternet, ports: [{ port, protocol: 'TCP' }] }],
      });
    }
    if (ctx.spec.calls.group.enabled) {
      // OpenID userinfo of each caller's homeserver, the SFU's room API and the homeserver's client
      // API (delayed leave events), all at public https URLs.
      policy('allow-lk-jwt-service-egress', {
        podSelector: pods('lk-jwt-service'),
        policyTypes: ['Egress'],
        egress: [{ to: publicInternet, ports: [{ port: PORTS.https, protocol: 'TCP' }] }],
      });
    }
    workerPolicies(ctx, policy, synapse, pods);
    policy('allow-synapse-egress', {
      podSelector: synapse,
      policyTypes: ['Egress'],
      egress: [
        { to: [{ podSelector: database }], ports: [{ port: PORTS.postgres, protocol: 'TCP' }] },
        ...workerEgress(ctx, synapse, pods),
        { to: [{ podSelector: pods('mas') }], ports: [{ port: PORTS.masHttp, protocol: 'TCP' }] },
        {
          to: publicInternet,
          ports: [
            { port: PORTS.https, protocol: 'TCP' },
            { port: PORTS.federation, protocol: 'TCP' },
          ],
        },
      ],
    });
  }
}

/**
 * What a CloudNativePG Cluster needs beyond its clients and the scraper (CloudNativePG's
 * networking.md and security.md, "Exposed Ports"):
 * - the instances to each other: streaming replication and the join job's base backup on 5432,
 *   and the instance manager's status port, which the primary's isolation check calls;
 * - the operator to every instance, on the status port and 5432. Its namespace is the cluster
 *   operator's choice (cnpg-system for the release manifest, any for the Helm chart), so the
 *   operator's pods are admitted by their label in any namespace, as an existing cluster's
 *   ingress controller is: the status port's sensitive endpoints need the operator's client
 *   certificate and 5432 a password, so a pod that copies the label reaches only the status and
 *   health answers the kubelet's probes read too;
 * - the instances out to the Kubernetes API: the instance manager reads its Cluster and Secrets and
 *   reports status there. The API server's address is the cluster's (a node, or a control-plane
 *   load balancer, usually on a private address) and unknown to the kit, and policies match the
 *   address behind the `kubernetes` Service, so its two usual ports are opened to any address.
 */
function cloudNativePgPolicies(policy: (name: string, spec: INetworkPolicySpec) => void, database: { matchLabels: Record<string, string> }): void {
  const instancePorts = [
    { port: PORTS.postgres, protocol: 'TCP' as const },
    { port: CNPG_STATUS_PORT, protocol: 'TCP' as const },
  ];
  policy('allow-postgres-replication', {
    podSelector: database,
    policyTypes: ['Ingress'],
    ingress: [{ from: [{ podSelector: database }], ports: instancePorts }],
  });
  policy('allow-postgres-from-operator', {
    podSelector: database,
    policyTypes: ['Ingress'],
    ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { ...CNPG_OPERATOR_POD_LABELS } } }], ports: instancePorts }],
  });
  policy('allow-postgres-egress', {
    podSelector: database,
    policyTypes: ['Egress'],
    egress: [
      { to: [{ podSelector: database }], ports: instancePorts },
      {
        to: [{ ipBlock: { cidr: '0.0.0.0/0' } }, { ipBlock: { cidr: '::/0' } }],
        ports: [
          { port: PORTS.https, protocol: 'TCP' },
          { port: PORTS.kubernetesApi, protocol: 'TCP' },
        ],
      },
    ],
  });
}
