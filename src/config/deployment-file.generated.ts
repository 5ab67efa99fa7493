// generated from deployment.schema.json by npm run schema:compile; do not edit.
// Change the schema, then run `npm run schema:compile`.

export type Cidr = string;
export type Domain = string;
export type Version = string;

/**
 * One Matrix deployment: who it serves, where it runs, and how it is locked down. Keys are snake_case like Synapse's own configuration.
 */
export interface DeploymentFile {
  /**
   * Short name of the deployment. Used in stack names (<name>-infra, <name>-apps), resource names and labels; changing it replaces every resource.
   */
  name: string;
  /**
   * The Matrix server name: the part after ':' in user IDs such as @alice:example.gov.eu. It can never change after the first start.
   */
  server_name: string;
  /**
   * Public hostnames. Each one defaults to a subdomain of server_name.
   */
  hostnames?: {
    /**
     * Client and federation API. Default: matrix.<server_name>.
     */
    matrix?: string;
    /**
     * Element Web. Default: chat.<server_name>.
     */
    web?: string;
    /**
     * Matrix Authentication Service. Default: auth.<server_name>.
     */
    auth?: string;
    /**
     * Bundled Keycloak (identity.mode: keycloak only). Default: sso.<server_name>.
     */
    sso?: string;
    /**
     * TURN server for calls. Default: turn.<server_name>.
     */
    turn?: string;
    /**
     * Group calls (calls.group): the MatrixRTC authorisation service (lk-jwt-service) and the SFU's WebSocket (LiveKit). Default: rtc.<server_name>.
     */
    rtc?: string;
  };
  /**
   * Where the deployment runs: exactly one of hetzner, openstack or kubernetes.
   */
  target: {
    /**
     * A new Hetzner Cloud server running k3s, in an EU location.
     */
    hetzner?: {
      /**
       * Hetzner location. Only EU locations are allowed: fsn1 (Falkenstein, DE), nbg1 (Nuremberg, DE), hel1 (Helsinki, FI).
       */
      location: 'fsn1' | 'nbg1' | 'hel1';
      /**
       * Names of SSH keys already uploaded to the Hetzner project, installed for the administrator.
       *
       * @minItems 1
       */
      ssh_keys: [string, ...string[]];
      /**
       * Networks allowed to reach SSH and the Kubernetes API. There is no default: the kit never opens them to the world.
       *
       * @minItems 1
       */
      admin_cidrs: [Cidr, ...Cidr[]];
      /**
       * Override the server type chosen by the size profile (current types: cx23..cx53, cpx12..cpx62, ccx13..ccx63, cax11..cax41).
       */
      server_type?: string;
      /**
       * Size of the data volume (PostgreSQL and media) in GiB. Default: from the size profile.
       */
      volume_size_gib?: number;
    };
    /**
     * A new server running k3s on an OpenStack cloud in an EU region: OVHcloud, Open Telekom Cloud, Cleura, or an administration's own cloud. Credentials come only from the environment (OS_CLOUD with clouds.yaml, or the OS_* variables), never from this file.
     */
    openstack?: {
      /**
       * Which cloud: ovhcloud, otc (Open Telekom Cloud), cleura, or generic (any other OpenStack cloud; then auth_url is required and the region is not checked against a list).
       */
      cloud: 'ovhcloud' | 'otc' | 'cleura' | 'generic';
      /**
       * Identity (Keystone v3) endpoint of the cloud. Required with cloud generic; for a known cloud it may come from the environment instead (OS_AUTH_URL or clouds.yaml). An address, not a credential.
       */
      auth_url?: string;
      /**
       * Region, as the cloud spells it. Known clouds allow only their EU regions: ovhcloud GRA<n>, SBG<n>, DE<n>, WAW<n>, EU-WEST-PAR; otc eu-de, eu-nl; cleura Kna1, Sto2, Fra1. A region outside the EU is refused with its place named.
       */
      region: string;
      /**
       * Flavour of the server. Default: the smallest flavour the kit knows on that cloud that fits the size profile; required where the kit knows none that fits (cloud generic or otc, and the larger profiles).
       */
      flavor?: string;
      /**
       * Name of a Debian 12 image of the cloud (the node's cloud-init is written for Debian, as on Hetzner).
       */
      image: string;
      /**
       * Name of the cloud's external (public) network: the router's gateway and the pool of the floating IP.
       */
      external_network: string;
      /**
       * Name of an SSH key pair already in the project, installed for the administrator.
       */
      key_pair: string;
      /**
       * Networks allowed to reach SSH and the Kubernetes API. There is no default: the kit never opens them to the world.
       *
       * @minItems 1
       */
      admin_cidrs: [Cidr, ...Cidr[]];
      /**
       * Size of the data volume (PostgreSQL and media) in GiB. Default: from the size profile.
       */
      volume_size_gib?: number;
      /**
       * Block storage type of the data volume. Default: the cloud's default type.
       */
      volume_type?: string;
    };
    /**
     * An existing Kubernetes cluster, reached through a kubeconfig context. Only the application layer is deployed.
     */
    kubernetes?: {
      /**
       * Name of the kubeconfig context to use.
       */
      context: string;
      /**
       * Path to the kubeconfig file. Default: ~/.kube/config (or KUBECONFIG).
       */
      kubeconfig?: string;
      /**
       * StorageClass for persistent volumes. Default: the cluster's default StorageClass.
       */
      storage_class?: string;
      /**
       * IngressClass for the public routes.
       */
      ingress_class?: string;
    };
  };
  /**
   * Size profile. small: up to 500 users; medium: 501 to 2,500 users; large: 2,501 to 10,000 users (Element's published ESS sizing).
   */
  size?: 'small' | 'medium' | 'large';
  /**
   * Which other Matrix servers may talk to this one. The default keeps a government server to itself.
   */
  federation?: {
    /**
     * closed: no other server; allow_list: only the domains listed in allow; open: any server.
     */
    mode: 'closed' | 'allow_list' | 'open';
    /**
     * Server names allowed to federate (mode allow_list only).
     *
     * @minItems 1
     */
    allow?: [Domain, ...Domain[]];
  };
  /**
   * How users log in. All modes run Matrix Authentication Service (MAS) in front of Synapse.
   */
  identity?: {
    /**
     * local: accounts kept in MAS; keycloak: a bundled Keycloak realm; oidc: an external OpenID Connect provider (for example a national one).
     */
    mode: 'local' | 'keycloak' | 'oidc';
    /**
     * The external OpenID Connect provider (mode oidc only). The client secret is never written in this file.
     */
    oidc?: {
      /**
       * Issuer URL, exactly as in the provider's discovery document.
       */
      issuer: string;
      /**
       * Client ID registered with the provider.
       */
      client_id: string;
      /**
       * Name of the environment variable that holds the client secret at deploy time.
       */
      client_secret_env: string;
      /**
       * Name shown on the login button.
       */
      display_name?: string;
      /**
       * Scopes requested in addition to openid.
       */
      scopes?: string[];
    };
  };
  /**
   * Voice and video calls.
   */
  calls?: {
    /**
     * Run a TURN server (coturn).
     */
    turn?: boolean;
    /**
     * UDP port range for TURN relays; the firewall opens exactly this range. The default's 100 ports carry about 50 simultaneous relayed call participants, with a small firewall opening.
     */
    relay_ports?: {
      min: number;
      max: number;
    };
    group?: GroupCalls;
  };
  /**
   * DNS records. hetzner: the kit manages records in a Hetzner DNS zone; designate: in a zone of the OpenStack cloud's DNS service (Designate), on target openstack; manual: the CLI prints the records to create.
   */
  dns?: {
    mode: 'hetzner' | 'designate' | 'manual';
    /**
     * The DNS zone (modes hetzner and designate); it must exist already. Default: server_name.
     */
    zone?: string;
  };
  /**
   * Certificates for the public hostnames.
   */
  tls?: {
    /**
     * ACME directory URL. The default is Let's Encrypt's; set it to an EU certificate authority's ACME endpoint if required. On the kit's k3s Traefik uses it; on an existing cluster the kit creates a cert-manager Issuer with it.
     */
    acme_server?: string;
    /**
     * Contact for the certificate authority. Default: admin_contact.
     */
    acme_email?: string;
    /**
     * Existing cluster only: a cert-manager ClusterIssuer of the cluster to take every certificate from (an organisation's own CA, or ACME with DNS-01), instead of the ACME Issuer the kit creates from acme_server.
     */
    cluster_issuer?: string;
  };
  /**
   * E-mail address of the team running the server (shown to users and used for certificates).
   */
  admin_contact: string;
  /**
   * Pull every container image of the apps layer through this registry (air-gapped or controlled networks): each reference becomes <registry_mirror>/<original reference>, for example harbor.ministry.example.eu/mirror/docker.io/library/postgres:17.9. Mirror the images listed by sovereign-matrix --version (or the reference architecture) there first. Default: the images' own registries.
   */
  registry_mirror?: string;
  /**
   * Override pinned versions. Only do this to apply a security release before the kit ships it.
   */
  versions?: {
    synapse?: Version;
    postgres?: Version;
    element_web?: Version;
    mas?: Version;
    keycloak?: Version;
    coturn?: Version;
    k3s?: string;
  };
  /**
   * Escape hatch: raw settings deep-merged into a component's rendered configuration after the kit's own. The kit does not check their meaning; settings the kit manages for security are refused.
   */
  extra?: {
    /**
     * Merged into homeserver.yaml.
     */
    synapse?: {
      [k: string]: unknown;
    };
    /**
     * Merged into the MAS config.yaml.
     */
    mas?: {
      [k: string]: unknown;
    };
    /**
     * Merged into Element Web's config.json.
     */
    element_web?: {
      [k: string]: unknown;
    };
    /**
     * Extra turnserver.conf lines: option name to value (true for a flag).
     */
    coturn?: {
      [k: string]: string | number | boolean;
    };
    /**
     * Merged into the Keycloak realm import.
     */
    keycloak?: {
      [k: string]: unknown;
    };
  };
  /**
   * Where OpenTofu/Terraform keeps this deployment's state. Default: local files in ./state/<name>/<layer>.tfstate (SOVEREIGN_MATRIX_STATE_DIR overrides ./state). s3: an S3-compatible bucket in the EU; its credentials come only from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY at deploy time, never from this file.
   */
  state?: {
    s3: StateBucket;
  };
  /**
   * Backups, on by default: PostgreSQL (every database, with point-in-time recovery) by pgBackRest, and media, the Synapse signing key and the rendered configuration by restic, both encrypted on the client before they leave the cluster, to an S3-compatible bucket in the EU. Credentials come only from the environment at deploy time: SOVEREIGN_MATRIX_BACKUP_ACCESS_KEY_ID, SOVEREIGN_MATRIX_BACKUP_SECRET_ACCESS_KEY and the passphrase variable.
   */
  backup?: {
    /**
     * Turn backups off only for a throwaway deployment; the reference architecture then says so in its first lines.
     */
    enabled?: boolean;
    s3?: BackupBucket;
    /**
     * When the daily backup starts, as HH:MM in UTC. PostgreSQL's write-ahead log is archived continuously in between (at least once a minute). The default is outside office hours in every EU time zone (03:30-05:30 local).
     */
    time_utc?: string;
    /**
     * Day of the weekly full PostgreSQL backup; the other days take differential backups.
     */
    full_backup_day?: 'monday' | 'tuesday' | 'wednesday' | 'thursday' | 'friday' | 'saturday' | 'sunday';
    /**
     * How long backups are kept; the defaults give two weeks of point-in-time recovery, two months of weekly and a year of monthly snapshots. PostgreSQL can be restored to any moment of the last `daily` days, and to the end of each weekly full backup kept; restic keeps daily, weekly and monthly file snapshots.
     */
    retention?: {
      /**
       * Days of daily backups (and of point-in-time recovery).
       */
      daily?: number;
      /**
       * Weekly backups kept (PostgreSQL full backups; restic weekly snapshots).
       */
      weekly?: number;
      /**
       * Monthly file snapshots kept by restic.
       */
      monthly?: number;
    };
    /**
     * Name of the environment variable that holds the encryption passphrase at deploy time (at least 16 characters). Keep it outside the cluster, in the organisation's vault: without it no backup can be read. It can never change for an existing repository.
     */
    passphrase_env?: string;
  };
  /**
   * Metrics, dashboards and alerts for every component; always on. Synapse, MAS, PostgreSQL (postgres_exporter beside it), Traefik and the k3s node expose metrics on cluster-internal ports only, which network policies open to the scraper alone. Who scrapes depends on `stack`.
   */
  monitoring?: {
    /**
     * Who scrapes, keeps the series and sends alerts. bundled: the kit's own pinned Prometheus, Alertmanager and Grafana in the deployment's namespace, reached only through `kubectl port-forward`. prometheus-operator: ServiceMonitors and a PrometheusRule for the cluster's existing Prometheus Operator (existing clusters only). auto: prometheus-operator when the cluster serves monitoring.coreos.com/v1 ServiceMonitors at deploy time, bundled otherwise; on Hetzner always bundled.
     */
    stack?: 'auto' | 'bundled' | 'prometheus-operator';
    /**
     * Days the bundled Prometheus keeps its series, on the data volume. Default by size profile: small 15, medium 30, large 90.
     */
    retention_days?: number;
    alert_email?: AlertEMail;
    /**
     * Where the cluster's Prometheus runs and how it finds monitors (stack prometheus-operator or auto on an existing cluster).
     */
    prometheus_operator?: {
      /**
       * Namespace of the Prometheus pods; the network policies let only pods there scrape.
       */
      namespace?: string;
      /**
       * Labels every ServiceMonitor and PrometheusRule carries, as the Prometheus resource's selectors ask (kube-prometheus-stack selects `release: <its release name>`).
       */
      labels?: {
        [k: string]: string;
      };
    };
  };
  scale?: Scale;
}
/**
 * Group calls with MatrixRTC (Element Call, built into Element Web and Element X) through a LiveKit SFU and its authorisation service (lk-jwt-service), at hostnames.rtc. Media flows between the clients and the SFU over UDP (media_ports), over TCP (tcp_port) when UDP is blocked, or through the deployment's own TURN server; the SFU stores nothing. Needs calls.turn: the SFU hands its clients that TURN server, never a public STUN server of a third party.
 */
