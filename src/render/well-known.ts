import type { DeploymentSpec } from '../config/spec';
import { PORTS } from '../ports';
import type { RenderedFile } from './files';
import { masUrls } from './mas';
import { rtcFocus } from './matrix-rtc';

/**
 * `.well-known/matrix/server` (federation delegation) and `.well-known/matrix/client` (client
 * discovery), served from https://<server_name>/.well-known/matrix/. No identity server is
 * advertised: clients would otherwise fall back to public ones.
 */
export function wellKnownServer(spec: DeploymentSpec): Record<string, unknown> {
  return { 'm.server': `${spec.hostnames.matrix}:${PORTS.https}` };
}

/**
 * `org.matrix.msc2965.authentication` names Matrix Authentication Service (the issuer, exactly as
 * in its discovery document, and its account page). Current clients (Element X, Element Web) ask
 * the homeserver instead (`/_matrix/client/v1/auth_metadata`, which Synapse answers from MAS);
 * older ones only look here.
 */
export function wellKnownClient(spec: DeploymentSpec): Record<string, unknown> {
  const mas = masUrls(spec);
  return {
    'm.homeserver': { base_url: `https://${spec.hostnames.matrix}` },
    'org.matrix.msc2965.authentication': { issuer: mas.issuer, account: mas.account },
    // Group calls: the MatrixRTC focus (MSC4143), which clients that do not ask Synapse's
    // transports endpoint read here.
    ...(spec.calls.group.enabled ? { 'org.matrix.msc4143.rtc_foci': [rtcFocus(spec)] } : {}),
  };
}

export function renderWellKnown(spec: DeploymentSpec): RenderedFile[] {
  return [
    { path: 'well-known/client.json', content: prettyJson(wellKnownClient(spec)) },
    { path: 'well-known/server.json', content: prettyJson(wellKnownServer(spec)) },
  ];
}

/** Two-space indented JSON with a trailing newline, the form every rendered JSON file has. */
export function prettyJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
