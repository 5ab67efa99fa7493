/**
 * Every fact a reference architecture states is checked against the synthesized Terraform JSON
 * or the spec, and a change to the stacks that the document did not pick up fails here: the
 * tests alter the read-back JSON (a new firewall rule, a new network policy flow, another image
 * tag) and expect the document, and its diagram, to show it.
 */
import { join } from 'node:path';
import type { DeploymentSpec, HetznerTarget } from '../../src/config/spec';
import { loadDeploymentFiles } from '../../src/config/load';
import { inboundRules } from '../../src/components/firewall-rules';
import { acmeServerOf } from '../../src/docs/facts/platform';
import { generateFromSynthesized, type ReferenceArchitecture } from '../../src/docs/generate';
import { kubeObjects, renderedFromJson, resourcesOf, synthesizeForDocs, type Synthesized } from '../../src/docs/read-back';
import { hetznerMonthlyCost, totalMonthly } from '../../src/pricing/hetzner';
import { renderAll } from '../../src/render';
import { images } from '../../src/versions';

const ROOT = join(__dirname, '..', '..');
const specOfFile = (file: string): DeploymentSpec => loadDeploymentFiles([join(ROOT, file)])[0].spec;

/** Hetzner examples with different federation, identity, location, DNS and size. */
const HETZNER_FILES = ['deployments/example.yaml', 'deployments/research-open.yaml', 'docs/reference-architectures/reference-medium.yaml'];

const cache = new Map<string, { synth: Synthesized; ref: ReferenceArchitecture }>();
function generated(file: string) {
  if (!cache.has(file)) {
    const synth = synthesizeForDocs(specOfFile(file));
    cache.set(file, { synth, ref: generateFromSynthesized(synth) });
  }
  return cache.get(file)!;
}

/** A deep copy of the read-back stacks that a test may change. */
function alter(synth: Synthesized, change: (stacks: Record<string, any>) => void): Synthesized {
  const stacks = JSON.parse(JSON.stringify(Object.fromEntries(synth.stacks.map((s) => [s.layer, s.json])))) as Record<string, any>;
  change(stacks);
  return { spec: synth.spec, stacks: synth.stacks.map((s) => ({ ...s, json: stacks[s.layer] })) };
}

/** The apps stack's kubernetes_manifest resources, by name: what the tests below alter. */
const manifests = (stacks: Record<string, any>): Record<string, { manifest: Record<string, any> }> => stacks.apps.resource.kubernetes_manifest;

function firewallRulesInJson(synth: Synthesized): { protocol: string; port: string; sources: string[] }[] {
  return resourcesOf(synth, 'hcloud_firewall').flatMap((fw) =>
    (fw.body.rule as Record<string, any>[]).map((r) => ({ protocol: r.protocol, port: r.port ?? '', sources: r.source_ips })),
  );
}

