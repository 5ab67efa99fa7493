import { TRAEFIK_FILES } from '../../../../src/components/k8s/traefik-config';
import { Testing } from 'cdktf';
import { KubeObject, KubeSecret } from '../../../../src/components/k8s/kube-object';
import { MatrixApps } from '../../../../src/components/k8s/matrix-apps';
import { ALERT_EMAIL_SECRET, BundledMonitoring, GRAFANA_ADMIN_SECRET } from '../../../../src/components/k8s/monitoring/bundled';
import { BUNDLED_MONITORING, NODE_OVERHEAD, type SizeName } from '../../../../src/config/sizing';
import { specOf, VALID_YAML } from '../../../helpers';
import { componentObjects, containers, find, type Json, manifests, objects, podSpecs, synth } from '../helpers';

const MONITORING = ['prometheus', 'alertmanager', 'grafana'];
const LOGIN = 'monitoring:\n  retention_days: 45\n  alert_email:\n    smarthost: smtp.ministry.example.eu:587\n    from: alerts@ministry.example.eu\n    to: ops@ministry.example.eu\n    username: alerts\n    password_env: MINISTRY_SMTP\n';
const OPERATOR = VALID_YAML.replace(/target:\n(  .*\n)+/, 'target:\n  kubernetes:\n    context: prod\n') + 'backup:\n  enabled: false\nmonitoring:\n  stack: prometheus-operator\n';

/** Quantities as numbers: CPU in cores, memory in GiB. */
const cores = (q: string) => (q.endsWith('m') ? Number(q.slice(0, -1)) / 1000 : Number(q));
const gib = (q: string) => Number(q.slice(0, -2)) / { Ki: 1024 ** 2, Mi: 1024, Gi: 1, Ti: 1 / 1024 }[q.slice(-2)]!;

