import type { DeploymentSpec } from '../config/spec';
import { PORTS } from '../ports';
import type { RenderedFile } from './files';

/**
 * `.well-known/matrix/server` (federation delegation) and `.well-known/matrix/client` (client
 * discovery), served from https://<server_name>/.well-known/matrix/. No identity server is
 * advertised: clients would otherwise fall back to public ones.
 */
export function wellKnownServer(spec: DeploymentSpec): Record<string, unknown> {
  return { 'm.server': `${spec.hostnames.matrix}:${PORTS.https}` };
}

export function wellKnownClient(spec: DeploymentSpec): Record<string, unknown> {
  return { 'm.homeserver': { base_url: `https://${spec.hostnames.matrix}` } };
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