describe.each(HETZNER_FILES)('reference architecture of %s', (file) => {
  it('lists exactly the firewall rules of the synthesized hcloud_firewall, in the document tables', () => {
    const { synth, ref } = generated(file);
    const inJson = firewallRulesInJson(synth);
    expect(inJson.length).toBeGreaterThan(0);
    expect(ref.facts.firewall.map((r) => ({ protocol: r.protocol, port: r.port, sources: [...r.sources] }))).toEqual(inJson);
    // ... which are the rules the stack means to create.
    expect(inJson.map((r) => `${r.protocol}/${r.port}`)).toEqual(inboundRules(synth.spec).map((r) => `${r.protocol}/${r.port ?? ''}`));
    const md = ref.files[`${ref.name}.md`];
    const html = ref.files[`${ref.name}.html`];
    for (const rule of inJson) {
      expect(md).toContain(`| ${rule.protocol} | ${rule.port || '—'} | ${rule.sources.join(', ')} |`);
      expect(html).toContain(`<td>${rule.protocol}</td><td>${rule.port || '—'}</td><td>${rule.sources.join(', ')}</td>`);
    }
  });

  it('states only the location of the deployment file, for the server, the volume and both addresses', () => {
    const { synth, ref } = generated(file);
    const location = (synth.spec.target as HetznerTarget).location;
    expect(new Set(ref.facts.locations.map((l) => l.location))).toEqual(new Set([location]));
    expect(ref.facts.locations.map((l) => l.where.split('`')[1]).sort()).toEqual(
      ['hcloud_primary_ip.primary-ipv4', 'hcloud_primary_ip.primary-ipv6', 'hcloud_server.node', 'hcloud_volume.data'].sort(),
    );
    const city = { fsn1: 'Falkenstein', nbg1: 'Nuremberg', hel1: 'Helsinki' }[location];
    const country = location === 'hel1' ? 'Finland' : 'Germany';
    expect(ref.facts.locations.every((l) => l.city === city && l.country === country)).toBe(true);
    expect(ref.files[`${ref.name}.md`]).toContain('Hetzner Online GmbH, Gunzenhausen, Germany');
  });

  it('gives every image its version and reference exactly as images() pins them', () => {
    const { synth, ref } = generated(file);
    const pinned = images(synth.spec.versions, synth.spec.registryMirror);
    const workloads = resourcesOf(synth, 'kubernetes_manifest').filter((r) => ['Deployment', 'StatefulSet'].includes(r.body.manifest.kind));
    expect(workloads.length).toBeGreaterThan(0);
    const deployed = new Set(workloads.flatMap((r) => {
      const pod = r.body.manifest.spec.template.spec;
      return [...(pod.initContainers ?? []), ...pod.containers].map((c: { image: string }) => c.image);
    }));
    const imageRows = ref.facts.components.filter((c) => c.image.includes(':') && !c.image.includes(' '));
    expect(new Set(imageRows.map((c) => c.image))).toEqual(deployed);
    for (const row of imageRows) {
      const key = row.key as keyof typeof pinned;
      expect(pinned[key]).toBe(row.image);
      if (key in synth.spec.versions) expect(row.version).toBe(synth.spec.versions[key as keyof typeof synth.spec.versions]);
      expect(row.licence).not.toContain('unknown');
    }
    const k3s = ref.facts.components.find((c) => c.key === 'k3s');
    expect(k3s?.version).toBe(synth.spec.versions.k3s);
    expect(ref.facts.components.find((c) => c.key === 'traefik')?.licence).toBe('MIT');
  });

  it('prices the server and volume of the JSON as hetznerMonthlyCost does, and states source and date', () => {
    const { synth, ref } = generated(file);
    const target = synth.spec.target as HetznerTarget;
    const lines = hetznerMonthlyCost(target.serverType, target.volumeSizeGiB);
    expect(ref.facts.cost?.lines).toEqual(lines);
    expect(ref.facts.cost?.total).toBe(totalMonthly(lines));
    const md = ref.files[`${ref.name}.md`];
    expect(md).toContain(`| **Total** |  | **${totalMonthly(lines).toFixed(2)}** |`);
    expect(md).toContain('src/pricing/hetzner.ts');
    expect(md).toMatch(/checked \d{4}-\d{2}-\d{2}/);
  });

  it('lists the ACME server, the k3s installer, every registry and the Hetzner API as third-party endpoints', () => {
    const { synth, ref } = generated(file);
    const endpoints = ref.facts.endpoints.map((e) => e.endpoint);
    expect(acmeServerOf(synth)).toBe(synth.spec.tls.acmeServer);
    expect(endpoints).toContain(synth.spec.tls.acmeServer);
    expect(endpoints).toContain(`https://raw.githubusercontent.com/k3s-io/k3s/${synth.spec.versions.k3s}/install.sh`);
    for (const image of Object.values(images(synth.spec.versions))) {
      if (ref.facts.workloads.some((w) => w.images.includes(image))) expect(endpoints).toContain(image.split('/')[0]);
    }
    expect(endpoints).toContain('https://api.hetzner.cloud/v1');
    expect(ref.files[`${ref.name}.md`]).toContain(synth.spec.tls.acmeServer);
  });

  it('reads the security controls from the rendered files inside the JSON, which are the files render writes', () => {
    const { synth, ref } = generated(file);
    for (const rendered of renderAll(synth.spec)) {
      const [service, name] = rendered.path.split('/');
      const fromJson = renderedFromJson(synth, service, name);
      if (fromJson !== undefined) expect(fromJson).toBe(rendered.content);
    }
    const federation = ref.facts.controls.find((c) => c.area === 'Federation')!.control;
    const mode = synth.spec.federation;
    if (mode.mode === 'closed') expect(federation).toContain('Closed');
    if (mode.mode === 'open') expect(federation).toContain('Open');
    if (mode.mode === 'allow_list') for (const server of mode.allow) expect(federation).toContain(server);
    const controls = ref.facts.controls.map((c) => c.control).join('\n');
    expect(controls).toContain('Registration in Synapse: off');
    expect(controls).toContain('Guest access: off');
    expect(controls).toContain('URL previews: off');
    expect(controls).toContain('No trusted key servers');
    expect(controls).toContain('No secret in homeserver.yaml');
    expect(controls).toContain('Pod Security Admission `restricted`');
    expect(ref.files[`${ref.name}.md`]).not.toMatch(/not implemented|not automated/);
    expect(ref.files[`${ref.name}.md`]).toContain('point-in-time recovery');
    // Where the backups are: data residency, third parties and the diagram, all from the rendered agent configuration.
    if (synth.spec.backup.enabled) {
      const { s3 } = synth.spec.backup;
      expect(ref.facts.backupResidency).toContain(`\`${s3.bucket}\` at ${s3.endpoint} (region \`${s3.region}\``);
      expect(ref.facts.endpoints.find((e) => e.purpose.startsWith('Backup bucket'))?.endpoint).toBe(`${s3.endpoint}/${s3.bucket}`);
      expect(ref.facts.flows.filter((f) => f.to === 'backup_bucket').map((f) => f.from).sort()).toEqual(['w_postgres', 'w_synapse']);
    }
  });

  it('draws the firewall, ingress and network policy flows in the diagram', () => {
    const { synth, ref } = generated(file);
    const ingressPaths = kubeObjects(synth, 'Ingress').flatMap((o) => o.manifest.spec.rules.flatMap((r: { http: { paths: unknown[] } }) => r.http.paths));
    expect(ingressPaths.length).toBeGreaterThan(0);
    expect(ref.facts.routes).toHaveLength(ingressPaths.length);
    expect(ref.facts.policies.length).toBeGreaterThanOrEqual(kubeObjects(synth, 'NetworkPolicy').length);
    for (const rule of ref.facts.firewall.filter((r) => r.port)) expect(ref.dot).toContain(`${rule.protocol}/${rule.port}`);
    for (const route of ref.facts.routes) expect(ref.dot).toContain(`tcp/${route.port} ${route.host}${route.path}`);
    expect(ref.dot).toContain('"w_synapse" -> "w_postgres"');
    expect(ref.svg).toContain('<title>w_synapse&#45;&gt;w_postgres</title>');
  });
});