export interface GroupCalls {
  /**
   * Run group calls. Default by size profile: off for small, on for medium and large.
   */
  enabled?: boolean;
  /**
   * The SFU's ICE over TCP port, for clients whose networks block UDP; the firewall opens it.
   */
  tcp_port?: number;
  /**
   * UDP port range of the SFU's media; the firewall opens exactly this range. Each call participant holds one or two ports (sending and receiving connection), so the default's 500 ports carry at least 250 simultaneous participants.
   */
  media_ports?: {
    min: number;
    max: number;
  };
  /**
   * Whose users may start a call (create its SFU room); anyone in the call's Matrix room may join one that runs. local: this server's users only (as ESS since 25.12). federation: also users of the servers federation admits (the allow list, or every server with mode open).
   */
  who_may_start?: 'local' | 'federation';
}
/**
 * An S3-compatible state bucket in an EU region (Hetzner Object Storage, Scaleway, OVHcloud, IONOS, AWS eu-*, ...).
 */
export interface StateBucket {
  /**
   * https URL of the S3 API, for example https://fsn1.your-objectstorage.com. Endpoints that name a region outside the EU are refused.
   */
  endpoint: string;
  /**
   * Bucket name; create it beforehand, with versioning on.
   */
  bucket: string;
  /**
   * Prefix of the state objects; each layer is <key_prefix>/<layer>.tfstate. Default: sovereign-matrix/<name>.
   */
  key_prefix?: string;
  /**
   * Region of the bucket, for example eu-central-1, fsn1, nbg1, hel1, fr-par, nl-ams, gra, de. Regions outside the EU are refused.
   */
  region: string;
}
/**
 * The backup bucket. On Hetzner the default is Hetzner Object Storage in the server's location (https://<location>.your-objectstorage.com, bucket <name>-backups); on an existing cluster it must be given. Use a bucket of its own, not the state bucket.
 */
