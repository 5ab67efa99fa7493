import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Construct } from 'constructs';
import { Testing } from 'cdktf';
import { AppsStack, FIELD_MANAGER, literalForTerraform } from '../../stacks/apps';
import { KubeObject, KubeSecret } from '../../src/components/k8s/kube-object';
import { MatrixApps } from '../../src/components/k8s/matrix-apps';
import { loadDeploymentFile } from '../../src/config/load';
import { renderAll } from '../../src/render';
import { images } from '../../src/versions';
import { clusterWithMonitoring, CNPG_YAML, specOf, VALID_YAML } from '../helpers';
import { containers, EXAMPLES, type Json, manifests, objects, podSpecs, resources, ROOT, synth } from '../components/k8s/helpers';

/** A memory quantity (`Mi`, `Gi`) in MiB. */
function mebibytes(quantity: string): number {
  const m = /^(\d+)(Mi|Gi)$/.exec(quantity);
  if (!m) throw new Error(`unexpected quantity ${quantity}`);
  return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1);
}

describe.each(EXAMPLES)('apps stack of %s', (file) => {
  const spec = loadDeploymentFile(join(ROOT, file));
  const json = synth(spec);
  const pods = podSpecs(json);

  it('runs every container non-root, without privileges, capabilities or a writable root', () => {
    expect(pods.length).toBeGreaterThanOrEqual(5);
    for (const [name, pod] of pods) {
      for (const c of containers(pod)) {
        expect({ pod: name, container: c.name, sc: c.securityContext }).toEqual({
          pod: name,
          container: c.name,
          sc: expect.objectContaining({
            runAsNonRoot: true,
            allowPrivilegeEscalation: false,
            privileged: false,
            // Keycloak's start re-builds the server into its installation directory.
            readOnlyRootFilesystem: !(name === 'keycloak' && c.name === 'keycloak'),
            capabilities: { drop: ['ALL'] },
            seccompProfile: { type: 'RuntimeDefault' },
          }),
        });
      }
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.securityContext.runAsNonRoot).toBe(true);
    }
  });

  it('pins every image to the deployment versions', () => {
    const pinned = Object.values(images(spec.versions, spec.registryMirror));
    for (const [, pod] of pods) {
      for (const c of containers(pod)) {
        expect(pinned).toContain(c.image);
        expect(c.image).not.toMatch(/:latest$|^[^:]+$/);
      }
    }
  });

  it('gives Synapse and PostgreSQL the resources of the size profile (Synapse’s main process its share with workers)', () => {
    const synapse = objects(json, 'Deployment').synapse.spec.template.spec.containers[0];
    const main = spec.scale.workers.main;
    expect(synapse.resources.requests.cpu).toBe(Number.isInteger(main.cpu) ? String(main.cpu) : `${Math.round(main.cpu * 1000)}m`);
    expect(mebibytes(synapse.resources.requests.memory)).toBe(Math.round(main.memoryGiB * 1024));
    if (spec.scale.workers.groups.length === 0) expect(main).toEqual(spec.size.synapse);
    const postgres = objects(json, 'StatefulSet').postgres.spec.template.spec.containers[0];
    expect(postgres.resources.requests.cpu).toBe(String(spec.size.postgres.cpu));
    expect(mebibytes(postgres.resources.requests.memory)).toBe(Math.round(spec.size.postgres.memoryGiB * 1024));
    for (const [, pod] of pods) for (const c of pod.containers) expect(c.resources.requests).toBeDefined();
  });

  it('has readiness and liveness probes on every long-running container', () => {
    for (const [name, pod] of pods) {
      if (name === 'coturn') continue; // host-network UDP service; Kubernetes probes cannot speak TURN
      for (const c of pod.containers) {
        expect({ name, readiness: Boolean(c.readinessProbe), liveness: Boolean(c.livenessProbe) }).toEqual({ name, readiness: true, liveness: true });
      }
    }
  });

  it('keeps secrets out of the JSON: every Secret value is a generated reference', () => {
    const generated = /^\$\{base64encode\((random_password\.[a-z0-9-]+\.result|random_id\.[a-z0-9-]+\.hex|tls_private_key\.[a-z0-9-]+\.private_key_pem|var\.oidc_client_secret|var\.backup_[a-z_]+)\)\}$/;
    const secrets = manifests(json).filter((m) => m.kind === 'Secret');
    expect(secrets.length).toBeGreaterThanOrEqual(6);
    for (const secret of secrets) {
      const name = secret.metadata.name;
      expect(secret.stringData).toBeUndefined();
      for (const [key, value] of Object.entries(secret.data as Record<string, string>)) {
        if (name === 'keycloak-admin' && key === 'username') {
          expect(Buffer.from(value, 'base64').toString()).toBe('bootstrap-admin'); // a name, not a secret
          continue;
        }
        expect({ name, key, value }).toEqual({ name, key, value: expect.stringMatching(generated) });
      }
    }
    if (spec.identity.mode === 'oidc') expect(json.variable.oidc_client_secret.sensitive).toBe(true);
    if (spec.backup.enabled) {
      for (const variable of ['backup_access_key_id', 'backup_secret_access_key', 'backup_passphrase']) expect(json.variable[variable].sensitive).toBe(true);
    }
    for (const password of Object.values(resources(json, 'random_password'))) expect(password.length).toBeGreaterThanOrEqual(32);
  });

  it('deploys exactly the rendered configuration files', () => {
    const maps = objects(json, 'ConfigMap');
    // Traefik's file (with the node address filled in) is checked in test/components/k8s/traefik-config.test.ts.
    const deployed = Object.values(maps).filter((m) => m.metadata.namespace !== 'kube-system').flatMap((m) => Object.entries(m.data as Record<string, string>).map(([file, content]) => [m.metadata.name.replace(/-config$/, ''), file, content]));
    const rendered = renderAll(spec)
      .filter((f) => !f.path.startsWith('traefik/'))
      .map((f) => [f.path.split('/')[0], f.path.split('/').slice(1).join('/'), literalForTerraform(f.content)]);
    expect(deployed.sort()).toEqual(rendered.sort());
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

/** Validation messages of kubernetes-models for each object (null: valid); see test/validate-kube-objects.mjs. */
function schemaProblems(objects: Json[]): (string | null)[] {
  const out = execFileSync(process.execPath, [join(__dirname, '..', 'validate-kube-objects.mjs')], { input: JSON.stringify(objects), cwd: ROOT });
  return JSON.parse(out.toString());
}

describe.each(EXAMPLES)('Kubernetes objects of %s', (file) => {
  const spec = loadDeploymentFile(join(ROOT, file));
  const json = synth(spec);
  const all = Object.entries(resources(json, 'kubernetes_manifest'));

  it('are each valid against the Kubernetes API schema of their kind', () => {
    // Secret data holds Terraform references (base64 only at apply time); HelmChartConfig, and the
    // Prometheus Operator's kinds, have no published schema here (the control-plane integration
    // test applies them against the operator's own CRDs).
    const unpublished = ['Secret', 'HelmChartConfig', 'ServiceMonitor', 'PrometheusRule'];
    const checked = all.map(([, r]) => r.manifest).filter((m) => !unpublished.includes(m.kind));
    const problems = schemaProblems(checked);
    expect(checked.map((m, i) => ({ object: `${m.kind}/${m.metadata.name}`, problem: problems[i] }))).toEqual(
      checked.map((m) => ({ object: `${m.kind}/${m.metadata.name}`, problem: null })),
    );
    for (const kind of ['Namespace', 'ConfigMap', 'Service', 'Deployment', 'StatefulSet', 'Ingress', 'NetworkPolicy']) expect(checked.map((m) => m.kind)).toContain(kind);
  });

  it('would be refused by the schema check when a field is wrong (the check can fail)', () => {
    const deployment = all.map(([, r]) => r.manifest).find((m) => m.kind === 'Deployment');
    const broken = JSON.parse(JSON.stringify(deployment));
    broken.spec.replicas = 'one';
    expect(schemaProblems([broken])[0]).toMatch(/replicas/);
  });

  it('are named after their identity in the cluster, which is their address in state', () => {
    for (const [address, r] of all) {
      const m = r.manifest;
      const expected = [m.kind.toLowerCase(), ...(m.metadata.namespace ? [m.metadata.namespace] : []), m.metadata.name].join('_');
      expect(address).toBe(expected);
    }
  });

  it('apply in an order a fresh cluster accepts in one run', () => {
    // The objects of a monitoring stack (onlyWith), by key.
    const apps = new MatrixApps(new Construct(undefined as unknown as Construct, 'root'), 'matrix', { spec, inputs: { turnPublicIpv4: '192.0.43.10' } });
    const monitoring = new Set([...KubeObject.all(apps), ...KubeSecret.all(apps)].filter((o) => o.onlyWith !== undefined).map((o) => o.key));
    const address = (key: string) => `kubernetes_manifest.${key}`;
    const namespaces = new Set(all.filter(([, r]) => r.manifest.kind === 'Namespace').map(([, r]) => r.manifest.metadata.name));
    expect(namespaces.size).toBe(spec.calls.turn ? 2 : 1);
    for (const [key, r] of all) {
      const m = r.manifest;
      const dependsOn: string[] = r.depends_on ?? [];
      const ns = m.metadata.namespace;
      // Every object in a namespace the deployment creates waits for it (the fresh-cluster failure was exactly this).
      if (ns !== undefined && namespaces.has(ns)) expect({ key, waitsForNamespace: dependsOn.includes(address(`namespace_${ns}`)) }).toEqual({ key, waitsForNamespace: true });
      if (m.kind === 'Namespace') expect(dependsOn).toEqual([]);
      // A workload starts after every Secret, ConfigMap, claim, Service and NetworkPolicy of its
      // namespace; an application's never waits for monitoring objects.
      if ((m.kind === 'Deployment' || m.kind === 'StatefulSet') && !monitoring.has(key)) {
        const sameNamespace = all.filter(([, o]) => o.manifest.metadata.namespace === ns && !['Namespace', 'Deployment', 'StatefulSet'].includes(o.manifest.kind));
        expect(sameNamespace.length).toBeGreaterThan(0);
        for (const [other] of sameNamespace) {
          const expected = monitoring.has(other) ? undefined : other;
          expect({ key, dependsOn: dependsOn.includes(address(other)) ? other : undefined }).toEqual({ key, dependsOn: expected });
        }
      } else {
        expect(dependsOn.filter((d) => /^kubernetes_manifest\.(deployment|statefulset)_/.test(d))).toEqual([]);
      }
    }
    // Everything a Deployment mounts or reads exists in the stack (or is made by cert-manager).
    const names = new Set(all.map(([, r]) => `${r.manifest.kind}/${r.manifest.metadata.namespace}/${r.manifest.metadata.name}`));
    for (const [, r] of all.filter(([, o]) => ['Deployment', 'StatefulSet'].includes(o.manifest.kind))) {
      const ns = r.manifest.metadata.namespace;
      const pod = r.manifest.spec.template.spec;
      for (const v of pod.volumes ?? []) {
        if (v.configMap) expect(names).toContain(`ConfigMap/${ns}/${v.configMap.name}`);
        if (v.secret && !v.secret.optional) expect(names).toContain(`Secret/${ns}/${v.secret.secretName}`);
        if (v.persistentVolumeClaim) expect(names).toContain(`PersistentVolumeClaim/${ns}/${v.persistentVolumeClaim.claimName}`);
      }
      for (const c of containers(pod)) {
        for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef) expect(names).toContain(`Secret/${ns}/${e.valueFrom.secretKeyRef.name}`);
      }
    }
  });

  it('are applied server-side by the kit, forcing its own fields back, and wait for the stateful workloads', () => {
    for (const [key, r] of all) {
      expect({ key, fm: r.field_manager }).toEqual({ key, fm: { name: FIELD_MANAGER, force_conflicts: true } });
    }
    const waited = all.filter(([, r]) => r.wait?.rollout === true).map(([, r]) => `${r.manifest.kind}/${r.manifest.metadata.name}`);
    // Never a Deployment: the provider fails every update of a Deployment it waits for (#1591).
    expect(waited.sort()).toEqual(['StatefulSet/postgres']);
  });

  it('carry quantities in the canonical form the API server stores, so a second plan is empty', () => {
    const quantities: string[] = [];
    const collect = (v: unknown, path: string): void => {
      if (Array.isArray(v)) v.forEach((x, i) => collect(x, `${path}[${i}]`));
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) collect(x, `${path}.${k}`);
      else if (/\.(requests|limits)\.(cpu|memory|storage)$/.test(path)) quantities.push(String(v));
    };
    for (const [, r] of all) collect(r.manifest, '');
    expect(quantities.length).toBeGreaterThan(5);
    for (const q of quantities) {
      expect(q).toMatch(/^([1-9]\d*|[1-9]\d*m|[1-9]\d*(Ki|Mi|Gi|Ti))$/);
      const m = /^(\d+)(Ki|Mi|Gi)$/.exec(q);
      if (m) expect({ q, divisible: Number(m[1]) % 1024 === 0 }).toEqual({ q, divisible: false });
      const milli = /^(\d+)m$/.exec(q);
      if (milli) expect({ q, whole: Number(milli[1]) % 1000 === 0 }).toEqual({ q, whole: false });
    }
  });
});

describe('the monitoring stacks: chosen by the deployment file, or with auto by the cluster at plan time', () => {
  const kube = (stack: string) => clusterWithMonitoring(stack);
  const PRESENT = '${length(data.kubernetes_resources.prometheus_operator_crd.objects) > 0 ? 1 : 0}';
  const ABSENT = '${length(data.kubernetes_resources.prometheus_operator_crd.objects) == 0 ? 1 : 0}';

  /** The apps stack as synthesized, with the real monitoring stacks of MatrixApps. */
  const synthWithBundled = (spec: ReturnType<typeof specOf>): Json => JSON.parse(Testing.synth(new AppsStack(Testing.app(), spec)));
  const counts = (json: Json) =>
    Object.fromEntries(Object.entries(resources(json, 'kubernetes_manifest')).filter(([, r]) => r.count !== undefined).map(([key, r]) => [key, r.count]));

  it('with auto, lists the ServiceMonitor CRD by name and gives each stack the count of its case', () => {
    const json = synthWithBundled(kube('auto'));
    expect(json.data).toEqual({
      kubernetes_resources: {
        prometheus_operator_crd: { api_version: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', field_selector: 'metadata.name=servicemonitors.monitoring.coreos.com' },
      },
    });
    const counted = counts(json);
    expect(Object.keys(counted).filter((key) => counted[key] === PRESENT).sort()).toEqual([
      'prometheusrule_matrix-observed_matrix-alerts',
      'servicemonitor_matrix-observed_mas',
      'servicemonitor_matrix-observed_postgres',
      'servicemonitor_matrix-observed_synapse',
    ]);
    // Every object of the bundled stack, and nothing of the applications, waits for the absent case.
    const absent = Object.keys(counted).filter((key) => counted[key] === ABSENT);
    expect(absent).toEqual(expect.arrayContaining(['statefulset_matrix-observed_prometheus', 'deployment_matrix-observed_grafana', 'deployment_matrix-observed_alertmanager', 'configmap_matrix-observed_prometheus-config']));
    for (const key of absent) expect(key).toMatch(/prometheus|alertmanager|grafana/);
    expect(Object.keys(counted)).toHaveLength(4 + absent.length);
  });

  it('with auto, orders the counted objects like the others and keeps the applications independent of them', () => {
    const json = synthWithBundled(kube('auto'));
    const manifest = resources(json, 'kubernetes_manifest');
    expect(manifest['statefulset_matrix-observed_prometheus'].depends_on).toContain('kubernetes_manifest.configmap_matrix-observed_prometheus-config');
    expect(manifest['statefulset_matrix-observed_prometheus'].depends_on).not.toContain('kubernetes_manifest.servicemonitor_matrix-observed_synapse');
    expect(manifest['servicemonitor_matrix-observed_synapse'].depends_on).toEqual(['kubernetes_manifest.namespace_matrix-observed']);
    const synapse = manifest['deployment_matrix-observed_synapse'].depends_on as string[];
    expect(synapse.filter((d) => /servicemonitor|prometheus/.test(d))).toEqual([]);
  });

  it('with a fixed stack, synthesizes only its objects, uncounted, and asks the cluster nothing', () => {
    const operator = synthWithBundled(kube('prometheus-operator'));
    expect(operator.data).toBeUndefined();
    expect(counts(operator)).toEqual({});
    expect(Object.keys(objects(operator, 'ServiceMonitor')).sort()).toEqual(['mas', 'postgres', 'synapse']);
    expect(objects(operator, 'StatefulSet').prometheus).toBeUndefined();
    const bundled = synthWithBundled(kube('bundled'));
    expect(bundled.data).toBeUndefined();
    expect(counts(bundled)).toEqual({});
    expect(objects(bundled, 'ServiceMonitor')).toEqual({});
    expect(objects(bundled, 'StatefulSet').prometheus).toBeDefined();
  });
});

describe('the CloudNativePG check (scale.postgres.engine cloudnative-pg)', () => {
  const json = synth(specOf(CNPG_YAML));

  it("lists CloudNativePG's Cluster CRD by name and stops the plan with one message when there is none", () => {
    const probe = json.data.kubernetes_resources.cloudnative_pg_crd;
    expect(probe).toMatchObject({ api_version: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', field_selector: 'metadata.name=clusters.postgresql.cnpg.io' });
    expect(probe.lifecycle.postcondition).toEqual([
      {
        condition: '${length(self.objects) > 0}',
        error_message: expect.stringMatching(/^scale\.postgres\.engine is cloudnative-pg, but this cluster has no CloudNativePG operator \(no CustomResourceDefinition clusters\.postgresql\.cnpg\.io\)\. Install CloudNativePG 1\.30\.1 or newer/),
      },
    ]);
  });

  it('plans the Cluster only after the check, and after its Secret and the network policies', () => {
    const cluster = resources(json, 'kubernetes_manifest')['cluster_matrix-ministry_postgres']!;
    expect(cluster.depends_on).toEqual(
      expect.arrayContaining([
        'data.kubernetes_resources.cloudnative_pg_crd',
        'kubernetes_manifest.secret_matrix-ministry_postgres-superuser',
        'kubernetes_manifest.networkpolicy_matrix-ministry_allow-postgres-egress',
      ]),
    );
  });

  it('is not there with the bundled PostgreSQL', () => {
    expect(JSON.stringify(synth(specOf(VALID_YAML)).data ?? {})).not.toContain('cnpg');
  });
});
