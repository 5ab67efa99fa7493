import { MANAGED_SETTINGS, SECRET_KEY_PATTERN, type ExtraComponent } from './managed-settings';
import { DEPLOYMENT_DEFAULTS } from './deployment-file.generated';
import type { Problem } from './problems';
import { get, isRecord, nodeTargetKey, str } from './raw-data';
import { checkTargetRules } from './target-rules';
import { PORTS } from '../ports';
import type { FieldPath, YamlSource } from './yaml-source';
import { scaleRule } from './scale-rules';

/**
 * Rules the JSON Schema cannot express well: fields that only make sense together, and values
 * that are well-formed but unsafe. Each rule reads the raw data defensively, because it also runs
 * when the schema found problems elsewhere, so that the user sees everything at once.
 */
type Rule = (source: YamlSource) => Problem[];

const TURN_PORTS = [PORTS.turn, PORTS.turns] as const;
export const RELAY_RANGE_LIMITS = { minPorts: 20, maxPorts: 5000 } as const;

const federationRule: Rule = (src) => {
  const mode = str(src.data, ['federation', 'mode']);
  const allow = get(src.data, ['federation', 'allow']);
  if (mode === 'allow_list' && allow === undefined) {
    return [src.problem(['federation', 'mode'], "allow_list needs federation.allow (expected a list of server names)")];
  }
  if (mode !== undefined && mode !== 'allow_list' && allow !== undefined) {
    return [src.problem(['federation', 'allow'], `only used with mode allow_list (mode is ${mode})`, true)];
  }
  const own = str(src.data, ['server_name']);
  if (Array.isArray(allow) && own !== undefined) {
    const index = allow.indexOf(own);
    if (index >= 0) {
      return [src.problem(['federation', 'allow', index], "is this deployment's own server_name (expected other servers only)")];
    }
  }
  return [];
};

const identityRule: Rule = (src) => {
  const mode = str(src.data, ['identity', 'mode']);
  const oidc = get(src.data, ['identity', 'oidc']);
  const problems: Problem[] = [];
  if (mode === 'oidc' && oidc === undefined) {
    problems.push(src.problem(['identity', 'mode'], 'oidc needs identity.oidc (expected issuer, client_id and client_secret_env)'));
  }
  if (mode !== undefined && mode !== 'oidc' && oidc !== undefined) {
    problems.push(src.problem(['identity', 'oidc'], `only used with mode oidc (mode is ${mode})`, true));
  }
  const effectiveMode = mode ?? 'local';
  if (get(src.data, ['hostnames', 'sso']) !== undefined && effectiveMode !== 'keycloak') {
    problems.push(src.problem(['hostnames', 'sso'], `only used with identity.mode keycloak (mode is ${effectiveMode})`, true));
  }
  return problems;
};

const callsRule: Rule = (src) => {
  const turn = get(src.data, ['calls', 'turn']);
  const min = get(src.data, ['calls', 'relay_ports', 'min']);
  const max = get(src.data, ['calls', 'relay_ports', 'max']);
  const problems: Problem[] = [];
  if (turn === false && get(src.data, ['calls', 'relay_ports']) !== undefined) {
    problems.push(src.problem(['calls', 'relay_ports'], 'only used when calls.turn is true', true));
  }
  if (typeof min === 'number' && typeof max === 'number') {
    const count = max - min + 1;
    if (min > max) {
      problems.push(src.problem(['calls', 'relay_ports', 'min'], `${min} is above max ${max} (expected min <= max)`));
    } else if (count < RELAY_RANGE_LIMITS.minPorts || count > RELAY_RANGE_LIMITS.maxPorts) {
      problems.push(
        src.problem(
          ['calls', 'relay_ports'],
          `${count} ports (expected ${RELAY_RANGE_LIMITS.minPorts} to ${RELAY_RANGE_LIMITS.maxPorts}: each relayed call leg holds one port, and every port is open in the firewall)`,
        ),
      );
    }
    const clash = TURN_PORTS.find((port) => port >= min && port <= max);
    if (clash !== undefined) {
      problems.push(src.problem(['calls', 'relay_ports'], `includes TURN's own listening port ${clash} (expected a range clear of ${TURN_PORTS.join(' and ')})`));
    }
  }
  return problems;
};

/**
 * Group calls: on by size unless the file decides. The SFU's ports share the node's public
 * address with TURN, so its ranges must be clear of TURN's; without TURN the SFU would hand its
 * clients Google's and Twilio's STUN servers (LiveKit's built-in default), so it is refused.
 */