export interface BackupBucket {
  /**
   * https URL of the S3 API in the EU. Endpoints that name a region outside the EU are refused.
   */
  endpoint: string;
  /**
   * Bucket name; create it beforehand. Object lock or versioning protects the backups from a stolen key.
   */
  bucket: string;
  /**
   * Region of the bucket (fsn1, nbg1, hel1, eu-central-1, fr-par, ...). Regions outside the EU are refused.
   */
  region: string;
  /**
   * Prefix inside the bucket: PostgreSQL under <key_prefix>/postgres, files under <key_prefix>/files. Default: sovereign-matrix/<name>.
   */
  key_prefix?: string;
}
/**
 * The mail relay the bundled Alertmanager sends alerts through, to admin_contact. Without it alerts are shown in Alertmanager and Grafana but not sent, and deploy says so.
 */
export interface AlertEMail {
  /**
   * host:port of the SMTP relay; STARTTLS is required.
   */
  smarthost: string;
  /**
   * Sender address of the alert e-mails.
   */
  from: string;
  /**
   * Recipient. Default: admin_contact.
   */
  to?: string;
  /**
   * SMTP login; with it, the password comes from password_env at deploy time.
   */
  username?: string;
  /**
   * Environment variable holding the SMTP password at deploy time (only with username).
   */
  password_env?: string;
}
/**
 * How Synapse and PostgreSQL grow past one process. From medium up Synapse runs workers beside its main process, with Redis as their replication bus and an nginx router in front that sends each request to the worker the Synapse documentation names for its path. PostgreSQL is the kit's single instance unless an existing cluster's CloudNativePG operator runs it with streaming replicas.
 */
