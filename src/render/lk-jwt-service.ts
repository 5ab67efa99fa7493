import type { DeploymentSpec } from '../config/spec';
import { PORTS } from '../ports';
import type { RenderedFile } from './files';
import { LIVEKIT_KEY_NAME, LK_JWT_SECRET_FILE } from './livekit';
import { rtcUrls } from './matrix-rtc';

/** Directory of the rendered files under the render output directory. */
export const LK_JWT_SERVICE_DIR = 'lk-jwt-service';

/**
 * Whose users may create a call's SFU room (lk-jwt-service's "full access" homeservers, matched
 * against the server name of the OpenID token): this server, and with `federation` the servers
 * federation admits. Anyone else whose server vouches for them may still join a call that runs,
 * as the Matrix room's membership allows.
 */
export function fullAccessHomeservers(spec: DeploymentSpec): string {
  const group = spec.calls.group;
  if (!group.enabled || group.whoMayStart === 'local') return spec.serverName;
  switch (spec.federation.mode) {
    case 'closed':
      return spec.serverName;
    case 'allow_list':
      return [spec.serverName, ...spec.federation.allow].join(',');
    case 'open':
      return '*';
  }
}

/**
 * lk-jwt-service's environment (its only configuration), as its README documents it for the
 * pinned release: the SFU's API key by name, its secret from a mounted file; no secret is written here.
 */
export function lkJwtServiceEnv(spec: DeploymentSpec): Record<string, string> {
  return {
    LIVEKIT_URL: rtcUrls(spec).sfu,
    LIVEKIT_KEY: LIVEKIT_KEY_NAME,
    LIVEKIT_SECRET_FROM_FILE: LK_JWT_SECRET_FILE,
    LIVEKIT_JWT_BIND: `:${PORTS.lkJwtHttp}`,
    LIVEKIT_FULL_ACCESS_HOMESERVERS: fullAccessHomeservers(spec),
  };
}

/**
 * The environment as one file per variable, named after it and holding exactly its value: the
 * ConfigMap made from them is the container's environment as it is (`envFrom`; the image is
 * `scratch`, without a shell to read an env file). Nothing without group calls.
 */
export function renderLkJwtService(spec: DeploymentSpec): RenderedFile[] {
  if (!spec.calls.group.enabled) return [];
  return Object.entries(lkJwtServiceEnv(spec)).map(([name, value]) => ({ path: `${LK_JWT_SERVICE_DIR}/${name}`, content: value }));
}
