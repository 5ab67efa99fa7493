import type { DeploymentSpec } from '../config/spec';

/**
 * Where clients find group calls. One hostname (hostnames.rtc) carries both services, split by
 * path on the ingress: the authorisation service (lk-jwt-service) answers its own endpoints,
 * everything else is the SFU (LiveKit's WebSocket and room API).
 */
export interface RtcUrls {
  /** lk-jwt-service: clients POST their Matrix OpenID token to `<this>/get_token`. */
  readonly authorisationService: string;
  /** The SFU's WebSocket, which lk-jwt-service hands to clients with their LiveKit token. */
  readonly sfu: string;
}

export function rtcUrls(spec: DeploymentSpec): RtcUrls {
  return { authorisationService: `https://${spec.hostnames.rtc}`, sfu: `wss://${spec.hostnames.rtc}` };
}

/**
 * The paths lk-jwt-service serves to clients (its handler.go): the token exchange, its pre-Matrix
 * 2.0 name, and the delayed leave event it sends for a client that vanished. Its /sfu_webhook
 * (LiveKit's participant events) and /healthz stay inside the cluster.
 */
export const LK_JWT_PUBLIC_PATHS = ['/get_token', '/sfu/get', '/delegate_delayed_leave'] as const;

/** The MatrixRTC focus clients are told about: the LiveKit backend of MSC4195, by its authorisation service. */
export function rtcFocus(spec: DeploymentSpec): { type: 'livekit'; livekit_service_url: string } {
  return { type: 'livekit', livekit_service_url: rtcUrls(spec).authorisationService };
}

/**
 * Synapse's MatrixRTC settings, as ESS Community sets them for the same releases, and only when
 * group calls run:
 * - MSC4143 transports: `GET /_matrix/client/unstable/org.matrix.msc4143/rtc/transports` answers
 *   with `matrix_rtc.transports` (Synapse 1.163 validates each entry);
 * - MSC4222 (`state_after` in sync v2), so clients track call membership state correctly;
 * - MSC4140 delayed events, which Synapse enables once `max_event_delay_duration` is set: a
 *   client schedules its own "left the call" event and keeps postponing it, so a crashed client
 *   leaves the call by itself;
 * - rate limits that let calls through: the delayed-event heartbeat (every 5 s) and the bursts of
 *   encryption key messages when participants join.
 */
export function synapseMatrixRtcSettings(spec: DeploymentSpec): Record<string, unknown> {
  if (!spec.calls.group.enabled) return {};
  return {
    experimental_features: { msc4143_enabled: true, msc4222_enabled: true },
    matrix_rtc: { transports: [rtcFocus(spec)] },
    max_event_delay_duration: '24h',
    rc_message: { per_second: 0.5, burst_count: 30 },
    rc_delayed_event_mgmt: { per_second: 1, burst_count: 20 },
  };
}
