import { Construct } from 'constructs';
import type { INetworkPolicySpec } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicySpec';
import { LABEL, selectorLabels } from '../labels';
import { PORTS } from '../../ports';
import { BACKUP_POD_COMPONENT } from './backup';
import { METRICS_PORTS, scraperPeers } from './scraper';

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
    const publicComponents: [string, number][] = [
      ['synapse', PORTS.synapseHttp],
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
    const databaseClients = ['synapse', 'mas', ...(ctx.spec.identity.mode === 'keycloak' ? ['keycloak'] : [])];
    policy('allow-postgres-from-clients', {
      podSelector: pods('postgres'),
      policyTypes: ['Ingress'],
      ingress: [{ from: databaseClients.map((c) => ({ podSelector: pods(c) })), ports: [{ port: PORTS.postgres, protocol: 'TCP' }] }],
    });
    policy('allow-mas-from-synapse', {
      podSelector: pods('mas'),
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ podSelector: pods('synapse') }], ports: [{ port: PORTS.masHttp, protocol: 'TCP' }] }],
    });
    // Metrics: each port from the scraper only (scraper.ts says who that is); the public policies
    // above name only the main ports, so the ingress controller never reaches these.
    const metrics = Object.entries(METRICS_PORTS);
    for (const [component, port] of metrics) {
      policy(`allow-metrics-${component}`, {
        podSelector: pods(component),
        policyTypes: ['Ingress'],
        ingress: [{ from: scraperPeers(ctx), ports: [{ port, protocol: 'TCP' }] }],
      });
    }
    const publicInternet = [{ ipBlock: { cidr: '0.0.0.0/0', except: PRIVATE_IPV4 } }, { ipBlock: { cidr: '::/0', except: PRIVATE_IPV6 } }];
    policy('allow-mas-egress', {
      podSelector: pods('mas'),
      policyTypes: ['Egress'],
      egress: [
        { to: [{ podSelector: pods('postgres') }], ports: [{ port: PORTS.postgres, protocol: 'TCP' }] },
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
          { to: [{ podSelector: pods('postgres') }], ports: [{ port: PORTS.postgres, protocol: 'TCP' }] },
          // Back-channel logout to MAS at its public https URL.
          { to: publicInternet, ports: [{ port: PORTS.https, protocol: 'TCP' }] },
        ],
      });
    }
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
    policy('allow-synapse-egress', {
      podSelector: pods('synapse'),
      policyTypes: ['Egress'],
      egress: [
        { to: [{ podSelector: pods('postgres') }], ports: [{ port: PORTS.postgres, protocol: 'TCP' }] },
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
