import { PINNED_VERSIONS, type ComponentVersions } from '../versions';
import { sizeProfile, type SizeName } from './sizing';
import type { Backup, DeploymentSpec, Federation, HetznerTarget, Identity, KubernetesTarget, StateBackend, Weekday } from './spec';

/** The deployment file as the JSON Schema describes it (snake_case), after validation. */
export interface DeploymentFile {
  name: string;
  server_name: string;
  hostnames?: Partial<Record<'matrix' | 'web' | 'auth' | 'sso' | 'turn', string>>;
  target: {
    hetzner?: {
      location: 'fsn1' | 'nbg1' | 'hel1';
      ssh_keys: string[];
      admin_cidrs: string[];
      server_type?: string;
      volume_size_gib?: number;
    };
    kubernetes?: { context: string; kubeconfig?: string; storage_class?: string; ingress_class?: string };
  };
  size?: SizeName;
  federation?: { mode: 'closed' | 'allow_list' | 'open'; allow?: string[] };
  identity?: {
    mode: 'local' | 'keycloak' | 'oidc';
    oidc?: { issuer: string; client_id: string; client_secret_env: string; display_name?: string; scopes?: string[] };
  };
  calls?: { turn?: boolean; relay_ports?: { min: number; max: number } };
  dns?: { mode: 'hetzner' | 'manual'; zone?: string };
  tls?: { acme_server?: string; acme_email?: string; cluster_issuer?: string };
  admin_contact: string;
  registry_mirror?: string;
  versions?: Partial<Record<'synapse' | 'postgres' | 'element_web' | 'mas' | 'keycloak' | 'coturn' | 'k3s', string>>;
  extra?: Partial<Record<'synapse' | 'mas' | 'element_web' | 'coturn' | 'keycloak', Record<string, never>>>;
  state?: { s3: S3File };
  backup?: {
    enabled?: boolean;
    s3?: S3File;
    time_utc?: string;
    full_backup_day?: Weekday;
    retention?: { daily?: number; weekly?: number; monthly?: number };
    passphrase_env?: string;
  };
}

/** An S3 location as the deployment file writes it (`state.s3`, `backup.s3`). */
interface S3File {
  endpoint: string;
  bucket: string;
  key_prefix?: string;
  region: string;
}

/** Defaults a deployment file may leave out. Documented in docs/deployment-file.md, generated from the schema's descriptions. */
export const DEFAULTS = {
  size: 'small',
  federation: 'closed',
  identity: 'local',
  turn: true,
  /** 100 ports: about 50 simultaneous relayed call participants, and a small firewall opening. */
  relayPorts: { min: 49160, max: 49259 },
  dns: 'manual',
  acmeServer: 'https://acme-v02.api.letsencrypt.org/directory',
  ingressClass: 'traefik',
  oidcScopes: ['profile', 'email'],
  /** Outside office hours in every EU time zone (03:30-05:30 local). */
  backupTimeUtc: '02:30',
  backupFullDay: 'sunday',
  /** Two weeks of point-in-time recovery, two months of weekly and a year of monthly snapshots. */
  backupRetention: { daily: 14, weekly: 8, monthly: 12 },
  backupPassphraseEnv: 'SOVEREIGN_MATRIX_BACKUP_PASSPHRASE',
} as const;

/** Applies every default and the sizing profile; the result is deep-frozen. */
export function resolveDeployment(file: DeploymentFile): DeploymentSpec {
  const serverName = file.server_name;
  const federation = resolveFederation(file);
  const size = sizeProfile(file.size ?? DEFAULTS.size, federation.mode);
  const hostnames = {
    matrix: file.hostnames?.matrix ?? `matrix.${serverName}`,
    web: file.hostnames?.web ?? `chat.${serverName}`,
    auth: file.hostnames?.auth ?? `auth.${serverName}`,
    sso: file.hostnames?.sso ?? `sso.${serverName}`,
    turn: file.hostnames?.turn ?? `turn.${serverName}`,
  };
  const spec: DeploymentSpec = {
    name: file.name,
    serverName,
    hostnames,
    target: resolveTarget(file, size.hetznerServerType, size.volumeSizeGiB),
    size,
    federation,
    identity: resolveIdentity(file),
    calls: {
      turn: file.calls?.turn ?? DEFAULTS.turn,
      relayPorts: file.calls?.relay_ports ?? DEFAULTS.relayPorts,
    },
    dns:
      (file.dns?.mode ?? DEFAULTS.dns) === 'hetzner'
        ? { mode: 'hetzner', zone: file.dns?.zone ?? serverName }
        : { mode: 'manual' },
    tls: {
      acmeServer: file.tls?.acme_server ?? DEFAULTS.acmeServer,
      acmeEmail: file.tls?.acme_email ?? file.admin_contact,
      ...(file.tls?.cluster_issuer === undefined ? {} : { clusterIssuer: file.tls.cluster_issuer }),
    },
    adminContact: file.admin_contact,
    versions: resolveVersions(file),
    ...(file.registry_mirror === undefined ? {} : { registryMirror: file.registry_mirror }),
    extra: {
      synapse: file.extra?.synapse ?? {},
      mas: file.extra?.mas ?? {},
      elementWeb: file.extra?.element_web ?? {},
      coturn: file.extra?.coturn ?? {},
      keycloak: file.extra?.keycloak ?? {},
    },
    state: resolveState(file),
    backup: resolveBackup(file),
  };
  return deepFreeze(structuredClone(spec));
}