describe('BundledMonitoring', () => {
  const spec = specOf(VALID_YAML + LOGIN);
  const { objects: made, secrets } = componentObjects(spec, (scope, context) => new BundledMonitoring(scope, 'monitoring', { context }));

  it('makes every monitoring object under its one construct, and nothing of the stack elsewhere', () => {
    const apps = new MatrixApps(Testing.app(), 'apps', { spec, inputs: { turnPublicIpv4: '192.0.43.10' } });
    const monitoring = apps.node.findChild('monitoring');
    const inside = new Set(KubeObject.all(monitoring).map((o) => o.key));
    const outside = KubeObject.all(apps).filter((o) => !inside.has(o.key));
    const names = (o: Json) => JSON.stringify(o.data.metadata);
    expect(outside.filter((o) => MONITORING.some((m) => new RegExp(`"(name|app.kubernetes.io/name)":"${m}`).test(names(o))))).toEqual([]);
    expect(KubeSecret.all(monitoring).map((s) => s.props.name).sort()).toEqual([ALERT_EMAIL_SECRET.name, GRAFANA_ADMIN_SECRET.name]);
    // With the cluster's Prometheus Operator there is no such construct at all.
    const operator = new MatrixApps(Testing.app(), 'apps', { spec: specOf(OPERATOR), inputs: { turnPublicIpv4: '192.0.43.10' } });
    expect(operator.node.tryFindChild('monitoring')).toBeUndefined();
    expect(KubeObject.all(operator).filter((o) => MONITORING.includes(o.name))).toEqual([]);
  });

  it('keeps the series for retention_days, capped below the size of its own volume', () => {
    const prometheus = find(made, 'StatefulSet', 'prometheus');
    const args: string[] = prometheus.spec.template.spec.containers[0].args;
    expect(args).toContain('--storage.tsdb.retention.time=45d');
    // Its own claim, a plain object that grows in place (a volumeClaimTemplate cannot change).
    expect(prometheus.spec.volumeClaimTemplates).toBeUndefined();
    expect(prometheus.spec.template.spec.volumes).toContainEqual({ name: 'data', persistentVolumeClaim: { claimName: 'prometheus-data' } });
    const volume = gib(find(made, 'PersistentVolumeClaim', 'prometheus-data').spec.resources.requests.storage);
    expect(volume).toBe(BUNDLED_MONITORING.small.prometheusVolumeGiB);
    const cap = /^--storage\.tsdb\.retention\.size=(\d+)MB$/.exec(args.find((a) => a.startsWith('--storage.tsdb.retention.size='))!)!;
    expect(Number(cap[1]) / 1024).toBeLessThan(volume);
    expect(Number(cap[1]) / 1024).toBeGreaterThanOrEqual(volume * 0.75);
    expect(prometheus.spec.template.spec.containers[0].volumeMounts).toContainEqual({ name: 'data', mountPath: '/prometheus' });
  });

  it('gives each pod the restricted profile: non-root, no escalation, no capabilities, RuntimeDefault seccomp, read-only root, no token, no host access', () => {
    const pods = made.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet').map((o) => [o.metadata.name, o.spec.template.spec] as [string, Json]);
    expect(pods.map(([n]) => n).sort()).toEqual([...MONITORING].sort());
    for (const [name, pod] of pods) {
      expect({ name, pod: { runAsNonRoot: pod.securityContext.runAsNonRoot, seccomp: pod.securityContext.seccompProfile, token: pod.automountServiceAccountToken, host: [pod.hostNetwork, pod.hostPID, pod.hostIPC] } }).toEqual({
        name,
        pod: { runAsNonRoot: true, seccomp: { type: 'RuntimeDefault' }, token: false, host: [undefined, undefined, undefined] },
      });
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
      expect((pod.volumes ?? []).filter((v: Json) => v.hostPath)).toEqual([]);
      for (const c of containers(pod)) {
        expect({ name, c: c.securityContext }).toEqual({
          name,
          c: expect.objectContaining({ runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, privileged: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } }),
        });
        expect(c.ports?.every((p: Json) => p.hostPort === undefined) ?? true).toBe(true);
      }
    }
  });

  it('has ClusterIP Services only, one port each, to its own pods', () => {
    const services = made.filter((o) => o.kind === 'Service');
    expect(services.map((s) => [s.metadata.name, s.spec.type ?? 'ClusterIP', s.spec.ports.map((p: Json) => p.port)])).toEqual([
      ['prometheus', 'ClusterIP', [9090]],
      ['alertmanager', 'ClusterIP', [9093]],
      ['grafana', 'ClusterIP', [3000]],
    ]);
    for (const s of services) expect(s.spec.ports[0].nodePort).toBeUndefined();
  });

  it('mounts the relay password and the Grafana admin password as files from their Secrets', () => {
    const secretVolumes = (name: string) => find(made, 'Deployment', name).spec.template.spec.volumes.filter((v: Json) => v.secret).map((v: Json) => v.secret.secretName);
    expect(secretVolumes('alertmanager')).toEqual([ALERT_EMAIL_SECRET.name]);
    expect(secretVolumes('grafana')).toEqual([GRAFANA_ADMIN_SECRET.name]);
    const smtp = secrets.find((s) => s.props.name === ALERT_EMAIL_SECRET.name)!;
    expect(smtp.props.data[ALERT_EMAIL_SECRET.key]).toMatchObject({ kind: 'input', environment: 'MINISTRY_SMTP' });
    const { secrets: withoutLogin } = componentObjects(specOf(VALID_YAML), (scope, context) => new BundledMonitoring(scope, 'monitoring', { context }));
    expect(withoutLogin.map((s) => s.props.name)).toEqual([GRAFANA_ADMIN_SECRET.name]);
  });
});

