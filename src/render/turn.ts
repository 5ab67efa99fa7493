import type { DeploymentSpec } from '../config/spec';
import { PORTS } from '../ports';

/** Where the TURN shared secret is mounted in the Synapse container. */
export const SYNAPSE_TURN_SECRET_PATH = '/secrets/turn/shared-secret';

/** One way clients reach the deployment's TURN server. */
export interface TurnEndpoint {
  readonly scheme: 'turn' | 'turns';
  readonly port: number;
  readonly transport: 'udp' | 'tcp';
}

/**
 * The deployment's TURN server as every client is told about it: UDP, TCP, and TLS for networks
 * that pass only TLS. Synapse hands these to 1:1 calls, the SFU to group calls (render/livekit.ts):
 * one TURN server and one shared secret for every kind of call. Empty when TURN is off.
 */
export function turnEndpoints(spec: DeploymentSpec): TurnEndpoint[] {
  if (!spec.calls.turn) return [];
  return [
    { scheme: 'turn', port: PORTS.turn, transport: 'udp' },
    { scheme: 'turn', port: PORTS.turn, transport: 'tcp' },
    { scheme: 'turns', port: PORTS.turns, transport: 'tcp' },
  ];
}

/**
 * Synapse's side of TURN: the URIs clients are told to use and the shared secret Synapse signs
 * time-limited TURN credentials with (the same secret coturn verifies). Empty when TURN is off.
 */
export function synapseTurnSettings(spec: DeploymentSpec): Record<string, unknown> {
  if (!spec.calls.turn) return {};
  const host = spec.hostnames.turn;
  return {
    turn_uris: turnEndpoints(spec).map((e) => `${e.scheme}:${host}:${e.port}?transport=${e.transport}`),
    turn_shared_secret_path: SYNAPSE_TURN_SECRET_PATH,
    turn_user_lifetime: '1h',
    turn_allow_guests: false,
  };
}
