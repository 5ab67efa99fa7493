import type { DeploymentSpec } from '../config/spec';
import { PORTS } from '../ports';
import type { RenderedFile } from './files';
import { LIVEKIT_SECRET_FILES } from './livekit';
import { rtcUrls } from './matrix-rtc';

/** Path of the rendered file under the render output directory. */
export const LK_JWT_SERVICE_ENV_PATH = 'lk-jwt-service/env';

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
 * pinned release. The key file is the SFU's own; no secret is written here.
 */
export function lkJwtServiceEnv(spec: DeploymentSpec): Record<string, string> {
  return {
    LIVEKIT_URL: rtcUrls(spec).sfu,
    LIVEKIT_KEY_FILE: LIVEKIT_SECRET_FILES.keyFile,
    LIVEKIT_JWT_BIND: `:${PORTS.lkJwtHttp}`,
    LIVEKIT_FULL_ACCESS_HOMESERVERS: fullAccessHomeservers(spec),
  };
}

/** The environment as an env file (KEY=value lines), or nothing without group calls. */
export function renderLkJwtService(spec: DeploymentSpec): RenderedFile[] {
  if (!spec.calls.group.enabled) return [];
  const env = lkJwtServiceEnv(spec);
  const lines = Object.entries(env).map(([key, value]) => `${key}=${value}`);
  return [{ path: LK_JWT_SERVICE_ENV_PATH, content: `# lk-jwt-service environment rendered by sovereign-matrix.\n${lines.join('\n')}\n` }];
}