describe('a change to the stacks that the document must pick up', () => {
  const FILE = 'deployments/example.yaml';

  it('a new firewall rule appears in the port table, the controls and the diagram', () => {
    const { synth } = generated(FILE);
    const changed = alter(synth, (stacks) => {
      stacks.infra.resource.hcloud_firewall.firewall.rule.push({
        direction: 'in',
        protocol: 'tcp',
        port: '9999',
        source_ips: ['0.0.0.0/0', '::/0'],
        description: 'test-only rule',
      });
    });
    const ref = generateFromSynthesized(changed);
    expect(ref.facts.firewall.map((r) => `${r.protocol}/${r.port}`)).toContain('tcp/9999');
    expect(ref.facts.firewall.find((r) => r.port === '9999')?.reaches).toBe('nothing the kit runs');
    expect(ref.files['ministry-example.md']).toContain('| tcp | 9999 | 0.0.0.0/0, ::/0 | nothing the kit runs | test-only rule |');
    expect(ref.files['ministry-example.html']).toContain('<td>tcp</td><td>9999</td>');
    expect(ref.svg).toContain('tcp/9999');
    expect(generated(FILE).ref.svg).not.toContain('tcp/9999');
  });

  it('a new network policy flow appears in the policy table and the diagram', () => {
    const { synth } = generated(FILE);
    const changed = alter(synth, (stacks) => {
      manifests(stacks)['networkpolicy_matrix-ministry-example_allow-element-to-postgres'] = {
        manifest: {
          apiVersion: 'networking.k8s.io/v1',
          kind: 'NetworkPolicy',
          metadata: { name: 'allow-element-to-postgres', namespace: 'matrix-ministry-example' },
          spec: {
            podSelector: { matchLabels: { 'app.kubernetes.io/name': 'postgres' } },
            policyTypes: ['Ingress'],
            ingress: [{ from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'element-web' } } }], ports: [{ port: 5432, protocol: 'TCP' }] }],
          },
        },
      };
    });
    const ref = generateFromSynthesized(changed);
    expect(ref.files['ministry-example.md']).toContain('| allow-element-to-postgres | postgres | ingress | element-web pods | tcp/5432 |');
    expect(ref.dot).toContain('"w_element-web" -> "w_postgres"');
    expect(generated(FILE).ref.dot).not.toContain('"w_element-web" -> "w_postgres"');
  });

  it('another image tag, server type or location in the JSON changes inventory, cost and residency', () => {
    const { synth } = generated(FILE);
    const changed = alter(synth, (stacks) => {
      manifests(stacks)['deployment_matrix-ministry-example_synapse'].manifest.spec.template.spec.containers[0].image = 'ghcr.io/element-hq/synapse:v9.9.9';
      stacks.infra.resource.hcloud_server.node.server_type = 'cx53';
      stacks.infra.resource.hcloud_volume.data.location = 'nbg1';
    });
    const ref = generateFromSynthesized(changed);
    expect(ref.facts.components.find((c) => c.image === 'ghcr.io/element-hq/synapse:v9.9.9')?.version).toBe('9.9.9');
    expect(ref.facts.cost?.lines[0]).toEqual(hetznerMonthlyCost('cx53', 50)[0]);
    expect(ref.facts.locations.find((l) => l.where.includes('hcloud_volume.data'))).toMatchObject({ location: 'nbg1', city: 'Nuremberg' });
  });

  it('a TLS setting changed in the rendered homeserver.yaml inside the JSON shows in the controls', () => {
    const { synth } = generated(FILE);
    const changed = alter(synth, (stacks) => {
      const cm = manifests(stacks)['configmap_matrix-ministry-example_synapse-config'].manifest;
      cm.data['homeserver.yaml'] = cm.data['homeserver.yaml'].replace('url_preview_enabled: false', 'url_preview_enabled: true');
    });
    const ref = generateFromSynthesized(changed);
    expect(ref.facts.controls.map((c) => c.control).join('\n')).toContain('URL previews: on');
  });

  it('a new path on the Ingress appears in the route table and the diagram', () => {
    const { synth } = generated(FILE);
    const changed = alter(synth, (stacks) => {
      const rule = manifests(stacks)['ingress_matrix-ministry-example_matrix'].manifest.spec.rules.find((r: { host: string }) => r.host === 'chat.ministry.example.eu');
      rule.http.paths.push({ path: '/test-only', pathType: 'Prefix', backend: { service: { name: 'well-known', port: { number: 8081 } } } });
    });
    const ref = generateFromSynthesized(changed);
    expect(ref.facts.routes).toContainEqual(expect.objectContaining({ host: 'chat.ministry.example.eu', path: '/test-only', service: 'well-known', port: 8081 }));
    expect(ref.files['ministry-example.md']).toContain('| chat.ministry.example.eu | `/test-only` | well-known | 8081 |');
    expect(ref.dot).toContain('tcp/8081 chat.ministry.example.eu/test-only');
    expect(generated(FILE).ref.dot).not.toContain('/test-only');
  });

  it('a weaker container security context, Pod Security level or token mount, another Secret and other requests show in the controls and sizing', () => {
    const { synth, ref: before } = generated(FILE);
    const controls = (ref: ReferenceArchitecture) => ref.facts.controls.map((c) => c.control).join('\n');
    expect(controls(before)).toContain('13 of 13 containers run as non-root');
    expect(controls(before)).toContain('service account tokens not mounted in 6 of 6 workloads');
    expect(controls(before)).toContain('and 9 Kubernetes Secrets');
    const changed = alter(synth, (stacks) => {
      const m = manifests(stacks);
      const coturn = m['deployment_matrix-ministry-example-turn_coturn'].manifest.spec.template.spec;
      coturn.containers[0].securityContext.readOnlyRootFilesystem = false;
      coturn.automountServiceAccountToken = true;
      m['namespace_matrix-ministry-example'].manifest.metadata.labels['pod-security.kubernetes.io/enforce'] = 'baseline';
      m['secret_matrix-ministry-example_test-only'] = {
        manifest: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'test-only', namespace: 'matrix-ministry-example' }, data: { value: 'dGVzdA==' } },
      };
      m['deployment_matrix-ministry-example_synapse'].manifest.spec.template.spec.containers[0].resources.requests = { cpu: '1500m', memory: '3Gi' };
    });
    const ref = generateFromSynthesized(changed);
    expect(controls(ref)).toContain('12 of 13 containers run as non-root');
    expect(controls(ref)).toContain('service account tokens not mounted in 5 of 6 workloads');
    expect(controls(ref)).toContain('Pod Security Admission `baseline` enforced in namespace matrix-ministry-example');
    expect(controls(ref)).not.toContain('Pod Security Admission `restricted`');
    expect(controls(ref)).toContain('and 10 Kubernetes Secrets');
    expect(ref.facts.sizing.rows.find(([k]) => k.startsWith('Synapse'))?.[1]).toContain('deployed: 1500m CPU, 3Gi memory requested');
  });

  it('each Kubernetes object is read from its kubernetes_manifest, whatever its resource name', () => {
    const { synth } = generated(FILE);
    const objects = kubeObjects(synth);
    expect(objects.length).toBe(Object.keys(synth.stacks.find((s) => s.layer === 'apps')!.json.resource!.kubernetes_manifest).length);
    for (const o of objects) {
      expect(o.kind).toBe(o.manifest.kind);
      expect(o.address).toBe(`kubernetes_manifest.${[o.kind.toLowerCase(), ...(o.namespace === undefined ? [] : [o.namespace]), o.name].join('_')}`);
    }
    expect(kubeObjects(synth, 'StatefulSet', 'Namespace').map((o) => `${o.kind} ${o.name}`)).toEqual([
      'StatefulSet postgres',
      'Namespace matrix-ministry-example',
      'Namespace matrix-ministry-example-turn',
    ]);
    // Renamed resources (another naming scheme) give the same document.
    const renamed = alter(synth, (stacks) => {
      stacks.apps.resource.kubernetes_manifest = Object.fromEntries(Object.entries(manifests(stacks)).map(([name, body], i) => [`object-${i}-${name.length}`, body]));
    });
    const strip = (md: string) => md.replace(/kubernetes_manifest\.[A-Za-z0-9_.-]+/g, 'ADDRESS');
    expect(strip(generateFromSynthesized(renamed).files['ministry-example.md'])).toBe(strip(generated(FILE).ref.files['ministry-example.md']));
  });
});

