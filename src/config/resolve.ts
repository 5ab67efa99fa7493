import { PINNED_VERSIONS, type ComponentVersions } from '../versions';
import { profileFlavour } from './openstack-clouds';
import { GROUP_CALLS_BY_SIZE, sizeProfile, type FederationMode, type SizeName, type SizeProfile } from './sizing';
import { WORKER_PRESET_BY_SIZE, workerPlan } from './synapse-workers';
import { DEPLOYMENT_DEFAULTS, type BackupBucket, type DeploymentFile, type StateBucket } from './deployment-file.generated';
import type { Backup, DeploymentSpec, Scale, GroupCalls, Monitoring, Federation, HetznerTarget, Identity, KubernetesTarget, OpenStackTarget, StateBackend } from './spec';

/** An S3 location as the deployment file writes it (`state.s3`, `backup.s3`). */
type S3File = StateBucket | BackupBucket;

/** Short, because resolveDeployment reads it on almost every line. */
const D = DEPLOYMENT_DEFAULTS;

/**
 * Applies every default and the sizing profile; the result is deep-frozen. Constant defaults come
 * from the schema (D); the ones derived from other fields (hostnames and the DNS zone from
 * server_name, server type and volume from the size profile, the backup bucket from the Hetzner
 * location, key prefixes from name, the certificate contact from admin_contact, versions from
 * PINNED_VERSIONS) are code here, and the schema's descriptions say them in words.
 */