describe('the synthesized apps stack with the bundled monitoring stack', () => {
  it('holds no secret value: the relay password is a sensitive variable, the admin password a generated one', () => {
    const before = process.env.MINISTRY_SMTP;
    process.env.MINISTRY_SMTP = 'relay-password-must-not-leak';
    try {
      const text = JSON.stringify(synth(specOf(VALID_YAML + LOGIN)));
      expect(text).not.toContain('relay-password-must-not-leak');
      const json = JSON.parse(text);
      expect(json.variable[ALERT_EMAIL_SECRET.variable]).toMatchObject({ sensitive: true });
      const secret = objects(json, 'Secret')[ALERT_EMAIL_SECRET.name];
      expect(secret.data.password).toBe(`\${base64encode(var.${ALERT_EMAIL_SECRET.variable})}`);
      expect(objects(json, 'Secret')[GRAFANA_ADMIN_SECRET.name].data.password).toMatch(/^\$\{base64encode\(random_password\.[\w-]+\.result\)\}$/);
    } finally {
      if (before === undefined) delete process.env.MINISTRY_SMTP;
      else process.env.MINISTRY_SMTP = before;
    }
  });

  it('adds no public route: no Ingress, IngressRoute or Traefik setting names the stack', () => {
    const json = synth(specOf(VALID_YAML + LOGIN));
    const all = manifests(json);
    // Routes: Ingress objects, Traefik middlewares and the kit's Traefik file configuration.
    const routed = all.filter((m) => /Ingress|Middleware/.test(m.kind) || (m.kind === 'ConfigMap' && m.metadata.name === TRAEFIK_FILES.configMap));
    expect(routed.length).toBeGreaterThan(0);
    for (const m of routed) expect(JSON.stringify(m)).not.toMatch(/prometheus|alertmanager|grafana|9090|9093|3000/);
    // Traefik's own settings name Prometheus (its metrics format), but publish no monitoring port.
    const traefik = JSON.parse(all.find((m) => m.kind === 'HelmChartConfig')!.spec.valuesContent);
    const published = Object.values(traefik.ports as Record<string, Json>).filter((p) => p.expose?.default !== false).map((p) => p.exposedPort ?? p.port);
    expect(published.filter((port) => [9090, 9093, 3000, 9100].includes(port))).toEqual([]);
    expect(JSON.stringify(traefik)).not.toMatch(/alertmanager|grafana/);
    const services = objects(json, 'Service');
    for (const name of MONITORING) expect(services[name].spec.type ?? 'ClusterIP').toBe('ClusterIP');
  });

  it.each(['small', 'medium', 'large'] as SizeName[])(
    '%s: every request beside Synapse and PostgreSQL (Keycloak, TURN, backups and this stack on) fits the node overhead, with 1 GiB left for k3s itself',
    (size) => {
      const json = synth(specOf(`${VALID_YAML}size: ${size}\nidentity:\n  mode: keycloak\n`));
      let cpu = 0;
      let memory = 0;
      for (const [name, pod] of podSpecs(json)) {
        // Synapse and PostgreSQL are sized by the profile, group calls by GROUP_CALLS_SIZING.
        if (['synapse', 'postgres', 'livekit', 'lk-jwt-service'].includes(name)) continue;
        // Synapse's workers share the profile's Synapse figures (synapse-workers.test.ts); Valkey
        // and the router are counted here.
        if (name.startsWith('synapse-') && !['synapse-redis', 'synapse-router'].includes(name)) continue;
        // Init containers run before the others, never beside them.
        for (const c of pod.containers) {
          cpu += cores(c.resources?.requests?.cpu ?? '0');
          memory += gib(c.resources?.requests?.memory ?? '0Gi');
        }
      }
      // k3s's system pods (CoreDNS, metrics-server: 0.1 vCPU and 70 MiB each) and its processes (about 1 GiB).
      expect(cpu + 0.2).toBeLessThanOrEqual(NODE_OVERHEAD.cpu);
      expect(memory + 1).toBeLessThanOrEqual(NODE_OVERHEAD.memoryGiB);
      const m = BUNDLED_MONITORING[size];
      const prometheus = objects(json, 'StatefulSet').prometheus.spec.template.spec.containers[0].resources.requests;
      expect([cores(prometheus.cpu), gib(prometheus.memory)]).toEqual([m.prometheus.cpu, m.prometheus.memoryGiB]);
    },
  );
});