export interface Scale {
  /**
   * Synapse worker preset. auto: the size profile's (small none, medium medium, large large). none: one Synapse process. medium: one each of synchrotron, client reader, event persister, federation reader, federation sender, media repository and background worker. large: three synchrotrons; two each of client reader, event creator, event persister, federation reader and federation sender; one each of inbound federation, media repository, pusher, stream writer and background worker. Federation workers are left out when federation.mode is closed. The presets are data in src/config/synapse-workers.ts.
   */
  synapse_workers?: 'auto' | 'none' | 'medium' | 'large';
  postgres?: PostgreSQLEngine;
}
/**
 * Who runs PostgreSQL.
 */
export interface PostgreSQLEngine {
  /**
   * bundled: the kit's own single PostgreSQL pod with its backups. cloudnative-pg: a CloudNativePG Cluster with a primary and streaming replicas on separate nodes, failed over by the cluster's CloudNativePG operator (target.kubernetes only; the operator must already run in the cluster).
   */
  engine?: 'bundled' | 'cloudnative-pg';
  /**
   * PostgreSQL instances of the CloudNativePG Cluster: one primary, the rest streaming replicas (only with engine cloudnative-pg).
   */
  instances?: number;
}

/** The type of each field that has a schema `default`, by dotted path. */
export interface DeploymentDefaults {
  readonly 'target.kubernetes.ingress_class': NonNullable<NonNullable<NonNullable<DeploymentFile['target']>['kubernetes']>['ingress_class']>;
  readonly 'size': NonNullable<DeploymentFile['size']>;
  readonly 'federation': NonNullable<DeploymentFile['federation']>;
  readonly 'identity': NonNullable<DeploymentFile['identity']>;
  readonly 'identity.oidc.scopes': NonNullable<NonNullable<NonNullable<DeploymentFile['identity']>['oidc']>['scopes']>;
  readonly 'calls.turn': NonNullable<NonNullable<DeploymentFile['calls']>['turn']>;
  readonly 'calls.relay_ports': NonNullable<NonNullable<DeploymentFile['calls']>['relay_ports']>;
  readonly 'calls.group.tcp_port': NonNullable<NonNullable<NonNullable<DeploymentFile['calls']>['group']>['tcp_port']>;
  readonly 'calls.group.media_ports': NonNullable<NonNullable<NonNullable<DeploymentFile['calls']>['group']>['media_ports']>;
  readonly 'calls.group.who_may_start': NonNullable<NonNullable<NonNullable<DeploymentFile['calls']>['group']>['who_may_start']>;
  readonly 'dns': NonNullable<DeploymentFile['dns']>;
  readonly 'tls.acme_server': NonNullable<NonNullable<DeploymentFile['tls']>['acme_server']>;
  readonly 'backup.enabled': NonNullable<NonNullable<DeploymentFile['backup']>['enabled']>;
  readonly 'backup.time_utc': NonNullable<NonNullable<DeploymentFile['backup']>['time_utc']>;
  readonly 'backup.full_backup_day': NonNullable<NonNullable<DeploymentFile['backup']>['full_backup_day']>;
  readonly 'backup.retention.daily': NonNullable<NonNullable<NonNullable<DeploymentFile['backup']>['retention']>['daily']>;
  readonly 'backup.retention.weekly': NonNullable<NonNullable<NonNullable<DeploymentFile['backup']>['retention']>['weekly']>;
  readonly 'backup.retention.monthly': NonNullable<NonNullable<NonNullable<DeploymentFile['backup']>['retention']>['monthly']>;
  readonly 'backup.passphrase_env': NonNullable<NonNullable<DeploymentFile['backup']>['passphrase_env']>;
  readonly 'monitoring.stack': NonNullable<NonNullable<DeploymentFile['monitoring']>['stack']>;
  readonly 'monitoring.alert_email.password_env': NonNullable<NonNullable<NonNullable<DeploymentFile['monitoring']>['alert_email']>['password_env']>;
  readonly 'monitoring.prometheus_operator.namespace': NonNullable<NonNullable<NonNullable<DeploymentFile['monitoring']>['prometheus_operator']>['namespace']>;
  readonly 'monitoring.prometheus_operator.labels': NonNullable<NonNullable<NonNullable<DeploymentFile['monitoring']>['prometheus_operator']>['labels']>;
  readonly 'scale.synapse_workers': NonNullable<NonNullable<DeploymentFile['scale']>['synapse_workers']>;
  readonly 'scale.postgres.engine': NonNullable<NonNullable<NonNullable<DeploymentFile['scale']>['postgres']>['engine']>;
  readonly 'scale.postgres.instances': NonNullable<NonNullable<NonNullable<DeploymentFile['scale']>['postgres']>['instances']>;
}