const groupCallsRule: Rule = (src) => {
  const enabled = get(src.data, ['calls', 'group', 'enabled']);
  const size = str(src.data, ['size']) ?? 'small';
  const on = typeof enabled === 'boolean' ? enabled : size !== 'small';
  const problems: Problem[] = [];
  if (!on) {
    for (const key of ['tcp_port', 'media_ports', 'who_may_start']) {
      if (get(src.data, ['calls', 'group', key]) !== undefined) {
        problems.push(src.problem(['calls', 'group', key], `only used when group calls run (calls.group.enabled${enabled === false ? ' is false' : `: off by default for size ${size}`})`, true));
      }
    }
    if (get(src.data, ['hostnames', 'rtc']) !== undefined) problems.push(src.problem(['hostnames', 'rtc'], 'only used when group calls run (calls.group.enabled)', true));
    return problems;
  }
  if (get(src.data, ['calls', 'turn']) === false) {
    problems.push(
      src.problem(
        typeof enabled === 'boolean' ? ['calls', 'group', 'enabled'] : ['calls', 'turn'],
        "group calls need calls.turn (the SFU hands its clients the deployment's TURN server; without one LiveKit falls back to public STUN servers of third parties)",
      ),
    );
  }
  if (get(src.data, ['calls', 'group', 'who_may_start']) === 'federation' && (str(src.data, ['federation', 'mode']) ?? 'closed') === 'closed') {
    problems.push(src.problem(['calls', 'group', 'who_may_start'], 'federation admits no other server (federation.mode is closed; expected local)', true));
  }
  const media = get(src.data, ['calls', 'group', 'media_ports']) as { min?: unknown; max?: unknown } | undefined;
  const min = media?.min;
  const max = media?.max;
  if (typeof min === 'number' && typeof max === 'number') {
    const count = max - min + 1;
    if (min > max) {
      problems.push(src.problem(['calls', 'group', 'media_ports', 'min'], `${min} is above max ${max} (expected min <= max)`));
    } else if (count < RELAY_RANGE_LIMITS.minPorts || count > RELAY_RANGE_LIMITS.maxPorts) {
      problems.push(
        src.problem(
          ['calls', 'group', 'media_ports'],
          `${count} ports (expected ${RELAY_RANGE_LIMITS.minPorts} to ${RELAY_RANGE_LIMITS.maxPorts}: each call participant holds one or two ports, and every port is open in the firewall)`,
        ),
      );
    }
    const relay = (get(src.data, ['calls', 'relay_ports']) as { min?: unknown; max?: unknown } | undefined) ?? DEFAULT_RELAY_PORTS;
    if (get(src.data, ['calls', 'turn']) !== false && typeof relay.min === 'number' && typeof relay.max === 'number' && min <= relay.max && relay.min <= max) {
      problems.push(src.problem(['calls', 'group', 'media_ports'], `overlaps calls.relay_ports ${relay.min}-${relay.max} (expected the SFU's and TURN's UDP ranges apart: both listen on the node's public address)`));
    }
    const clash = TURN_PORTS.find((port) => port >= min && port <= max);
    if (clash !== undefined) {
      problems.push(src.problem(['calls', 'group', 'media_ports'], `includes TURN's own listening port ${clash} (expected a range clear of ${TURN_PORTS.join(' and ')})`));
    }
  }
  const tcpPort = get(src.data, ['calls', 'group', 'tcp_port']);
  const taken = HOST_TCP_PORTS.find(([port]) => port === tcpPort);
  if (taken) problems.push(src.problem(['calls', 'group', 'tcp_port'], `is ${taken[1]} (expected a free TCP port on the node)`));
  return problems;
};

/** TCP ports on the node's own address besides the SFU's, which its ICE/TCP port must avoid. */
const HOST_TCP_PORTS: readonly (readonly [number, string])[] = [
  [PORTS.turn, "TURN's port"],
  [PORTS.turns, "TURN over TLS's port"],
  [PORTS.kubernetesApi, "the Kubernetes API's port"],
  [PORTS.livekitHttp, "the SFU's own signalling port"],
];

const DEFAULT_RELAY_PORTS = DEPLOYMENT_DEFAULTS['calls.relay_ports'];

