/**
 * The apps layer's Kubernetes objects, judged by a real Kubernetes control plane: etcd,
 * kube-apiserver and kube-controller-manager at the Kubernetes minor of the pinned k3s, built from
 * the Go module proxy by scripts/tools.sh and started on loopback (kube-control-plane.ts), with the
 * CRDs the kit expects (k3s's HelmChartConfig, cert-manager's, the Prometheus Operator's,
 * CloudNativePG's Cluster) from their Go modules.
 *
 * For every example deployment: `sovereign-matrix manifests` output is applied server-side with
 * kubectl; every object must be accepted; create-secrets.sh makes the Secrets; every pod the
 * controllers create must be admitted by its namespace's Pod Security level (no FailedCreate);
 * a second apply must change nothing (resourceVersions unchanged); deleting must leave nothing.
 * There are no nodes, so pods stay Pending: admission is what is judged here, not running.
 */
import { spawnSync } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { loadDeploymentFile } from '../../src/config/load';
import { cli, tempDir } from '../helpers';
import { controlPlaneUnavailable, startControlPlane, type ControlPlane } from './kube-control-plane';
import { operatorSecrets } from '../../src/deploy/stacks';
import { ensureTools, TOOLS_DIR } from './tools';
import { renderAlertRules } from '../../src/render/monitoring/alert-rules';

const ROOT = join(__dirname, '..', '..');
const EXAMPLES = [
  ...readdirSync(join(ROOT, 'deployments')).filter((f) => f.endsWith('.yaml')).map((f) => `deployments/${f}`),
  ...readdirSync(join(ROOT, 'test/fixtures/valid')).filter((f) => f.endsWith('.yaml')).map((f) => `test/fixtures/valid/${f}`),
].sort();
/** A documentation address (RFC 5737) for coturn's node. */
// A public address (documentation ranges are refused: clients could not reach TURN there).
const ADDRESS = '192.0.43.10';

type Json = Record<string, any>;

let cp: ControlPlane;

