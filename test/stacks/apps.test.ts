import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Testing } from 'cdktf';
import { AppsStack, literalForTerraform, namespaceName } from '../../stacks/apps';
import { loadDeploymentFile } from '../../src/config/load';
import type { DeploymentSpec } from '../../src/config/spec';
import { renderAll } from '../../src/render';
import { images } from '../../src/versions';
import { specOf, VALID_YAML } from '../helpers';

const ROOT = join(__dirname, '..', '..');
const EXAMPLES = ['deployments/example.yaml', 'deployments/agency-kubernetes.yaml', 'deployments/research-open.yaml', 'test/fixtures/valid/no-turn-allow-list.yaml'];

type Json = Record<string, any>;

function synth(spec: DeploymentSpec): Json {
  return JSON.parse(Testing.synth(new AppsStack(Testing.app(), spec)));
}

function resources(json: Json, type: string): Record<string, Json> {
  return json.resource?.[type] ?? {};
}

/** Every pod template: Deployments and StatefulSets. */
function podSpecs(json: Json): [string, Json][] {
  return ['kubernetes_deployment_v1', 'kubernetes_stateful_set_v1'].flatMap((type) =>
    Object.entries(resources(json, type)).map(([name, r]) => [name, r.spec.template.spec] as [string, Json]),
  );
}

function containers(pod: Json): Json[] {
  return [...(pod.container ?? []), ...(pod.init_container ?? [])];
}