const dnsRule: Rule = (src) => {
  const mode = str(src.data, ['dns', 'mode']);
  const zone = str(src.data, ['dns', 'zone']);
  const node = nodeTargetKey(src.data);
  const problems: Problem[] = [];
  // Each managed mode needs its own cloud: the records point at the node that cloud builds.
  const needs: Record<string, string> = { hetzner: 'hetzner', designate: 'openstack' };
  if (mode !== undefined && needs[mode] !== undefined && node !== needs[mode] && get(src.data, ['target']) !== undefined) {
    const why = node === undefined ? 'on an existing cluster the ingress address is not known to the kit; ' : '';
    problems.push(src.problem(['dns', 'mode'], `${mode} DNS needs target ${needs[mode]} (${why}use mode manual)`));
  }
  if (mode === 'manual' && zone !== undefined) {
    problems.push(src.problem(['dns', 'zone'], 'only used with modes hetzner and designate', true));
  }
  if (mode === 'hetzner' || mode === 'designate') {
    const effectiveZone = zone ?? str(src.data, ['server_name']);
    if (effectiveZone !== undefined) {
      for (const [path, name] of namesUnderZone(src)) {
        if (name !== effectiveZone && !name.endsWith(`.${effectiveZone}`)) {
          problems.push(src.problem(path, `'${name}' is outside the DNS zone ${effectiveZone} (expected a name in that zone, or dns.mode manual)`));
        }
      }
    }
  }
  return problems;
};

function namesUnderZone(src: YamlSource): [FieldPath, string][] {
  const names: [FieldPath, string][] = [];
  const serverName = str(src.data, ['server_name']);
  if (serverName !== undefined) names.push([['server_name'], serverName]);
  for (const key of ['matrix', 'web', 'auth', 'sso', 'turn']) {
    const name = str(src.data, ['hostnames', key]);
    if (name !== undefined) names.push([['hostnames', key], name]);
  }
  return names;
}

const hostnamesRule: Rule = (src) => {
  const hostnames = get(src.data, ['hostnames']);
  if (!isRecord(hostnames)) return [];
  const firstUse = new Map<string, string>();
  const problems: Problem[] = [];
  for (const [key, name] of Object.entries(hostnames)) {
    if (typeof name !== 'string') continue;
    const earlier = firstUse.get(name);
    if (earlier !== undefined) {
      problems.push(src.problem(['hostnames', key], `'${name}' is already hostnames.${earlier} (expected a distinct hostname per service)`));
    } else {
      firstUse.set(name, key);
    }
  }
  return problems;
};

const extraRule: Rule = (src) => {
  const extra = get(src.data, ['extra']);
  if (!isRecord(extra)) return [];
  const problems: Problem[] = [];
  for (const component of Object.keys(MANAGED_SETTINGS) as ExtraComponent[]) {
    const settings = extra[component];
    if (!isRecord(settings)) continue;
    const managed: Record<string, string> = MANAGED_SETTINGS[component];
    for (const key of Object.keys(settings)) {
      if (Object.prototype.hasOwnProperty.call(managed, key)) {
        problems.push(src.problem(['extra', component, key], `is managed by the kit and cannot be overridden: ${managed[key]}`, true));
      }
    }
    const alreadyReported = (path: FieldPath) => path.length === 3 && Object.prototype.hasOwnProperty.call(managed, path[2]);
    findSecretKeys(settings, ['extra', component]).filter((path) => !alreadyReported(path)).forEach((path) =>
      problems.push(
        src.problem(path, 'looks like a secret; secrets never go in a deployment file (they are generated at deploy time or read from the environment)', true),
      ),
    );
  }
  return problems;
};

function findSecretKeys(value: unknown, path: readonly (string | number)[]): FieldPath[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => findSecretKeys(item, [...path, i]));
  if (!isRecord(value)) return [];
  return Object.entries(value).flatMap(([key, child]) =>
    SECRET_KEY_PATTERN.test(key) ? [[...path, key]] : findSecretKeys(child, [...path, key]),
  );
}

/** Oldest k3s minor release whose bundled Traefik (3.7) knows the options the kit sets. */
export const MINIMUM_K3S_MINOR = 36;

const k3sVersionRule: Rule = (src) => {
  const version = str(src.data, ['versions', 'k3s']);
  const minor = version === undefined ? undefined : /^v1\.(\d+)\./.exec(version)?.[1];
  if (minor === undefined || Number(minor) >= MINIMUM_K3S_MINOR) return [];
  return [
    src.problem(
      ['versions', 'k3s'],
      `'${version}' is too old (expected v1.${MINIMUM_K3S_MINOR} or later: the kit configures Traefik options that its bundled Traefik 3.7 introduced)`,
    ),
  ];
};

