import { SYNAPSE_PROCESS_HOSTS } from '../../render/synapse-workers';
import YAML from 'yaml';
import { ANYWHERE } from '../../components/firewall-rules';
import { splitImage } from '../catalogue';
import { configMapOf, containersOf, kubeObjects, renderedFromJson, resourcesOf, where, type Synthesized } from '../read-back';
import type { RouteFact } from './network-exposure';
import { acmeServerOf, nodeServer, traefikArgument, traefikConfig } from './platform';
import type { WorkloadFact } from './workloads';

/*
 * The security controls section: each control as the synthesized JSON or a rendered file states
 * it, with where it is stated.
 */

export interface ControlFact {
  readonly area: string;
  readonly control: string;
  readonly where: string;
}

export function controls(synth: Synthesized, workloads: readonly WorkloadFact[], rts: readonly RouteFact[]): ControlFact[] {
  const list: ControlFact[] = [];
  const add = (area: string, control: string, at: string) => list.push({ area, control, where: at });
  const homeserverText = renderedFromJson(synth, 'synapse', 'homeserver.yaml');
  const synapseCm = configMapOf(synth, 'synapse');
  if (homeserverText && synapseCm) {
    const hs = YAML.parse(homeserverText) as Record<string, any>;
    const at = `synapse/homeserver.yaml in ${where(synapseCm)}`;
    const wl = hs.federation_domain_whitelist as string[] | undefined;
    add(
      'Federation',
      wl === undefined
        ? 'Open: any Matrix server may federate (`federation_domain_whitelist` absent)'
        : wl.length === 0
          ? 'Closed: `federation_domain_whitelist: []` blocks every remote server'
          : `Allow list: only ${wl.join(', ')} (\`federation_domain_whitelist\`)`,
      at,
    );
    add('Federation', `Public room directory over federation: ${onOff(hs.allow_public_rooms_over_federation)}; without login: ${onOff(hs.allow_public_rooms_without_auth)}`, at);
    const tks = hs.trusted_key_servers as unknown[] | undefined;
    add(
      'Federation',
      tks && tks.length === 0 ? 'No trusted key servers (no matrix.org notary): keys are fetched from each server itself' : `Trusted key servers: ${JSON.stringify(tks ?? 'matrix.org (default)')}`,
      at,
    );
    add('Accounts', `Registration in Synapse: ${onOff(hs.enable_registration)}; password login in Synapse: ${onOff(hs.password_config?.enabled)}; 3PID changes: ${onOff(hs.enable_3pid_changes)}`, at);
    add('Accounts', `Guest access: ${onOff(hs.allow_guest_access)}`, at);
    const mas = hs.matrix_authentication_service as Record<string, any> | undefined;
    const masDeployed = workloads.some((w) => w.images.some((i) => splitImage(i).repository === 'ghcr.io/element-hq/matrix-authentication-service'));
    add(
      'Identity',
      mas?.enabled
        ? `Authentication delegated to Matrix Authentication Service (\`matrix_authentication_service\`, endpoint \`${String(mas.endpoint)}\`); identity mode \`${synth.spec.identity.mode}\`. ${
            masDeployed ? 'MAS runs in the apps stack.' : 'The MAS workload is not yet deployed by this version of the kit: logins do not work until it is.'
          }`
        : 'Synapse handles logins itself (no MAS)',
      at,
    );
    add('Privacy', `URL previews: ${onOff(hs.url_preview_enabled)}; profile lookups need login: ${onOff(hs.require_auth_for_profile_requests)}, limited to users sharing a room: ${onOff(hs.limit_profile_requests_to_users_who_share_rooms)}`, at);
    add('Privacy', `Usage statistics to matrix.org (\`report_stats\`): ${onOff(hs.report_stats)}`, at);
    const secretKeys = secretValuedKeys(hs);
    add(
      'Secrets',
      secretKeys.length === 0
        ? `No secret in homeserver.yaml: ${Object.keys(hs).filter((k) => k.endsWith('_path') && /secret/.test(k)).map((k) => `\`${k}\``).join(', ')} name files mounted from Kubernetes Secrets; the database password comes from the environment`
        : `homeserver.yaml contains secret settings: ${secretKeys.join(', ')}`,
      at,
    );
  }
  const passwords = resourcesOf(synth, 'random_password');
  const secrets = kubeObjects(synth, 'Secret');
  if (passwords.length > 0) {
    add(
      'Secrets',
      `${passwords.length} secrets generated at apply time by \`random_password\` (${[...new Set(passwords.map((p) => String(p.body.length)))].join('/')} characters), stored only in Terraform state and ${secrets.length} Kubernetes Secrets`,
      passwords.map((p) => `\`${p.address}\``).join(', '),
    );
  }
  const server = nodeServer(synth);
  if (server) {
    const userData = String(server.body.user_data);
    if (userData.includes('secrets-encryption')) add('Secrets', 'Kubernetes Secrets encrypted at rest in the k3s datastore (`secrets-encryption: true`)', `${where(server)} user_data: /etc/rancher/k3s/config.yaml`);
    if (userData.includes('"ssh_pwauth":false') && userData.includes('PasswordAuthentication no')) {
      add('Node', 'SSH: keys only (password and keyboard-interactive login off), root only with a key', `${where(server)} user_data`);
    }
    if (userData.includes('169.254.169.254')) add('Node', 'Pods cannot reach the metadata service (which serves the user data with the CA keys): iptables drop from the pod network', `${where(server)} user_data`);
    if (userData.includes('unattended-upgrades')) add('Node', 'Unattended security upgrades of the operating system', `${where(server)} user_data`);
    if (server.type === 'hcloud_server') {
      add('Node', `Delete protection on the data volume and both primary IPs; the server shuts down cleanly before deletion (\`shutdown_before_deletion: ${String(server.body.shutdown_before_deletion)}\`)`, resourcesOf(synth, 'hcloud_volume', 'hcloud_primary_ip').filter((r) => r.body.delete_protection).map((r) => `\`${r.address}\``).join(', '));
    } else {
      const kept = ((server.body.block_device ?? []) as Record<string, unknown>[]).filter((d) => d.source_type === 'volume' && d.delete_on_termination === false);
      add(
        'Node',
        `The data volume outlives the server (attached with \`delete_on_termination: false\`, kept by \`destroy\` unless --delete-data; Cinder has no delete protection); the server stops cleanly before deletion (\`stop_before_destroy: ${String(server.body.stop_before_destroy)}\`)`,
        `${where(server)}${kept.length > 0 ? ' block_device' : ''}`,
      );
    }
  }
  for (const fw of resourcesOf(synth, 'hcloud_firewall')) {
    const rules = (fw.body.rule ?? []) as Record<string, any>[];
    const restricted = rules.filter((r) => !ANYWHERE.every((a) => ((r.source_ips ?? []) as string[]).includes(a)));
    add(
      'Network',
      `Cloud firewall: inbound allowed only by ${rules.length} rules, everything else dropped; ${restricted.map((r) => `${r.protocol}/${r.port}`).join(', ') || 'no port'} only from ${[...new Set(restricted.flatMap((r) => r.source_ips as string[]))].join(', ') || '—'}`,
      where(fw),
    );
  }
  const groups = resourcesOf(synth, 'openstack_networking_secgroup_v2');
  const sgRules = resourcesOf(synth, 'openstack_networking_secgroup_rule_v2').map((r) => r.body);
  for (const sg of groups) {
    const restricted = sgRules.filter((r) => !ANYWHERE.includes(String(r.remote_ip_prefix) as (typeof ANYWHERE)[number]));
    add(
      'Network',
      `Cloud firewall (security group on the node's port): inbound allowed only by ${sgRules.length} rules, everything else dropped; ${[...new Set(restricted.map((r) => `${r.protocol}/${r.port_range_min}`))].join(', ') || 'no port'} only from ${[...new Set(restricted.map((r) => String(r.remote_ip_prefix)))].join(', ') || '—'}`,
      where(sg),
    );
  }
  const nps = kubeObjects(synth, 'NetworkPolicy');
  const deny = nps.find((np) => (np.manifest.spec?.policyTypes ?? []).length === 2 && !np.manifest.spec?.ingress && !np.manifest.spec?.egress);
  if (deny) add('Network', `Default deny of all ingress and egress in the namespace, then ${nps.length - 1} allow policies (see Network exposure)`, where(deny));
  const ingress = kubeObjects(synth, 'Ingress')[0];
  if (ingress) {
    // With workers, the router in front of Synapse's processes passes on the same paths.
    const synapsePaths = rts.filter((r) => r.service === SYNAPSE_PROCESS_HOSTS.main || r.service === SYNAPSE_PROCESS_HOSTS.router).map((r) => `\`${r.path}\``);
    add('Network', `Only ${synapsePaths.join(' and ')} of Synapse are routed publicly: the admin API (/_synapse/admin), /_synapse/mas and metrics are not`, where(ingress));
    const tlsHosts = ((ingress.manifest.spec?.tls ?? []) as Record<string, any>[]).flatMap((t) => t.hosts as string[]);
    const annotations = (ingress.manifest.metadata?.annotations ?? {}) as Record<string, string>;
    const source = annotations['traefik.ingress.kubernetes.io/router.tls.certresolver']
      ? `Traefik certificate resolver \`${annotations['traefik.ingress.kubernetes.io/router.tls.certresolver']}\``
      : annotations['cert-manager.io/cluster-issuer']
        ? `cert-manager ClusterIssuer \`${annotations['cert-manager.io/cluster-issuer']}\``
        : annotations['cert-manager.io/issuer']
          ? `cert-manager Issuer \`${annotations['cert-manager.io/issuer']}\``
          : 'no certificate source named (the ingress controller’s default certificate)';
    add('TLS', `HTTPS on every public hostname (${tlsHosts.join(', ')}), certificates from the ${source}`, where(ingress));
  }
  const traefik = traefikConfig(synth);
  if (traefik) {
    const redirect = traefik.values.ports?.web?.http?.redirections?.entryPoint;
    add('TLS', `ACME (${acmeServerOf(synth)}) with HTTP-01 challenges, contact ${traefikArgument(synth, 'acme.email')}; HTTP is redirected to HTTPS${redirect?.permanent ? ' permanently' : ''}`, where(traefik.resource));
  }
  const turnText = renderedFromJson(synth, 'coturn', 'turnserver.conf');
  const turnCm = configMapOf(synth, 'coturn');
  if (turnText && turnCm) {
    const denied = (turnText.match(/^denied-peer-ip=/gm) ?? []).length;
    const at = `coturn/turnserver.conf in ${where(turnCm)}`;
    add('TURN', `Time-limited credentials only (${/^use-auth-secret$/m.test(turnText) ? '`use-auth-secret`, shared secret from a Kubernetes Secret' : 'no shared-secret authentication'}); relay range ${turnText.match(/^min-port=(\d+)/m)?.[1]}-${turnText.match(/^max-port=(\d+)/m)?.[1]}`, at);
    add('TURN', `Relaying to ${denied} private, loopback, link-local and special-purpose ranges refused (\`denied-peer-ip\`); TCP relay ${/^no-tcp-relay$/m.test(turnText) ? 'off' : 'on'}; multicast peers ${/^no-multicast-peers$/m.test(turnText) ? 'off' : 'on'}`, at);
  }
  const elementText = renderedFromJson(synth, 'element-web', 'config.json');
  const elementCm = configMapOf(synth, 'element-web');
  if (elementText && elementCm) {
    const el = JSON.parse(elementText) as Record<string, any>;
    const off = Object.entries((el.setting_defaults ?? {}) as Record<string, boolean>)
      .filter(([, v]) => v === false)
      .map(([k]) => k.replace(/^UIFeature\./, ''));
    add(
      'Web client',
      `Element Web talks only to this homeserver (custom servers ${el.disable_custom_urls ? 'disabled' : 'allowed'}, guests ${el.disable_guests ? 'off' : 'on'}, integration manager ${el.integrations_ui_url === null ? 'off' : 'on'}, no analytics or bug-report endpoint); hidden: ${off.join(', ')}`,
      `element-web/config.json in ${where(elementCm)}`,
    );
  }
  for (const ns of kubeObjects(synth, 'Namespace')) {
    const labels = (ns.manifest.metadata?.labels ?? {}) as Record<string, string>;
    const level = labels['pod-security.kubernetes.io/enforce'];
    if (level) {
      add(
        'Pods',
        `Pod Security Admission \`${level}\` enforced in namespace ${ns.name}${level === 'privileged' ? ' (coturn needs host networking for relaying; warns at `baseline`)' : ''}`,
        where(ns),
      );
    }
  }
  const containers = workloads.flatMap((w) => containersOf(w.object));
  const hardened = containers.filter((c) => {
    const sc = c.securityContext ?? {};
    return sc.runAsNonRoot === true && sc.readOnlyRootFilesystem === true && sc.allowPrivilegeEscalation === false && (sc.capabilities?.drop ?? []).includes('ALL');
  });
  add(
    'Pods',
    `${hardened.length} of ${containers.length} containers run as non-root with a read-only root filesystem, no privilege escalation and all capabilities dropped; service account tokens not mounted in ${
      workloads.filter((w) => w.object.manifest.spec?.template?.spec?.automountServiceAccountToken === false).length
    } of ${workloads.length} workloads`,
    workloads.map((w) => `\`${w.object.address}\``).join(', '),
  );
  const backend = synth.stacks.map((s) => Object.keys(s.json.terraform?.backend ?? {})[0]).filter(Boolean);
  add('State', `Terraform state in the \`${[...new Set(backend)].join(', ')}\` backend: it holds the generated secrets and CA keys (sensitive); keep it encrypted and access-controlled`, 'every stack (terraform.backend)');
  return list;
}

/** Keys at any depth that hold a secret value inline (a string under a secret-like name, not a `_path`). */
function secretValuedKeys(value: unknown, prefix = ''): string[] {
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'string' && /(secret|password|_key)$/.test(k) && !k.endsWith('_path')) return [key];
    return secretValuedKeys(v, key);
  });
}

function onOff(value: unknown): string {
  return value === true ? 'on' : value === false ? 'off' : `not set (${JSON.stringify(value)})`;
}