describe.each(EXAMPLES)('apps stack of %s', (file) => {
  const spec = loadDeploymentFile(join(ROOT, file));
  const json = synth(spec);
  const pods = podSpecs(json);

  it('runs every container non-root, without privileges, capabilities or a writable root', () => {
    expect(pods.length).toBeGreaterThanOrEqual(5);
    for (const [name, pod] of pods) {
      for (const c of containers(pod)) {
        expect({ pod: name, container: c.name, sc: c.security_context }).toEqual({
          pod: name,
          container: c.name,
          sc: expect.objectContaining({
            run_as_non_root: true,
            allow_privilege_escalation: false,
            privileged: false,
            // Keycloak's start re-builds the server into its installation directory.
            read_only_root_filesystem: !(name === 'keycloak' && c.name === 'keycloak'),
            capabilities: { drop: ['ALL'] },
            seccomp_profile: { type: 'RuntimeDefault' },
          }),
        });
      }
      expect(pod.automount_service_account_token).toBe(false);
      expect(pod.security_context.run_as_non_root).toBe(true);
    }
  });

  it('pins every image to the deployment versions', () => {
    const pinned = Object.values(images(spec.versions));
    for (const [, pod] of pods) {
      for (const c of containers(pod)) {
        expect(pinned).toContain(c.image);
        expect(c.image).not.toMatch(/:latest$|^[^:]+$/);
      }
    }
  });

  it('gives Synapse and PostgreSQL the resources of the size profile', () => {
    const synapse = resources(json, 'kubernetes_deployment_v1').synapse.spec.template.spec.container[0];
    expect(synapse.resources.requests).toEqual({ cpu: String(spec.size.synapse.cpu), memory: `${Math.round(spec.size.synapse.memoryGiB * 1024)}Mi` });
    const postgres = resources(json, 'kubernetes_stateful_set_v1').postgres.spec.template.spec.container[0];
    expect(postgres.resources.requests.cpu).toBe(String(spec.size.postgres.cpu));
    for (const [, pod] of pods) for (const c of pod.container) expect(c.resources.requests).toBeDefined();
  });

  it('has readiness and liveness probes on every long-running container', () => {
    for (const [name, pod] of pods) {
      if (name === 'coturn') continue; // host-network UDP service; Kubernetes probes cannot speak TURN
      for (const c of pod.container) {
        expect({ name, readiness: Boolean(c.readiness_probe), liveness: Boolean(c.liveness_probe) }).toEqual({ name, readiness: true, liveness: true });
      }
    }
  });

  it('routes only /_matrix and /_synapse/client to Synapse, never the admin API', () => {
    const ingress = Object.values(resources(json, 'kubernetes_ingress_v1'))[0];
    const synapsePaths = ingress.spec.rule.flatMap((r: Json) => r.http.path).filter((p: Json) => p.backend.service.name === 'synapse');
    expect(synapsePaths.map((p: Json) => p.path).sort()).toEqual(['/_matrix', '/_synapse/client']);
    expect(JSON.stringify(ingress)).not.toContain('/_synapse/admin');
    const hosts = [spec.hostnames.matrix, spec.hostnames.web, spec.hostnames.auth, spec.serverName];
    if (spec.identity.mode === 'keycloak') hosts.push(spec.hostnames.sso);
    expect(ingress.spec.rule.map((r: Json) => r.host).sort()).toEqual(hosts.sort());
  });

  it('sends the login compatibility endpoints and the auth host to MAS', () => {
    const ingress = Object.values(resources(json, 'kubernetes_ingress_v1'))[0];
    const toMas = ingress.spec.rule.flatMap((r: Json) => r.http.path.map((p: Json) => ({ host: r.host, ...p }))).filter((p: Json) => p.backend.service.name === 'mas');
    expect(toMas.map((p: Json) => `${p.host}${p.path}`).sort()).toEqual(
      [
        `${spec.hostnames.auth}/`,
        ...['r0', 'v3'].flatMap((v) => ['login', 'logout', 'refresh'].map((e) => `${spec.hostnames.matrix}/_matrix/client/${v}/${e}`)),
      ].sort(),
    );
  });

  it('exposes only the realm endpoints of Keycloak, never its admin console or management port', () => {
    const ingress = Object.values(resources(json, 'kubernetes_ingress_v1'))[0];
    const toKeycloak = ingress.spec.rule.flatMap((r: Json) => r.http.path).filter((p: Json) => p.backend.service.name === 'keycloak');
    if (spec.identity.mode !== 'keycloak') {
      expect(toKeycloak).toEqual([]);
      return;
    }
    expect(toKeycloak.map((p: Json) => p.path).sort()).toEqual(['/.well-known', '/realms', '/resources']);
    expect(toKeycloak.every((p: Json) => p.backend.service.port.number === 8080)).toBe(true);
    const service = resources(json, 'kubernetes_service_v1')['keycloak-service'];
    expect(service.spec.port.map((p: Json) => p.port)).toEqual([8080]);
  });

  it('keeps secrets out of the JSON: every Secret value is a generated reference', () => {
    const generated = /^\$\{(random_password\.[a-z0-9-]+\.result|random_id\.[a-z0-9-]+\.hex|tls_private_key\.[a-z0-9-]+\.private_key_pem|var\.oidc_client_secret)\}$/;
    for (const [name, secret] of Object.entries(resources(json, 'kubernetes_secret_v1'))) {
      for (const [key, value] of Object.entries(secret.data as Record<string, string>)) {
        if (name === 'keycloak-admin' && key === 'username') continue; // a name, not a secret
        expect({ name, key, value }).toEqual({ name, key, value: expect.stringMatching(generated) });
      }
    }
    if (spec.identity.mode === 'oidc') expect(json.variable.oidc_client_secret.sensitive).toBe(true);
    for (const password of Object.values(resources(json, 'random_password'))) expect(password.length).toBeGreaterThanOrEqual(32);
  });

  it('deploys exactly the rendered configuration files', () => {
    const maps = resources(json, 'kubernetes_config_map_v1');
    // Traefik's file (with the node address filled in) is checked in the Traefik tests below.
    const deployed = Object.values(maps).filter((m) => m.metadata.namespace !== 'kube-system').flatMap((m) => Object.entries(m.data as Record<string, string>).map(([file, content]) => [m.metadata.name.replace(/-config$/, ''), file, content]));
    const rendered = renderAll(spec)
      .filter((f) => !f.path.startsWith('traefik/'))
      .map((f) => [f.path.split('/')[0], f.path.split('/').slice(1).join('/'), literalForTerraform(f.content)]);
    expect(deployed.sort()).toEqual(rendered.sort());
  });

  it('denies all traffic by default and lets only the database clients reach PostgreSQL', () => {
    const policies = Object.values(resources(json, 'kubernetes_network_policy_v1'));
    const deny = policies.find((p) => p.metadata.name === 'default-deny');
    expect(deny.spec).toEqual({ pod_selector: {}, policy_types: ['Ingress', 'Egress'] });
    const postgres = policies.find((p) => p.metadata.name === 'allow-postgres-from-clients');
    const clients = ['synapse', 'mas', ...(spec.identity.mode === 'keycloak' ? ['keycloak'] : [])];
    expect(postgres.spec.ingress).toEqual([
      {
        from: clients.map((c) => ({ pod_selector: { match_labels: expect.objectContaining({ 'app.kubernetes.io/name': c }) } })),
        ports: [{ port: '5432', protocol: 'TCP' }],
      },
    ]);
    for (const p of policies) expect(p.spec.ingress?.flatMap((i: Json) => i.ports ?? []).map((port: Json) => port.port) ?? []).not.toContain('9000');
  });

  it('enforces the restricted pod security profile on the application namespace', () => {
    const ns = resources(json, 'kubernetes_namespace_v1').namespace;
    expect(ns.metadata.name).toBe(namespaceName(spec));
    expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  it('runs coturn with host networking only when TURN is on, outside the restricted namespace', () => {
    const coturn = resources(json, 'kubernetes_deployment_v1').coturn;
    if (!spec.calls.turn) {
      expect(coturn).toBeUndefined();
      return;
    }
    expect(coturn.spec.template.spec.host_network).toBe(true);
    expect(coturn.metadata.namespace).toBe(`${namespaceName(spec)}-turn`);
    expect(pods.filter(([, pod]) => pod.host_network).map(([name]) => name)).toEqual(['coturn']);
  });
});

describe('reaching the cluster', () => {
  it('uses the kubeconfig context of an existing cluster', () => {
    const json = synth(loadDeploymentFile(join(ROOT, 'deployments/agency-kubernetes.yaml')));
    expect(json.provider.kubernetes[0]).toEqual({ config_context: 'agency-prod', config_path: '~/.kube/config' });
  });

  it('takes the k3s credentials as sensitive variables, never literal', () => {
    const json = synth(specOf(VALID_YAML));
    for (const name of ['kube_host', 'kube_cluster_ca_certificate', 'kube_client_certificate', 'kube_client_key']) {
      expect(json.variable[name].sensitive).toBe(true);
    }
    expect(json.provider.kubernetes[0].client_key).toBe('${var.kube_client_key}');
  });
});

describe('escaping rendered files for Terraform', () => {
  it('escapes template sequences so Terraform writes them back literally', () => {
    expect(literalForTerraform('a ${b} %{c} $d')).toBe('a $${b} %%{c} $d');
  });
});

describe('Traefik on the k3s node', () => {
  const json = synth(specOf(VALID_YAML));
  const values = JSON.parse(resources(json, 'kubernetes_manifest')['traefik-acme'].manifest.spec.valuesContent);

  it('lets through the encoded characters Matrix paths carry (room aliases need %23)', () => {
    for (const option of ['allowEncodedHash', 'allowEncodedPercent', 'allowEncodedSlash', 'allowEncodedQuestionMark']) {
      expect(values.additionalArguments).toContain(`--entryPoints.websecure.http.encodedCharacters.${option}=true`);
    }
  });

  it('terminates TURN over TLS on 5349 with the rendered route, pointed at the address coturn listens on', () => {
    const turns = renderAll(specOf(VALID_YAML)).find((f) => f.path === 'traefik/turns.yaml')!.content;
    const dynamic = resources(json, 'kubernetes_config_map_v1')['traefik-dynamic-config'];
    expect(dynamic.metadata).toMatchObject({ name: 'sovereign-matrix-traefik', namespace: 'kube-system' });
    expect(dynamic.data).toEqual({ 'turns.yaml': turns.replace('@@TURN_PUBLIC_IPV4@@', '${var.turn_public_ipv4}') });
    expect(values.volumes).toEqual([{ name: 'sovereign-matrix-traefik', mountPath: '/sovereign-matrix', type: 'configMap' }]);
    expect(values.additionalArguments).toEqual(expect.arrayContaining(['--providers.file.directory=/sovereign-matrix', '--providers.file.watch=true']));
    expect(turns).toContain('rule: "HostSNI(`turn.ministry.example.eu`)"');
    expect(turns).toContain('certResolver: sovereign-matrix');
    expect(values.ports.turns).toEqual({ port: 5349, expose: { default: true }, exposedPort: 5349, protocol: 'TCP' });
    const coturn = resources(json, 'kubernetes_deployment_v1').coturn.spec.template.spec;
    expect(coturn.container[0].env).toContainEqual({ name: 'TURN_PUBLIC_IPV4', value: '${var.turn_public_ipv4}' });
    expect(coturn.volume.map((v: Json) => v.name)).not.toContain('tls');
  });

  it('has no TURN route without TURN', () => {
    const off = JSON.parse(
      resources(synth(specOf(`${VALID_YAML}calls:\n  turn: false\n`)), 'kubernetes_manifest')['traefik-acme'].manifest.spec.valuesContent,
    );
    expect(off.volumes).toBeUndefined();
    expect(off.additionalArguments.filter((a: string) => a.startsWith('--providers.'))).toEqual([]);
    expect(Object.keys(off.ports)).toEqual(['web']);
  });

  it('uses the deployment ACME server and does not call home', () => {
    expect(values.additionalArguments).toContain('--certificatesresolvers.sovereign-matrix.acme.caserver=https://acme-v02.api.letsencrypt.org/directory');
    expect(values.global).toEqual({ checkNewVersion: false, sendAnonymousUsage: false });
    expect(values.globalArguments).toBeUndefined(); // removed from the chart in 36: it would be ignored or refused
  });

  it('redirects HTTP to HTTPS with the key the chart reads since 39 (ports.web.http.redirections)', () => {
    expect(values.ports.web).toEqual({ http: { redirections: { entryPoint: { to: 'websecure', scheme: 'https', permanent: true } } } });
  });
});

describe('certificates', () => {
  const agency = readFileSync(join(ROOT, 'deployments/agency-kubernetes.yaml'), 'utf8');
  const manifests = (json: Json) => Object.values(resources(json, 'kubernetes_manifest')).map((r) => r.manifest);
  const ingressOf = (json: Json) => Object.values(resources(json, 'kubernetes_ingress_v1'))[0];

  it("on k3s: Traefik's ACME resolver, no cert-manager objects", () => {
    const json = synth(specOf(VALID_YAML));
    const ingress = ingressOf(json);
    expect(ingress.metadata.annotations['traefik.ingress.kubernetes.io/router.tls.certresolver']).toBe('sovereign-matrix');
    expect(ingress.spec.tls[0].secret_name).toBeUndefined();
    expect(manifests(json).map((m) => m.apiVersion)).not.toContain('cert-manager.io/v1');
  });

  it('on an existing cluster: a cert-manager ACME Issuer with the deployment ACME server, solving through its IngressClass', () => {
    const spec = specOf(agency);
    const json = synth(spec);
    const issuer = manifests(json).find((m) => m.kind === 'Issuer');
    expect(issuer).toMatchObject({
      apiVersion: 'cert-manager.io/v1',
      metadata: { name: 'sovereign-matrix-acme', namespace: namespaceName(spec) },
      spec: {
        acme: {
          server: 'https://acme.example-eu-ca.eu/directory',
          email: 'it-operations@agency.example.eu',
          solvers: [{ http01: { ingress: { ingressClassName: 'traefik' } } }],
        },
      },
    });
    const ingress = ingressOf(json);
    expect(ingress.metadata.annotations).toEqual({ 'cert-manager.io/issuer': 'sovereign-matrix-acme' });
    expect(ingress.spec.tls).toEqual([{ hosts: ingress.spec.rule.map((r: Json) => r.host), secret_name: 'matrix-tls' }]);
    // No TURNS certificate from an HTTP-01 issuer: the challenge would not reach coturn's node.
    expect(manifests(json).find((m) => m.kind === 'Certificate')).toBeUndefined();
  });

  it("on an existing cluster with a ClusterIssuer: every certificate from it, TURN's included", () => {
    const text = agency.replace(/tls:\n  acme_server: .*\n/, 'tls:\n  cluster_issuer: agency-internal-ca\n');
    expect(text).not.toBe(agency);
    const spec = specOf(text);
    const json = synth(spec);
    expect(manifests(json).find((m) => m.kind === 'Issuer')).toBeUndefined();
    expect(ingressOf(json).metadata.annotations).toEqual({ 'cert-manager.io/cluster-issuer': 'agency-internal-ca' });
    const certificate = manifests(json).find((m) => m.kind === 'Certificate');
    expect(certificate).toMatchObject({
      metadata: { name: 'turn-tls', namespace: `${namespaceName(spec)}-turn` },
      spec: { secretName: 'turn-tls', dnsNames: [spec.hostnames.turn], issuerRef: { kind: 'ClusterIssuer', name: 'agency-internal-ca' } },
    });
    // The Secret the Certificate fills is the one coturn mounts.
    const coturn = resources(json, 'kubernetes_deployment_v1').coturn.spec.template.spec;
    expect(coturn.volume.find((v: Json) => v.name === 'tls').secret.secret_name).toBe('turn-tls');
  });

  it("lets the ingress controller reach cert-manager's HTTP-01 solver pods, on existing clusters only", () => {
    const policy = (json: Json) => resources(json, 'kubernetes_network_policy_v1')['netpol-allow-ingress-acme-solver'];
    const solver = policy(synth(specOf(agency)));
    expect(solver.spec.pod_selector.match_labels).toEqual({ 'acme.cert-manager.io/http01-solver': 'true' });
    expect(solver.spec.ingress[0].ports).toEqual([{ port: '8089', protocol: 'TCP' }]);
    expect(policy(synth(specOf(VALID_YAML)))).toBeUndefined();
  });
});
