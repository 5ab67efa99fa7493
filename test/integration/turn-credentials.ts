import { createHmac } from 'node:crypto';

/**
 * TURN REST API credentials exactly as Synapse computes them for /voip/turnServer
 * (synapse/rest/client/voip.py): username = "<expiry unix seconds>:<user id>",
 * password = base64(HMAC-SHA1(key = shared secret, message = username)).
 */
export function synapseTurnCredentials(secret: string, userId: string, expiry: number): { username: string; password: string } {
  const username = `${Math.floor(expiry)}:${userId}`;
  return { username, password: createHmac('sha1', secret).update(username).digest('base64') };
}
