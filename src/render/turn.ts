import type { DeploymentSpec } from '../config/spec';
import { PORTS } from '../ports';

/** Where the TURN shared secret is mounted in the Synapse container. */
export const SYNAPSE_TURN_SECRET_PATH = '/secrets/turn/shared-secret';

/**
 * Synapse's side of TURN: the URIs clients are told to use and the shared secret Synapse signs
 * time-limited TURN credentials with (the same secret coturn verifies). Empty when TURN is off.
 */
export function synapseTurnSettings(spec: DeploymentSpec): Record<string, unknown> {
  if (!spec.calls.turn) return {};
  const host = spec.hostnames.turn;
  return {
    turn_uris: [
      `turn:${host}:${PORTS.turn}?transport=udp`,
      `turn:${host}:${PORTS.turn}?transport=tcp`,
      `turns:${host}:${PORTS.turns}?transport=tcp`,
    ],
    turn_shared_secret_path: SYNAPSE_TURN_SECRET_PATH,
    turn_user_lifetime: '1h',
    turn_allow_guests: false,
  };
}
