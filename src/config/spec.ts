import type { ComponentVersions } from '../versions';
import type { OpenStackCloudName } from './openstack-clouds';
import type { SizeProfile } from './sizing';
import type { WorkerPlan } from './synapse-workers';

/**
 * A deployment with every default applied and the sizing profile resolved. Everything
 * downstream (render, stacks, cli) reads only this; it is deep-frozen by `resolveDeployment`.
 */
export interface DeploymentSpec {
  /** Short name; stack names are `<name>-<layer>`. */
  readonly name: string;
  /** Matrix server name (the domain in user IDs). */
  readonly serverName: string;
  readonly hostnames: Hostnames;
  readonly target: HetznerTarget | OpenStackTarget | KubernetesTarget;
  readonly size: SizeProfile;
  readonly federation: Federation;
  readonly identity: Identity;
  readonly calls: Calls;
  readonly dns: Dns;
  readonly tls: Tls;
  readonly adminContact: string;
  readonly versions: ComponentVersions;
  /** Registry every apps-layer image is pulled through (`<mirror>/<reference>`); none by default. */
  readonly registryMirror?: string;
  readonly extra: ExtraSettings;
  /** Where OpenTofu/Terraform keeps the deployment's state (`plan`/`deploy`/`destroy`). */
  readonly state: StateBackend;
  /** Backups of the databases, media, signing key and configuration (`backup`). */
  readonly backup: Backup;
  /** Metrics, dashboards and alerts (always on). */
  readonly monitoring: Monitoring;
  /** Synapse workers and the PostgreSQL engine (`scale`). */
  readonly scale: Scale;
}

export interface Hostnames {
  /** Client-server and federation API (Synapse). */
  readonly matrix: string;
  /** Element Web. */
  readonly web: string;
  /** Matrix Authentication Service. */
  readonly auth: string;
  /** Bundled Keycloak; only used with identity mode `keycloak`. */
  readonly sso: string;
  /** coturn. */
  readonly turn: string;
  /** Group calls: the MatrixRTC authorisation service and the SFU's WebSocket. */
  readonly rtc: string;
}

export type HetznerLocation = 'fsn1' | 'nbg1' | 'hel1';

export interface HetznerTarget {
  readonly kind: 'hetzner';
  readonly location: HetznerLocation;
  /** Network zone of the location; every EU location is in eu-central. */
  readonly networkZone: 'eu-central';
  readonly sshKeys: readonly string[];
  readonly adminCidrs: readonly string[];
  readonly serverType: string;
  readonly volumeSizeGiB: number;
}

/** A k3s node on an OpenStack cloud; credentials only ever come from the environment. */
export interface OpenStackTarget {
  readonly kind: 'openstack';
  readonly cloud: OpenStackCloudName;
  /** Keystone endpoint when the file names one; otherwise OS_AUTH_URL or clouds.yaml. */
  readonly authUrl?: string;
  readonly region: string;
  readonly flavor: string;
  readonly image: string;
  readonly externalNetwork: string;
  readonly keyPair: string;
  readonly adminCidrs: readonly string[];
  readonly volumeSizeGiB: number;
  /** Undefined means the cloud's default volume type. */
  readonly volumeType?: string;
}

/** The targets where the kit builds the k3s node itself (infra stack, firewall, cloud-init). */
export type NodeTarget = HetznerTarget | OpenStackTarget;

export interface KubernetesTarget {
  readonly kind: 'kubernetes';
  readonly context: string;
  /** Undefined means the engine's default lookup (KUBECONFIG, then ~/.kube/config). */
  readonly kubeconfig?: string;
  /** Undefined means the cluster's default StorageClass. */
  readonly storageClass?: string;
  readonly ingressClass: string;
}

export type Federation =
  | { readonly mode: 'closed' }
  | { readonly mode: 'allow_list'; readonly allow: readonly string[] }
  | { readonly mode: 'open' };

export type Identity =
  | { readonly mode: 'local' }
  | { readonly mode: 'keycloak' }
  | { readonly mode: 'oidc'; readonly oidc: OidcProvider };

export interface OidcProvider {
  readonly issuer: string;
  readonly clientId: string;
  /** Name of the environment variable holding the client secret at deploy time. */
  readonly clientSecretEnv: string;
  readonly displayName: string;
  readonly scopes: readonly string[];
}

export interface Calls {
  readonly turn: boolean;
  readonly relayPorts: { readonly min: number; readonly max: number };
  readonly group: GroupCalls;
}

/**
 * Group calls with MatrixRTC: a LiveKit SFU and lk-jwt-service, which exchanges a Matrix OpenID
 * token for a LiveKit token. `whoMayStart` decides whose users may create the SFU room of a call.
 */
