import type { DeploymentSpec } from '../config/spec';

/** An address record the deployment needs, before the addresses are known. */
export interface AddressRecord {
  /** Fully qualified name. */
  readonly fqdn: string;
  readonly type: 'A' | 'AAAA';
  /** Which server address it points at. */
  readonly address: 'ipv4' | 'ipv6';
}

/** Record TTL in seconds: short enough to move a deployment within the hour. */
export const DNS_TTL_SECONDS = 300;

/**
 * Every public name of the deployment: server_name (serves .well-known delegation) and each
 * service hostname that runs. Keycloak, TURN and group call (rtc) names only when those components run.
 */
export function publicNames(spec: DeploymentSpec): string[] {
  const names = [spec.serverName, spec.hostnames.matrix, spec.hostnames.web, spec.hostnames.auth];
  if (spec.identity.mode === 'keycloak') names.push(spec.hostnames.sso);
  if (spec.calls.turn) names.push(spec.hostnames.turn);
  if (spec.calls.group.enabled) names.push(spec.hostnames.rtc);
  return [...new Set(names)];
}

/**
 * The A and AAAA records of every public name. On OpenStack the node is reached through one
 * floating IPv4 address (its private network has no public IPv6 prefix), so there is no AAAA.
 */
export function addressRecords(spec: DeploymentSpec): AddressRecord[] {
  const ipv6 = spec.target.kind !== 'openstack';
  return publicNames(spec).flatMap((fqdn) => [
    { fqdn, type: 'A' as const, address: 'ipv4' as const },
    ...(ipv6 ? [{ fqdn, type: 'AAAA' as const, address: 'ipv6' as const }] : []),
  ]);
}

/** A record as a zone file line (`name. TTL IN TYPE value`), as deploy prints it for dns.mode manual. */
export function recordLine(fqdn: string, type: AddressRecord['type'], value: string): string {
  return `${fqdn}. ${DNS_TTL_SECONDS} IN ${type} ${value}`;
}

/** The name of a record relative to its zone, `@` for the apex. */
export function relativeName(fqdn: string, zone: string): string {
  if (fqdn === zone) return '@';
  if (!fqdn.endsWith(`.${zone}`)) throw new Error(`${fqdn} is not in zone ${zone}`);
  return fqdn.slice(0, -(zone.length + 1));
}