/**
 * The schema's `default` values by dotted field path: what a file that leaves the field out gets.
 * Defaults that depend on other fields (hostnames from server_name, the server type from the size
 * profile, the backup bucket from the location, ...) are code in src/config/resolve.ts.
 */
export const DEPLOYMENT_DEFAULTS: DeploymentDefaults = {
  'target.kubernetes.ingress_class': 'traefik',
  'size': 'small',
  'federation': { mode: 'closed' },
  'identity': { mode: 'local' },
  'identity.oidc.scopes': ['profile', 'email'],
  'calls.turn': true,
  'calls.relay_ports': { min: 49160, max: 49259 },
  'calls.group.tcp_port': 7881,
  'calls.group.media_ports': { min: 51000, max: 51499 },
  'calls.group.who_may_start': 'local',
  'dns': { mode: 'manual' },
  'tls.acme_server': 'https://acme-v02.api.letsencrypt.org/directory',
  'backup.enabled': true,
  'backup.time_utc': '02:30',
  'backup.full_backup_day': 'sunday',
  'backup.retention.daily': 14,
  'backup.retention.weekly': 8,
  'backup.retention.monthly': 12,
  'backup.passphrase_env': 'SOVEREIGN_MATRIX_BACKUP_PASSPHRASE',
  'monitoring.stack': 'auto',
  'monitoring.alert_email.password_env': 'SOVEREIGN_MATRIX_SMTP_PASSWORD',
  'monitoring.prometheus_operator.namespace': 'monitoring',
  'monitoring.prometheus_operator.labels': {  },
  'scale.synapse_workers': 'auto',
  'scale.postgres.engine': 'bundled',
  'scale.postgres.instances': 3,
};