export function resolveDeployment(file: DeploymentFile): DeploymentSpec {
  const serverName = file.server_name;
  const federation = resolveFederation(file);
  const sizeName = file.size ?? D['size'];
  // Group calls take node capacity of their own, so they are part of the size.
  const groupCalls = file.calls?.group?.enabled ?? GROUP_CALLS_BY_SIZE[sizeName];
  const size = sizeProfile(sizeName, federation.mode, groupCalls);
  const hostnames = {
    matrix: file.hostnames?.matrix ?? `matrix.${serverName}`,
    web: file.hostnames?.web ?? `chat.${serverName}`,
    auth: file.hostnames?.auth ?? `auth.${serverName}`,
    sso: file.hostnames?.sso ?? `sso.${serverName}`,
    turn: file.hostnames?.turn ?? `turn.${serverName}`,
    rtc: file.hostnames?.rtc ?? `rtc.${serverName}`,
  };
  const spec: DeploymentSpec = {
    name: file.name,
    serverName,
    hostnames,
    target: resolveTarget(file, size, groupCalls),
    size,
    federation,
    identity: resolveIdentity(file),
    calls: {
      turn: file.calls?.turn ?? D['calls.turn'],
      relayPorts: file.calls?.relay_ports ?? D['calls.relay_ports'],
      group: resolveGroupCalls(file, size.name),
    },
    dns: resolveDns(file, serverName),
    tls: {
      acmeServer: file.tls?.acme_server ?? D['tls.acme_server'],
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
    monitoring: resolveMonitoring(file, size.name),
    scale: resolveScale(file, size, federation.mode),
  };
  return deepFreeze(structuredClone(spec));
}

/** `auto` takes the size profile's worker preset; CloudNativePG only where the rules allow it. */
function resolveScale(file: DeploymentFile, size: SizeProfile, federation: FederationMode): Scale {
  const preset = file.scale?.synapse_workers ?? D['scale.synapse_workers'];
  const postgres = file.scale?.postgres;
  return {
    workers: workerPlan(preset === 'auto' ? WORKER_PRESET_BY_SIZE[size.name] : preset, size.synapse, federation),
    postgres:
      (postgres?.engine ?? D['scale.postgres.engine']) === 'cloudnative-pg'
        ? { engine: 'cloudnative-pg', instances: postgres?.instances ?? D['scale.postgres.instances'] }
        : { engine: 'bundled' },
  };
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
  if (!(backup.enabled ?? D['backup.enabled'])) return { enabled: false };
  const hetzner = file.target.hetzner;
  const s3: S3File | undefined =
    backup.s3 ??
    (hetzner
      ? { endpoint: `https://${hetzner.location}.your-objectstorage.com`, bucket: `${file.name}-backups`, region: hetzner.location }
      : undefined);
  if (!s3) throw new Error('resolveDeployment called without backup.s3 on a target with no default bucket (the rules refuse it)');
  return {
    enabled: true,
    s3: resolveS3(file, s3),
    timeUtc: backup.time_utc ?? D['backup.time_utc'],
    fullBackupDay: backup.full_backup_day ?? D['backup.full_backup_day'],
    retention: {
      daily: backup.retention?.daily ?? D['backup.retention.daily'],
      weekly: backup.retention?.weekly ?? D['backup.retention.weekly'],
      monthly: backup.retention?.monthly ?? D['backup.retention.monthly'],
    },
    passphraseEnv: backup.passphrase_env ?? D['backup.passphrase_env'],
  };
}

/** How long the bundled Prometheus keeps series, by size profile: larger deployments are investigated over longer spans. */
export const MONITORING_RETENTION_DAYS: Readonly<Record<SizeName, number>> = { small: 15, medium: 30, large: 90 };

function resolveMonitoring(file: DeploymentFile, size: SizeName): Monitoring {
  const monitoring = file.monitoring ?? {};
  const email = monitoring.alert_email;
  return {
    // The kit's own k3s node has no Prometheus Operator (a rule refuses it).
    stack: file.target.hetzner || file.target.openstack ? 'bundled' : (monitoring.stack ?? D['monitoring.stack']),
    retentionDays: monitoring.retention_days ?? MONITORING_RETENTION_DAYS[size],
    ...(email === undefined
      ? {}
      : {
          alertEmail: {
            smarthost: email.smarthost,
            from: email.from,
            to: email.to ?? file.admin_contact,
            ...(email.username === undefined
              ? {}
              : { auth: { username: email.username, passwordEnv: email.password_env ?? D['monitoring.alert_email.password_env'] } }),
          },
        }),
    prometheusOperator: {
      namespace: monitoring.prometheus_operator?.namespace ?? D['monitoring.prometheus_operator.namespace'],
      labels: { ...(monitoring.prometheus_operator?.labels ?? D['monitoring.prometheus_operator.labels']) },
    },
  };
}

/** Group calls by size profile: a small deployment opts in, larger ones run them unless the file says no. */

function resolveGroupCalls(file: DeploymentFile, size: SizeName): GroupCalls {
  const group = file.calls?.group ?? {};
  if (!(group.enabled ?? GROUP_CALLS_BY_SIZE[size])) return { enabled: false };
  return {
    enabled: true,
    tcpPort: group.tcp_port ?? D['calls.group.tcp_port'],
    mediaPorts: group.media_ports ?? D['calls.group.media_ports'],
    whoMayStart: group.who_may_start ?? D['calls.group.who_may_start'],
  };
}

function resolveFederation(file: DeploymentFile): Federation {
  const { mode, allow } = file.federation ?? D['federation'];
  if (mode === 'allow_list') return { mode, allow: [...(allow ?? [])].sort() };
  return { mode };
}

function resolveIdentity(file: DeploymentFile): Identity {
  const { mode, oidc } = file.identity ?? D['identity'];
  if (mode === 'oidc' && oidc) {
    return {
      mode,
      oidc: {
        issuer: oidc.issuer,
        clientId: oidc.client_id,
        clientSecretEnv: oidc.client_secret_env,
        displayName: oidc.display_name ?? new URL(oidc.issuer).hostname,
        scopes: ['openid', ...(oidc.scopes ?? D['identity.oidc.scopes']).filter((s) => s !== 'openid')],
      },
    };
  }
  return { mode: mode === 'oidc' ? 'local' : mode };
}

function resolveDns(file: DeploymentFile, serverName: string): DeploymentSpec['dns'] {
  const mode = (file.dns ?? D['dns']).mode;
  return mode === 'manual' ? { mode } : { mode, zone: file.dns?.zone ?? serverName };
}

function resolveTarget(file: DeploymentFile, size: SizeProfile, groupCalls: boolean): HetznerTarget | OpenStackTarget | KubernetesTarget {
  const { hetzner, openstack, kubernetes } = file.target;
  if (hetzner) {
    return {
      kind: 'hetzner',
      location: hetzner.location,
      networkZone: 'eu-central',
      sshKeys: hetzner.ssh_keys,
      adminCidrs: hetzner.admin_cidrs,
      serverType: hetzner.server_type ?? size.hetznerServerType,
      volumeSizeGiB: hetzner.volume_size_gib ?? size.volumeSizeGiB,
    };
  }
  if (openstack) {
    // Same rule as the Hetzner server type: the smallest known flavour that fits the profile.
    const flavor = openstack.flavor ?? profileFlavour(openstack.cloud, size, groupCalls)?.name;
    if (!flavor) throw new Error('resolveDeployment called without a flavour where none is known to fit (the rules refuse it)');
    return {
      kind: 'openstack',
      cloud: openstack.cloud,
      ...(openstack.auth_url === undefined ? {} : { authUrl: openstack.auth_url }),
      region: openstack.region,
      flavor,
      image: openstack.image,
      externalNetwork: openstack.external_network,
      keyPair: openstack.key_pair,
      adminCidrs: openstack.admin_cidrs,
      volumeSizeGiB: openstack.volume_size_gib ?? size.volumeSizeGiB,
      ...(openstack.volume_type === undefined ? {} : { volumeType: openstack.volume_type }),
    };
  }
  if (!kubernetes) throw new Error('resolveDeployment called on a file without a target');
  return {
    kind: 'kubernetes',
    context: kubernetes.context,
    kubeconfig: kubernetes.kubeconfig,
    storageClass: kubernetes.storage_class,
    ingressClass: kubernetes.ingress_class ?? D['target.kubernetes.ingress_class'],
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