describe('kubernetes target', () => {
  it('says that cluster costs and residency are the operator’s and claims no firewall', () => {
    const { ref } = generated('deployments/agency-kubernetes.yaml');
    const md = ref.files['agency-k8s.md'];
    expect(ref.facts.cost).toBeUndefined();
    expect(ref.facts.firewall).toEqual([]);
    expect(ref.facts.locations).toEqual([]);
    expect(md).toContain('the cluster operator’s costs');
    expect(md).toContain('No cloud firewall is managed on an existing cluster');
    // The ACME server comes from the cert-manager Issuer in the JSON, not from the deployment file.
    expect(md).toContain('| https://acme.example-eu-ca.eu/directory | ACME certificate authority: TLS certificates for every public hostname (HTTP-01 challenge through the IngressClass) | cert-manager in the operator’s cluster | `kubernetes_manifest.issuer_matrix-agency-k8s_sovereign-matrix-acme` (spec.acme.server) |');
    expect(md).toContain('certificates from the cert-manager Issuer `sovereign-matrix-acme`');
    expect(md).toContain('https://login.agency.example.eu/realms/staff');
  });

  it('names the registry mirror and still knows each image through it', () => {
    const { ref } = generated('deployments/agency-kubernetes.yaml');
    expect(ref.files['agency-k8s.md']).toContain('| Container images | pulled through the registry mirror `registry.agency.example.eu/mirror` (`registry_mirror`) |');
    const postgres = ref.facts.components.find((c) => c.key === 'postgres');
    expect(postgres).toMatchObject({ software: 'PostgreSQL', image: expect.stringMatching(/^registry\.agency\.example\.eu\/mirror\/docker\.io\/library\/postgres:/) });
    expect(ref.facts.components.every((c) => !c.licence.includes('unknown'))).toBe(true);
  });

  it('asks the cluster for the claims of the PersistentVolumeClaims and StatefulSet volume claim templates in the JSON', () => {
    const { synth, ref } = generated('deployments/agency-kubernetes.yaml');
    expect(ref.files['agency-k8s.md']).toContain('| PersistentVolumeClaim synapse-data | 100Gi | `kubernetes_manifest.persistentvolumeclaim_matrix-agency-k8s_synapse-data` (agency-k8s-apps) |');
    const changed = alter(synth, (stacks) => {
      const postgres = manifests(stacks)['statefulset_matrix-agency-k8s_postgres'].manifest;
      postgres.spec.volumeClaimTemplates[0].spec.resources.requests.storage = '123Gi';
    });
    expect(generateFromSynthesized(changed).files['agency-k8s.md']).toContain('| Volume claim template postgres/data | 123Gi | `kubernetes_manifest.statefulset_matrix-agency-k8s_postgres` (agency-k8s-apps) |');
    expect(ref.files['agency-k8s.md']).toContain('| Volume claim template postgres/data | 80Gi |');
  });
});

