import YAML from 'yaml';
import type { DeploymentSpec } from '../config/spec';
import { PORTS } from '../ports';
import { envPlaceholder, type RenderedFile } from './files';
import { namespaceName } from './namespace';
import { SYNAPSE_TURN_SECRET_PATH, turnEndpoints } from './turn';

/** Path of the rendered configuration under the render output directory. */
export const LIVEKIT_CONFIG_PATH = 'livekit/livekit.yaml';

/** Path of the key file template under the render output directory. */
export const LIVEKIT_KEYS_PATH = 'livekit/keys.yaml';

/**
 * Secret files the SFU reads. The key file is written at container start from the rendered
 * template (livekit/keys.yaml) with the API secret generated at apply time; the TURN secret is
 * coturn's own, mounted from its Secret. LiveKit refuses to start when either is readable by others.
 */
export const LIVEKIT_SECRET_FILES = {
  keyFile: '/run/livekit/keys.yaml',
  turnSecret: SYNAPSE_TURN_SECRET_PATH,
} as const;

/** Where lk-jwt-service reads the same API secret (a Secret volume; it reads no key file). */
export const LK_JWT_SECRET_FILE = '/secrets/livekit/api-secret';

/** The API key's name (not a secret): LiveKit and lk-jwt-service share the one key pair. */
export const LIVEKIT_KEY_NAME = 'matrix-rtc';

/** Values the SFU's container substitutes for their placeholders at start. */
export const LIVEKIT_ENV = {
  /** The node's public IPv4 address, which the SFU announces as its ICE candidate. */
  nodeIp: 'LIVEKIT_NODE_IP',
  /** The API secret (from its Secret), substituted into the key file only. */
  apiSecret: 'LIVEKIT_API_SECRET',
} as const;

/** In-cluster name of lk-jwt-service, which receives the SFU's webhooks. */
export const LK_JWT_SERVICE = 'lk-jwt-service';

/**
 * LiveKit's key file (YAML `name: secret`). The secret holds no ':' or whitespace, so the same
 * pair also reads as lk-jwt-service's `key:secret` format; it is at least 32 characters (LiveKit
 * logs shorter ones as an error).
 */
export function livekitKeyFile(secret: string): string {
  if (secret.includes(':') || /\s/.test(secret)) throw new Error('the LiveKit secret must not contain ":" or whitespace');
  return `${LIVEKIT_KEY_NAME}: ${secret}\n`;
}

/** A group call lasts longer than a 1:1 call's TURN credential (Synapse's 1 h); LiveKit's own default. */
const TURN_CREDENTIAL_TTL_SECONDS = 4 * 3600;

/**
 * The SFU's configuration (LiveKit 1.13). Every default that reaches a third party is replaced:
 * - no STUN discovery of the public address (`use_external_ip` would ask Google's and Twilio's STUN
 *   servers): the node's address is given, as coturn's is;
 * - clients get the deployment's coturn as STUN and TURN server (with credentials minted from
 *   coturn's shared secret), never LiveKit's fallback of Google's and Twilio's STUN servers;
 * - LiveKit's embedded TURN server stays off: one TURN server per deployment.
 * Rooms are created only through lk-jwt-service (`auto_create: false`), which creates them for the
 * users `calls.group.who_may_start` admits; a token for a room that does not exist joins nothing.
 */
export function livekitConfig(spec: DeploymentSpec): Record<string, unknown> {
  const group = spec.calls.group;
  if (!group.enabled) throw new Error('livekitConfig needs calls.group enabled');
  const turnHost = spec.hostnames.turn;
  return {
    port: PORTS.livekitHttp,
    rtc: {
      tcp_port: group.tcpPort,
      port_range_start: group.mediaPorts.min,
      port_range_end: group.mediaPorts.max,
      use_external_ip: false,
      node_ip: envPlaceholder(LIVEKIT_ENV.nodeIp),
      stun_servers: [`${turnHost}:${PORTS.turn}`],
      turn_servers: turnEndpoints(spec).map((e) => ({
        host: turnHost,
        port: e.port,
        protocol: e.scheme === 'turns' ? 'tls' : e.transport,
        secret_file: LIVEKIT_SECRET_FILES.turnSecret,
        ttl: TURN_CREDENTIAL_TTL_SECONDS,
      })),
    },
    turn: { enabled: false },
    key_file: LIVEKIT_SECRET_FILES.keyFile,
    room: { auto_create: false },
    webhook: {
      api_key: LIVEKIT_KEY_NAME,
      urls: [`http://${LK_JWT_SERVICE}.${namespaceName(spec)}.svc:${PORTS.lkJwtHttp}/sfu_webhook`],
    },
    logging: { level: 'info', json: true },
  };
}

/** The SFU's configuration file, or nothing without group calls. */
export function renderLivekit(spec: DeploymentSpec): RenderedFile[] {
  if (!spec.calls.group.enabled) return [];
  const doc = new YAML.Document(livekitConfig(spec));
  doc.commentBefore = [
    ' LiveKit SFU configuration rendered by sovereign-matrix; do not edit, change the deployment file.',
    ' @@NAME@@ placeholders are substituted from the environment by the container entrypoint.',
    ' Secrets are files (key_file, written at start from keys.yaml; secret_file, mounted); none is written here.',
  ].join('\n');
  return [
    { path: LIVEKIT_CONFIG_PATH, content: doc.toString({ lineWidth: 0, indentSeq: true }) },
    { path: LIVEKIT_KEYS_PATH, content: livekitKeyFile(envPlaceholder(LIVEKIT_ENV.apiSecret)) },
  ];
}
