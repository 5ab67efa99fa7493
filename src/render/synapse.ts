import YAML, { isMap, isScalar, type Document } from 'yaml';
import type { DeploymentSpec } from '../config/spec';
import type { SizeName } from '../config/sizing';
import { PORTS } from '../ports';
import type { RenderedFile } from './files';
import { deepMerge } from './merge';
import { synapseMatrixRtcSettings } from './matrix-rtc';
import { mainReplicationListeners, synapseWorkerSettings, WORKER_SETTINGS_COMMENTS } from './synapse-workers';
import { synapseTurnSettings } from './turn';

/**
 * Where things live inside the Synapse container. The Kubernetes stack mounts exactly these; the
 * integration test's overlay maps them to temporary directories.
 */
export const SYNAPSE_PATHS = {
  /** Persistent volume: media store, signing key, pid file. */
  data: '/data',
  /** ConfigMap: homeserver.yaml and log.config. */
  config: '/config',
} as const;

/**
 * Secret files Synapse reads (each a Kubernetes Secret key mounted read-only). The rendered
 * homeserver.yaml names only these paths, never a secret value.
 */
export const SYNAPSE_SECRET_FILES = {
  macaroonSecretKey: '/secrets/synapse/macaroon-secret-key',
  formSecret: '/secrets/synapse/form-secret',
  /** Shared between Synapse and MAS (MAS's `matrix.secret`). */
  masSharedSecret: '/secrets/mas/synapse-shared-secret',
} as const;

/**
 * The in-namespace Service names Synapse connects to. The stacks create Services with these names.
 */
export const SYNAPSE_UPSTREAMS = {
  postgres: 'postgres',
  mas: 'mas',
} as const;

/** The database role and database Synapse uses (postgres/init-synapse.sql creates both). */
export const SYNAPSE_DATABASE = { user: 'synapse', database: 'synapse' } as const;

/** What the size profile changes in Synapse. */
interface SynapseSizing {
  /** Database connection pool (per Synapse process). */
  readonly cpMin: number;
  readonly cpMax: number;
  /** Multiplier of every cache's default size. */
  readonly cacheFactor: number;
  /** Presence is expensive with many users (every status change fans out); off for large. */
  readonly presence: boolean;
}

const SIZING: Record<SizeName, SynapseSizing> = {
  // cacheFactor 0.5 is Synapse's own default; ESS memory for medium and large is about 3x and 4x small's.
  small: { cpMin: 5, cpMax: 10, cacheFactor: 0.5, presence: true },
  medium: { cpMin: 10, cpMax: 20, cacheFactor: 1.0, presence: true },
  large: { cpMin: 10, cpMax: 40, cacheFactor: 2.0, presence: false },
};

export function synapseSizing(spec: DeploymentSpec): SynapseSizing {
  return SIZING[spec.size.name];
}

/**
 * The federation setting. Synapse reads an absent `federation_domain_whitelist` as "everyone"
 * and an explicit empty list as "no one" (its documentation's "defaults to []" is misleading).
 */
function federationSettings(spec: DeploymentSpec): Record<string, unknown> {
  switch (spec.federation.mode) {
    case 'closed':
      return { federation_domain_whitelist: [] };
    case 'allow_list':
      return { federation_domain_whitelist: [...spec.federation.allow] };
    case 'open':
      return {};
  }
}

/**
 * Synapse's homeserver.yaml as an object, with the escape hatch (`extra.synapse`) merged last.
 * Key order is fixed by this function (then `extra`'s own order), so serialization is
 * deterministic.
 */