beforeAll(async () => {
  if (controlPlaneUnavailable()) {
    const built = spawnSync('bash', [join(ROOT, 'scripts', 'tools.sh'), 'etcd', 'kube', 'crds'], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (built.status !== 0) throw new Error(`scripts/tools.sh etcd kube crds failed with status ${built.status}`);
  }
  const missing = controlPlaneUnavailable();
  if (missing) throw new Error(missing);
  cp = await startControlPlane();
});

afterAll(async () => {
  await cp?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(1_000);
  }
}

describe.each(EXAMPLES)('the objects of %s on a real API server', (file) => {
  const spec = loadDeploymentFile(join(ROOT, file));
  const out = join(tempDir(), 'gitops');
  let objects: Json[] = [];
  const namespaces = () => objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name as string);
  const current = async () => JSON.parse((await cp.kubectlOk(['get', '-k', out, '-o', 'json'])).stdout).items as Json[];
  const snapshot = async () => Object.fromEntries((await current()).map((o) => [`${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`, o]));

  beforeAll(async () => {
    const written = await cli('manifests', join(ROOT, file), '--out', out, ...(spec.calls.turn ? ['--turn-public-ipv4', ADDRESS] : []));
    expect(written).toMatchObject({ code: 0, stderr: '' });
    const kustomization = parse(readFileSync(join(out, 'kustomization.yaml'), 'utf8'));
    objects = (kustomization.resources as string[]).map((p) => parse(readFileSync(join(out, p), 'utf8')));
  });

  it('accepts every object of a server-side apply', async () => {
    const applied = await cp.kubectl(['apply', '--server-side', '--field-manager=sovereign-matrix', '-k', out]);
    // The one warning is by design: coturn's namespace enforces `privileged` (host networking) and
    // warns at `baseline`, so that whoever reads the apply sees that coturn uses the node's network.
    const expected = spec.calls.turn ? 'Warning: would violate PodSecurity "baseline:latest": host namespaces (hostNetwork=true)\n' : '';
    expect({ code: applied.code, stderr: applied.stderr }).toEqual({ code: 0, stderr: expected });
    const live = await current();
    expect(live.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort());
    // Labels the kit relies on to tell its objects apart survived the round trip.
    for (const o of live.filter((l) => l.kind !== 'HelmChartConfig')) expect(o.metadata.labels?.['app.kubernetes.io/part-of']).toBe('sovereign-matrix');
  });

  it("has its Prometheus Operator objects (stack prometheus-operator) taken whole by the operator's CRDs, with the rules promtool checks", async () => {
    const written = objects.filter((o) => o.kind === 'ServiceMonitor' || o.kind === 'PrometheusRule');
    // With auto they are apart (monitoring/prometheus-operator/, not in the main kustomization).
    if (spec.monitoring.stack !== 'prometheus-operator') return expect(written).toEqual([]);
    expect(written.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(['PrometheusRule/matrix-alerts', 'ServiceMonitor/mas', 'ServiceMonitor/postgres', 'ServiceMonitor/synapse']);
    const live = await current();
    for (const o of written) {
      const stored = live.find((l) => l.kind === o.kind && l.metadata.name === o.metadata.name)!;
      // A CRD's structural schema drops fields it does not know without an error: equal specs
      // mean every field the kit writes is one the operator reads.
      expect({ object: `${o.kind}/${o.metadata.name}`, spec: stored.spec }).toEqual({ object: `${o.kind}/${o.metadata.name}`, spec: o.spec });
      expect(stored.metadata.labels).toMatchObject(spec.monitoring.prometheusOperator.labels);
    }
    // The rules as the cluster stores them are the rule file the alert-rules test checks, and
    // the real promtool accepts them.
    const rule = live.find((l) => l.kind === 'PrometheusRule')!;
    expect(rule.spec.groups).toEqual(parse(renderAlertRules(spec)).groups);
    const rulesFile = join(tempDir(), 'from-the-cluster.yml');
    writeFileSync(rulesFile, stringify({ groups: rule.spec.groups }));
    const checked = spawnSync(join(ensureTools('prometheus'), 'promtool'), ['check', 'rules', rulesFile], { encoding: 'utf8' });
    expect({ status: checked.status, out: checked.stdout + checked.stderr }).toEqual({ status: 0, out: expect.stringMatching(/SUCCESS: \d+ rules found/) });
    // The CRDs do judge: a relabelling action the operator does not know is refused.
    const broken = JSON.parse(JSON.stringify(written.find((o) => o.kind === 'ServiceMonitor')));
    broken.spec.endpoints[0].relabelings[0].action = 'overwrite';
    const brokenFile = join(tempDir(), 'broken.json');
    writeFileSync(brokenFile, JSON.stringify(broken));
    const refused = await cp.kubectl(['apply', '--server-side', '--dry-run=server', '--field-manager=sovereign-matrix', '-f', brokenFile]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/relabelings\[0\]\.action/);
  });

  it("has its CloudNativePG Cluster (engine cloudnative-pg) taken whole by CloudNativePG's CRD, which refuses a broken one", async () => {
    const written = objects.filter((o) => o.kind === 'Cluster');
    if (spec.scale.postgres.engine !== 'cloudnative-pg') return expect(written).toEqual([]);
    expect(written.map((o) => o.metadata.name)).toEqual(['postgres']);
    const stored = (await current()).find((l) => l.kind === 'Cluster')!;
    // The structural schema drops unknown fields silently and adds its defaults: every field the
    // kit wrote must still be there with its value.
    expect(stored.spec).toMatchObject(written[0]!.spec);
    expect(stored.spec.bootstrap.initdb).toMatchObject({ encoding: 'UTF8', localeCollate: 'C', localeCType: 'C' });
    // The CRD judges: fewer than one instance, a negative synchronous replica count, and a
    // superuser switch that is not a boolean are refused.
    for (const [field, value, message] of [
      ['instances', 0, /spec\.instances/],
      ['minSyncReplicas', -1, /spec\.minSyncReplicas/],
      ['enableSuperuserAccess', 'yes', /spec\.enableSuperuserAccess/],
    ] as const) {
      const broken = JSON.parse(JSON.stringify(written[0]));
      broken.spec[field] = value;
      const brokenFile = join(tempDir(), 'broken-cluster.json');
      writeFileSync(brokenFile, JSON.stringify(broken));
      const refused = await cp.kubectl(['apply', '--server-side', '--dry-run=server', '--field-manager=sovereign-matrix', '-f', brokenFile]);
      expect({ field, code: refused.code === 0 ? 0 : 1, stderr: refused.stderr }).toEqual({ field, code: 1, stderr: expect.stringMatching(message) });
    }
  });

  it('creates the Secrets with create-secrets.sh, once, with well-formed and shared values', async () => {
    // What the operator gives (the OIDC client secret, the backup bucket's key and passphrase).
    const given = Object.fromEntries(Object.values(operatorSecrets(spec)).map((name) => [name, `${name.toLowerCase()}-from-the-operator`]));
    if (spec.identity.mode === 'oidc') given[spec.identity.oidc.clientSecretEnv] = 'client-secret-from-the-operator';
    const env = { ...process.env, KUBECTL: join(TOOLS_DIR, 'bin', 'kubectl'), ...given };
    const script = join(out, 'create-secrets.sh');
    const first = spawnSync('bash', [script, '--kubeconfig', cp.kubeconfig], { env, encoding: 'utf8' });
    expect({ code: first.status, stderr: first.stderr }).toEqual({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(/created +secret\/postgres-superuser/);
    expect(first.stdout).not.toMatch(/kept/);

    const secretsIn = async (ns: string) => JSON.parse((await cp.kubectlOk(['get', 'secrets', '-n', ns, '-o', 'json'])).stdout).items as Json[];
    const all = (await Promise.all(namespaces().map(secretsIn))).flat();
    const value = (ns: string, name: string, key: string) => {
      const s = all.find((x) => x.metadata.namespace === ns && x.metadata.name === name);
      expect({ secret: `${ns}/${name}`, key, present: s?.data?.[key] !== undefined }).toEqual({ secret: `${ns}/${name}`, key, present: true });
      return Buffer.from(s!.data[key], 'base64').toString();
    };
    const ns = `matrix-${spec.name}`;
    expect(value(ns, 'postgres-superuser', 'password')).toMatch(/^[A-Za-z0-9]{48}$/);
    // CloudNativePG takes the superuser only from a Secret whose username is postgres.
    if (spec.scale.postgres.engine === 'cloudnative-pg') expect(value(ns, 'postgres-superuser', 'username')).toBe('postgres');
    expect(value(ns, 'mas-secrets', 'encryption-key')).toMatch(/^[0-9a-f]{64}$/);
    const key = createPrivateKey(value(ns, 'mas-secrets', 'signing-key-rsa.pem'));
    expect(key.asymmetricKeyType).toBe('rsa');
    expect(key.asymmetricKeyDetails?.modulusLength).toBe(4096);
    // One value, several Secrets: what Synapse and MAS (or Synapse and coturn) share must match.
    expect(value(ns, 'mas-secrets', 'synapse-shared-secret')).toBe(value(ns, 'mas-synapse-shared-secret', 'synapse-shared-secret'));
    if (spec.calls.turn) expect(value(`${ns}-turn`, 'turn-shared-secret', 'shared-secret')).toBe(value(ns, 'turn-shared-secret', 'shared-secret'));
    if (spec.identity.mode === 'oidc') expect(value(ns, 'mas-secrets', 'upstream-client-secret')).toBe('client-secret-from-the-operator');
    if (spec.identity.mode === 'keycloak') expect(value(ns, 'keycloak-mas-client', 'secret')).toBe(value(ns, 'mas-secrets', 'upstream-client-secret'));
    if (spec.backup.enabled) {
      expect(value(ns, 'backup-credentials', 'passphrase')).toBe(given[spec.backup.passphraseEnv]);
      expect(value(ns, 'backup-credentials', 'access-key-id')).toBe(given.SOVEREIGN_MATRIX_BACKUP_ACCESS_KEY_ID);
    }
    // No value ever reaches the script's output.
    // (User names are not secret: CloudNativePG's superuser is `postgres`, like the Secret's name.)
    for (const s of all) {
      for (const [k, v] of Object.entries(s.data as Record<string, string>)) if (k !== 'username') expect(first.stdout).not.toContain(Buffer.from(v, 'base64').toString().slice(0, 16));
    }

    const before = all.map((s) => `${s.metadata.name}@${s.metadata.resourceVersion}`).sort();
    const again = spawnSync('bash', [script, '--kubeconfig', cp.kubeconfig], { env, encoding: 'utf8' });
    expect(again.status).toBe(0);
    expect(again.stdout).not.toMatch(/created/);
    const after = (await Promise.all(namespaces().map(secretsIn))).flat().map((s) => `${s.metadata.name}@${s.metadata.resourceVersion}`).sort();
    expect(after).toEqual(before);
  });

  it('has every pod the controllers create admitted by its namespace Pod Security level', async () => {
    const workloads = objects.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet');
    expect(workloads.length).toBeGreaterThanOrEqual(5);
    const podsOf = async (w: Json) => {
      const selector = Object.entries(w.spec.selector.matchLabels as Record<string, string>).map(([k, v]) => `${k}=${v}`).join(',');
      return JSON.parse((await cp.kubectlOk(['get', 'pods', '-n', w.metadata.namespace, '-l', selector, '-o', 'json'])).stdout).items as Json[];
    };
    const failures = async () => {
      const events = await Promise.all(namespaces().map(async (ns) => JSON.parse((await cp.kubectlOk(['get', 'events', '-n', ns, '-o', 'json'])).stdout).items as Json[]));
      return events.flat().filter((e) => e.reason === 'FailedCreate').map((e) => `${e.involvedObject.kind}/${e.involvedObject.name}: ${e.message}`);
    };
    await until('a pod of every workload (or a refusal)', async () => {
      if ((await failures()).length > 0) return true;
      const counts = await Promise.all(workloads.map(async (w) => (await podsOf(w)).length));
      return counts.every((n) => n >= 1) ? true : undefined;
    });
    expect(await failures()).toEqual([]);
    for (const w of workloads) {
      const pods = await podsOf(w);
      expect({ workload: `${w.kind}/${w.metadata.name}`, pods: pods.length }).toEqual({ workload: `${w.kind}/${w.metadata.name}`, pods: 1 });
      // The pod is what the template says: hardened as the kit wrote it, not defaulted into something else.
      expect(pods[0].spec.securityContext.runAsNonRoot).toBe(true);
      expect(pods[0].spec.automountServiceAccountToken).toBe(false);
    }
  });

  it('changes nothing on a second apply', async () => {
    const versions = (objects: Record<string, Json>) => Object.fromEntries(Object.entries(objects).map(([k, o]) => [k, o.metadata.resourceVersion]));
    // Let the controllers finish writing status first, so that only the apply could change anything.
    let before = await snapshot();
    await until('the controllers to settle', async () => {
      await sleep(3_000);
      const now = await snapshot();
      const settled = JSON.stringify(versions(now)) === JSON.stringify(versions(before));
      before = now;
      return settled ? true : undefined;
    });
    const applied = await cp.kubectlOk(['apply', '--server-side', '--field-manager=sovereign-matrix', '-k', out]);
    expect(applied.stdout).toMatch(/serverside-applied/);
    const after = await snapshot();
    // kube-apiserver 1.37 stores a PersistentVolumeClaim again on every server-side apply, with the
    // same content (kubernetes/kubernetes#124605 and #119304 describe the same for other kinds):
    // for claims only the content is compared, every other object must not be written at all.
    const withoutVersion = (o: Json) => ({ ...o, metadata: { ...o.metadata, resourceVersion: undefined } });
    for (const [key, o] of Object.entries(before)) {
      if (o.kind === 'PersistentVolumeClaim') expect(withoutVersion(after[key])).toEqual(withoutVersion(o));
      else expect({ key, resourceVersion: after[key]?.metadata.resourceVersion }).toEqual({ key, resourceVersion: o.metadata.resourceVersion });
    }
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
  });

  it('leaves nothing behind when deleted', async () => {
    await cp.kubectlOk(['delete', '-k', out, '--wait=true', '--timeout=180s']);
    await until('the namespaces to be gone', async () => {
      const left = await Promise.all(namespaces().map(async (ns) => (await cp.kubectl(['get', 'namespace', ns, '-o', 'name'])).code === 0));
      return left.some(Boolean) ? undefined : true;
    }, 180_000);
    const remaining = await cp.kubectlOk(['get', '-k', out, '--ignore-not-found', '-o', 'name']);
    expect(remaining.stdout.trim()).toBe('');
    const labelled = await cp.kubectlOk(['get', 'all,configmaps,secrets,ingresses,networkpolicies,persistentvolumeclaims', '-A', '-l', `sovereign-matrix/deployment=${spec.name}`, '-o', 'name']);
    expect(labelled.stdout.trim()).toBe('');
  });
});