function resolveState(file: DeploymentFile): StateBackend {
  const s3 = file.state?.s3;
  if (!s3) return { kind: 'local' };
  return { kind: 's3', ...resolveS3(file, s3) };
}

function resolveS3(file: DeploymentFile, s3: S3File) {
  return {
    endpoint: s3.endpoint.replace(/\/$/, ''),
    bucket: s3.bucket,
    keyPrefix: s3.key_prefix ?? `sovereign-matrix/${file.name}`,
    region: s3.region,
  };
}

/**
 * Backups are on unless the file turns them off. On Hetzner the bucket defaults to Hetzner Object
 * Storage in the server's own location; an existing cluster has no default (a rule says so).
 */
function resolveBackup(file: DeploymentFile): Backup {
  const backup = file.backup ?? {};
  if (backup.enabled === false) return { enabled: false };
  const hetzner = file.target.hetzner;
  const s3: S3File | undefined =
    backup.s3 ??
    (hetzner
      ? { endpoint: `https://${hetzner.location}.your-objectstorage.com`, bucket: `${file.name}-backups`, region: hetzner.location }
      : undefined);
  if (!s3) throw new Error('resolveDeployment called on a kubernetes deployment without backup.s3 (the rules refuse it)');
  return {
    enabled: true,
    s3: resolveS3(file, s3),
    timeUtc: backup.time_utc ?? DEFAULTS.backupTimeUtc,
    fullBackupDay: backup.full_backup_day ?? DEFAULTS.backupFullDay,
    retention: { ...DEFAULTS.backupRetention, ...backup.retention },
    passphraseEnv: backup.passphrase_env ?? DEFAULTS.backupPassphraseEnv,
  };
}

function resolveFederation(file: DeploymentFile): Federation {
  const mode = file.federation?.mode ?? DEFAULTS.federation;
  if (mode === 'allow_list') return { mode, allow: [...(file.federation?.allow ?? [])].sort() };
  return { mode };
}

function resolveIdentity(file: DeploymentFile): Identity {
  const mode = file.identity?.mode ?? DEFAULTS.identity;
  const oidc = file.identity?.oidc;
  if (mode === 'oidc' && oidc) {
    return {
      mode,
      oidc: {
        issuer: oidc.issuer,
        clientId: oidc.client_id,
        clientSecretEnv: oidc.client_secret_env,
        displayName: oidc.display_name ?? new URL(oidc.issuer).hostname,
        scopes: ['openid', ...(oidc.scopes ?? DEFAULTS.oidcScopes).filter((s) => s !== 'openid')],
      },
    };
  }
  return { mode: mode === 'oidc' ? 'local' : mode };
}

function resolveTarget(file: DeploymentFile, serverType: string, volumeSizeGiB: number): HetznerTarget | KubernetesTarget {
  const { hetzner, kubernetes } = file.target;
  if (hetzner) {
    return {
      kind: 'hetzner',
      location: hetzner.location,
      networkZone: 'eu-central',
      sshKeys: hetzner.ssh_keys,
      adminCidrs: hetzner.admin_cidrs,
      serverType: hetzner.server_type ?? serverType,
      volumeSizeGiB: hetzner.volume_size_gib ?? volumeSizeGiB,
    };
  }
  if (!kubernetes) throw new Error('resolveDeployment called on a file without a target');
  return {
    kind: 'kubernetes',
    context: kubernetes.context,
    kubeconfig: kubernetes.kubeconfig,
    storageClass: kubernetes.storage_class,
    ingressClass: kubernetes.ingress_class ?? DEFAULTS.ingressClass,
  };
}

function resolveVersions(file: DeploymentFile): ComponentVersions {
  const v = file.versions ?? {};
  return {
    synapse: v.synapse ?? PINNED_VERSIONS.synapse,
    postgres: v.postgres ?? PINNED_VERSIONS.postgres,
    elementWeb: v.element_web ?? PINNED_VERSIONS.elementWeb,
    mas: v.mas ?? PINNED_VERSIONS.mas,
    keycloak: v.keycloak ?? PINNED_VERSIONS.keycloak,
    coturn: v.coturn ?? PINNED_VERSIONS.coturn,
    k3s: v.k3s ?? PINNED_VERSIONS.k3s,
  };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}