describe('determinism and self-containment', () => {
  it('the same deployment gives byte-identical Markdown, HTML and SVG', () => {
    const spec = specOfFile('deployments/example.yaml');
    const first = generateFromSynthesized(synthesizeForDocs(spec)).files;
    const second = generated('deployments/example.yaml').ref.files;
    expect(Object.keys(first)).toEqual(['ministry-example.md', 'ministry-example.html', 'ministry-example.svg']);
    for (const name of Object.keys(first)) expect(first[name]).toBe(second[name]);
  });

  it('the HTML has no script and loads nothing: inline CSS, inline SVG, a CSP that forbids fetches', () => {
    const html = generated('deployments/example.yaml').ref.files['ministry-example.html'];
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(|\ssrc=/i);
    expect(html).toContain("default-src 'none'");
    expect(html).toContain('<svg role="img"');
    for (const [, href] of html.matchAll(/href="([^"]*)"/g)) expect(href).toMatch(/^(#|https:\/\/)/);
    expect(html).not.toMatch(/<!DOCTYPE svg|<\?xml/);
  });

  it('the SVG has no timestamp and only positional ids', () => {
    const svg = generated('deployments/example.yaml').ref.svg;
    expect(svg).not.toMatch(/\d{4}-\d{2}-\d{2}T|Generated by/);
    for (const [, id] of svg.matchAll(/\sid="([^"]*)"/g)) expect(id).toMatch(/^(graph0|node\d+|edge\d+|clust\d+)$/);
  });
});

describe('a deployment with backups turned off', () => {
  it('says so in the backup section and the data residency, and draws no bucket', () => {
    const { specOf, VALID_YAML } = require('../helpers') as typeof import('../helpers');
    const synth = synthesizeForDocs(specOf(`${VALID_YAML}backup:\n  enabled: false\n`));
    const ref = generateFromSynthesized(synth);
    expect(ref.facts.backups[0]).toMatch(/^\*\*Backups are OFF for this deployment\*\*/);
    expect(ref.facts.backupResidency).toMatch(/^\*\*Backups:\*\* OFF/);
    expect(ref.facts.endpoints.some((e) => e.purpose.startsWith('Backup bucket'))).toBe(false);
    expect(ref.facts.flows.some((f) => f.to === 'backup_bucket')).toBe(false);
    expect(kubeObjects(synth, 'ConfigMap').some((c) => c.name === 'backup-config')).toBe(false);
  });
});