export function synapseConfig(spec: DeploymentSpec): Record<string, unknown> {
  const sizing = synapseSizing(spec);
  const data = SYNAPSE_PATHS.data;
  const base: Record<string, unknown> = {
    server_name: spec.serverName,
    public_baseurl: `https://${spec.hostnames.matrix}/`,
    admin_contact: `mailto:${spec.adminContact}`,
    pid_file: `${data}/homeserver.pid`,
    log_config: `${SYNAPSE_PATHS.config}/log.config`,
    media_store_path: `${data}/media`,
    signing_key_path: `${data}/keys/signing.key`,
    report_stats: false,
    listeners: [
      {
        port: PORTS.synapseHttp,
        type: 'http',
        tls: false,
        x_forwarded: true,
        bind_addresses: ['0.0.0.0'],
        resources: [
          { names: ['client'], compress: false },
          { names: ['federation'], compress: false },
        ],
      },
      {
        port: PORTS.synapseMetrics,
        type: 'metrics',
        tls: false,
        bind_addresses: ['0.0.0.0'],
      },
      ...mainReplicationListeners(spec),
    ],
    enable_metrics: true,
    database: {
      name: 'psycopg2',
      args: {
        user: SYNAPSE_DATABASE.user,
        database: SYNAPSE_DATABASE.database,
        host: SYNAPSE_UPSTREAMS.postgres,
        port: PORTS.postgres,
        cp_min: sizing.cpMin,
        cp_max: sizing.cpMax,
      },
    },
    macaroon_secret_key_path: SYNAPSE_SECRET_FILES.macaroonSecretKey,
    form_secret_path: SYNAPSE_SECRET_FILES.formSecret,
    matrix_authentication_service: {
      enabled: true,
      endpoint: `http://${SYNAPSE_UPSTREAMS.mas}:${PORTS.masHttp}/`,
      secret_path: SYNAPSE_SECRET_FILES.masSharedSecret,
    },
    // Accounts, passwords and 3PIDs belong to MAS; Synapse refuses to start with these on.
    enable_registration: false,
    password_config: { enabled: false },
    enable_3pid_changes: false,
    allow_guest_access: false,
    ...federationSettings(spec),
    trusted_key_servers: [],
    allow_public_rooms_over_federation: false,
    allow_public_rooms_without_auth: false,
    require_auth_for_profile_requests: true,
    limit_profile_requests_to_users_who_share_rooms: true,
    include_profile_data_on_invite: false,
    url_preview_enabled: false,
    max_upload_size: '50M',
    presence: { enabled: sizing.presence },
    caches: { global_factor: sizing.cacheFactor },
    ...synapseTurnSettings(spec),
    ...synapseMatrixRtcSettings(spec),
    ...synapseWorkerSettings(spec),
  };
  return deepMerge(base, spec.extra.synapse);
}

/** Comments carried into homeserver.yaml, before the named top-level key. */
const COMMENTS: Readonly<Record<string, string>> = {
  listeners: [
    ' Inside the pod; only the ingress and the network policy reach it.',
    ' The "client" resource also serves /_synapse/admin (the admin API) and /_synapse/mas (the',
    ' MAS-to-Synapse API). The ingress routes only /_matrix/ and /_synapse/client/, so neither is',
    ' ever reachable from outside the cluster. The metrics listener is cluster-internal.',
  ].join('\n'),
  database: [
    ' No password here: libpq reads PGPASSWORD from the container environment (a Kubernetes',
    ' Secret), so the ConfigMap holds no secret.',
  ].join('\n'),
  macaroon_secret_key_path: ' Secrets are files mounted from Kubernetes Secrets; none is written here.',
  matrix_authentication_service: [
    ' Every identity mode puts Matrix Authentication Service in front of Synapse. Synapse calls its',
    ' discovery and token introspection endpoints on the MAS web listener, per request.',
  ].join('\n'),
  federation_domain_whitelist: ' Federation: an empty list blocks every remote server; absent means open.',
  trusted_key_servers: ' No notary (the default would be matrix.org): keys are fetched from each server itself.',
  matrix_rtc: ' Group calls (calls.group): clients discover the MatrixRTC authorisation service here and in .well-known.',
  ...WORKER_SETTINGS_COMMENTS,
};

/** homeserver.yaml and log.config. */
export function renderSynapse(spec: DeploymentSpec): RenderedFile[] {
  const doc = new YAML.Document(synapseConfig(spec));
  doc.commentBefore = [
    ' Synapse configuration rendered by sovereign-matrix from the deployment file; do not edit.',
    ' Change the deployment file (or its extra.synapse escape hatch) and render again.',
  ].join('\n');
  commentKeys(doc, COMMENTS);
  return [
    { path: 'synapse/homeserver.yaml', content: stringify(doc) },
    { path: 'synapse/log.config', content: stringify(new YAML.Document(logConfig())) },
  ];
}

/** Python logging configuration: everything at INFO to stdout, where the kubelet collects it. */
export function logConfig(): Record<string, unknown> {
  return {
    version: 1,
    formatters: {
      precise: { format: '%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - %(request)s - %(message)s' },
    },
    handlers: {
      console: { class: 'logging.StreamHandler', formatter: 'precise', stream: 'ext://sys.stdout' },
    },
    loggers: {
      synapse: { level: 'INFO' },
      // DEBUG here would log every SQL statement with its arguments.
      'synapse.storage.SQL': { level: 'INFO' },
    },
    root: { level: 'INFO', handlers: ['console'] },
    disable_existing_loggers: false,
  };
}

function commentKeys(doc: Document, comments: Readonly<Record<string, string>>): void {
  if (!isMap(doc.contents)) return;
  for (const pair of doc.contents.items) {
    if (isScalar(pair.key) && typeof pair.key.value === 'string' && comments[pair.key.value]) {
      pair.key.commentBefore = comments[pair.key.value];
    }
  }
}

function stringify(doc: Document): string {
  return doc.toString({ lineWidth: 0, indentSeq: true });
}