export type GroupCalls =
  | { readonly enabled: false }
  | {
      readonly enabled: true;
      /** ICE over TCP, on the node's public address. */
      readonly tcpPort: number;
      /** UDP media, on the node's public address. */
      readonly mediaPorts: { readonly min: number; readonly max: number };
      readonly whoMayStart: 'local' | 'federation';
    };

export type Dns =
  | { readonly mode: 'hetzner'; readonly zone: string }
  | { readonly mode: 'designate'; readonly zone: string }
  | { readonly mode: 'manual' };

export interface Tls {
  readonly acmeServer: string;
  readonly acmeEmail: string;
  /** Existing cluster only: the cert-manager ClusterIssuer that issues every certificate instead. */
  readonly clusterIssuer?: string;
}

/** Raw settings merged into a component's rendered configuration (the escape hatch). */
export interface ExtraSettings {
  readonly synapse: Readonly<Record<string, unknown>>;
  readonly mas: Readonly<Record<string, unknown>>;
  readonly elementWeb: Readonly<Record<string, unknown>>;
  readonly coturn: Readonly<Record<string, string | number | boolean>>;
  readonly keycloak: Readonly<Record<string, unknown>>;
}

/**
 * Where the state of each layer lives. `local`: a file per layer in the state directory, chosen
 * at init (`-backend-config=path=...`); `s3`: `<keyPrefix>/<layer>.tfstate` in an S3-compatible
 * bucket in the EU, credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY only.
 */
export type StateBackend =
  | { readonly kind: 'local' }
  | { readonly kind: 's3'; readonly endpoint: string; readonly bucket: string; readonly keyPrefix: string; readonly region: string };

/** A prefix in an S3-compatible bucket in the EU. */
export interface S3Location {
  /** https URL of the S3 API, without a trailing slash. */
  readonly endpoint: string;
  readonly bucket: string;
  readonly region: string;
  /** Path inside the bucket, without leading or trailing slash. */
  readonly keyPrefix: string;
}

export type Weekday = 'monday' | 'tuesday' | 'wednesday' | 'thursday' | 'friday' | 'saturday' | 'sunday';

/**
 * Backups: pgBackRest (PostgreSQL, continuous WAL archiving plus a daily base backup, full on
 * `fullBackupDay`) and restic (media, signing key, configuration), both encrypted with the
 * passphrase from `passphraseEnv` before anything leaves the cluster.
 */
export type Backup =
  | { readonly enabled: false }
  | {
      readonly enabled: true;
      readonly s3: S3Location;
      /** Daily start, HH:MM in UTC. */
      readonly timeUtc: string;
      readonly fullBackupDay: Weekday;
      readonly retention: { readonly daily: number; readonly weekly: number; readonly monthly: number };
      /** Environment variable holding the encryption passphrase at deploy time. */
      readonly passphraseEnv: string;
    };

/**
 * Who scrapes. `auto` exists only on existing clusters: deploy asks the cluster whether it serves
 * the Prometheus Operator's ServiceMonitors and sets the apps stack's switch variable accordingly.
 */
export type MonitoringStack = 'auto' | 'bundled' | 'prometheus-operator';

export interface Monitoring {
  /** On Hetzner always `bundled` (the rules refuse prometheus-operator there). */
  readonly stack: MonitoringStack;
  /** Bundled Prometheus: days of series kept on the data volume. */
  readonly retentionDays: number;
  /** Bundled Alertmanager's relay; without it alerts are not sent anywhere. */
  readonly alertEmail?: AlertEmail;
  /** The cluster's Prometheus Operator (stack prometheus-operator or auto on an existing cluster). */
  readonly prometheusOperator: { readonly namespace: string; readonly labels: Readonly<Record<string, string>> };
}

export interface AlertEmail {
  /** host:port; STARTTLS required. */
  readonly smarthost: string;
  readonly from: string;
  readonly to: string;
  /** With a username, the password comes from `passwordEnv` at deploy time. */
  readonly auth?: { readonly username: string; readonly passwordEnv: string };
}

export interface Scale {
  /** Synapse's processes: the preset resolved against the size profile and federation mode. */
  readonly workers: WorkerPlan;
  readonly postgres: PostgresEngine;
}

/**
 * `bundled`: the kit's single PostgreSQL pod. `cloudnative-pg`: a CloudNativePG Cluster of
 * `instances` (one primary, the rest streaming replicas) run by the cluster's operator.
 */
export type PostgresEngine = { readonly engine: 'bundled' } | { readonly engine: 'cloudnative-pg'; readonly instances: number };