/**
 * Where certificates come from: on the kit's k3s, Traefik's ACME resolver (there is no
 * cert-manager); on an existing cluster, cert-manager, either with the Issuer the kit creates from
 * acme_server or with the cluster's own ClusterIssuer. Both at once would be two sources.
 */
const tlsRule: Rule = (src) => {
  const issuer = get(src.data, ['tls', 'cluster_issuer']);
  if (issuer === undefined) return [];
  if (nodeTargetKey(src.data) !== undefined) {
    return [
      src.problem(
        ['tls', 'cluster_issuer'],
        "only used on an existing cluster (target.kubernetes); the kit's k3s gets certificates through Traefik from tls.acme_server",
      ),
    ];
  }
  return ['acme_server', 'acme_email']
    .filter((key) => get(src.data, ['tls', key]) !== undefined)
    .map((key) => src.problem(['tls', key], 'not used with tls.cluster_issuer: the ClusterIssuer decides the certificate authority', true));
};

/**
 * An existing cluster has no object store the kit could default to, so its backup bucket must be
 * named (or backups turned off on purpose). Settings next to `enabled: false` would do nothing.
 */
const backupRule: Rule = (src) => {
  const backup = get(src.data, ['backup']);
  const enabled = get(src.data, ['backup', 'enabled']);
  if (enabled === false) {
    const unused = isRecord(backup) ? Object.keys(backup).filter((key) => key !== 'enabled') : [];
    return unused.map((key) => src.problem(['backup', key], 'not used: backup.enabled is false', true));
  }
  // Only Hetzner has an object store the kit can name by the node's location.
  const where = get(src.data, ['target', 'kubernetes']) !== undefined ? 'kubernetes' : get(src.data, ['target', 'openstack']) !== undefined ? 'openstack' : undefined;
  if (where === undefined || get(src.data, ['target', 'hetzner']) !== undefined || get(src.data, ['backup', 's3']) !== undefined) return [];
  const what = where === 'kubernetes' ? 'an existing cluster' : 'an OpenStack cloud';
  const message = `${what} has no default backup bucket: set backup.s3 (endpoint, bucket and region of an S3-compatible store in the EU), or backup.enabled: false for a throwaway deployment`;
  return [backup === undefined ? src.problem(['target', where], message, true) : src.problem(['backup'], message, true)];
};

/**
 * The kit's own k3s has no Prometheus Operator, so Hetzner and OpenStack deployments always run the bundled
 * stack. Settings for the stack that does not run would do nothing.
 */
const monitoringRule: Rule = (src) => {
  const stack = str(src.data, ['monitoring', 'stack']);
  const node = nodeTargetKey(src.data);
  const problems: Problem[] = [];
  if (node && stack === 'prometheus-operator') {
    problems.push(src.problem(['monitoring', 'stack'], `the kit's k3s node has no Prometheus Operator (expected auto or bundled on target.${node})`));
  }
  const operatorUnused = stack === 'bundled' || (node !== undefined && stack !== 'prometheus-operator');
  if (operatorUnused && get(src.data, ['monitoring', 'prometheus_operator']) !== undefined) {
    problems.push(src.problem(['monitoring', 'prometheus_operator'], `not used: the bundled stack scrapes${node ? ` on target.${node}` : ' (stack is bundled)'}`, true));
  }
  const bundledUnused = stack === 'prometheus-operator';
  for (const key of ['retention_days', 'alert_email']) {
    if (bundledUnused && get(src.data, ['monitoring', key]) !== undefined) {
      problems.push(src.problem(['monitoring', key], "not used with stack prometheus-operator: the cluster's Prometheus and Alertmanager decide it", true));
    }
  }
  if (get(src.data, ['monitoring', 'alert_email', 'password_env']) !== undefined && get(src.data, ['monitoring', 'alert_email', 'username']) === undefined) {
    problems.push(src.problem(['monitoring', 'alert_email', 'password_env'], 'only used with alert_email.username', true));
  }
  return problems;
};

const RULES: readonly Rule[] = [
  federationRule,
  identityRule,
  callsRule,
  groupCallsRule,
  dnsRule,
  hostnamesRule,
  extraRule,
  k3sVersionRule,
  tlsRule,
  backupRule,
  monitoringRule,
  scaleRule,
];

export function checkRules(source: YamlSource): Problem[] {
  return [...RULES.flatMap((rule) => rule(source)), ...checkTargetRules(source)];
}
