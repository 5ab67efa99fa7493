/**
 * Every port the kit uses, in one place: the firewall, the Kubernetes services, the rendered
 * configurations and the documents all read them from here.
 */
export const PORTS = {
  ssh: 22,
  /** Cluster DNS, over UDP and TCP. */
  dns: 53,
  http: 80,
  https: 443,
  /** Matrix federation's default port: other homeservers reach a server without delegation there. */
  federation: 8448,
  kubernetesApi: 6443,
  /** TURN and STUN over UDP and TCP. */
  turn: 3478,
  /** TURN over TLS (and DTLS). */
  turns: 5349,
  /** Synapse client and federation listener, behind the ingress. */
  synapseHttp: 8008,
  /** Synapse metrics; cluster-internal only. */
  synapseMetrics: 9000,
  /**
   * Synapse's HTTP replication listener on the main process and every stream writer (Synapse's
   * documented example port, as ESS); only other Synapse processes reach it, never the ingress.
   */
  synapseReplication: 9093,
  /**
   * The nginx router between the ingress and Synapse's processes when there are workers (the
   * unprivileged nginx image's default port); cluster-internal.
   */
  synapseRouter: 8080,
  /** Redis, Synapse's replication bus and shared cache between its processes; cluster-internal. */
  redis: 6379,
  postgres: 5432,
  /** postgres_exporter (Prometheus metrics of PostgreSQL; its upstream default); cluster-internal only. */
  postgresExporter: 9187,
  /**
   * node_exporter on the kit's k3s node (its upstream default), bound to the node's private
   * address only; the Hetzner firewall opens it to nobody.
   */
  nodeExporter: 9100,
  /**
   * Traefik's metrics entry point on the kit's k3s (the chart's default port), inside Traefik's
   * pod: never exposed on the node or the load balancer. The same number as nodeExporter is no
   * clash: Traefik does not use the host's network.
   */
  traefikMetrics: 9100,
  /** Matrix Authentication Service public listener, behind the ingress. */
  masHttp: 8080,
  /** MAS health and metrics; cluster-internal only. */
  masInternal: 8081,
  keycloakHttp: 8080,
  /** Keycloak health and metrics; never exposed. */
  keycloakManagement: 9000,
  elementWeb: 8080,
  /** Bundled Prometheus (web UI and API); cluster-internal, reached by kubectl port-forward. */
  prometheus: 9090,
  /** Bundled Alertmanager (web UI and API); cluster-internal, reached by kubectl port-forward. */
  alertmanager: 9093,
  /** Bundled Grafana; cluster-internal, reached by kubectl port-forward. */
  grafana: 3000,
  /** The nginx that serves .well-known on server_name. */
  wellKnown: 8080,
  /**
   * LiveKit SFU signalling (its default): WebSocket and room API, behind the ingress at
   * hostnames.rtc. Its media ports are the deployment file's (calls.group).
   */
  livekitHttp: 7880,
  /** lk-jwt-service, the MatrixRTC authorisation service (its default), behind the ingress. */
  lkJwtHttp: 8080,
} as const;
