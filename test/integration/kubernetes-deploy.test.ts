/**
 * `sovereign-matrix deploy` of an existing-cluster deployment against a real kube-apiserver (see
 * kube-control-plane.ts) with the real hashicorp/kubernetes provider and OpenTofu: a fresh cluster
 * takes the whole deployment in one run, a second plan is empty, destroy keeps the data unless
 * told otherwise, and the state of kit 0.1 (typed Kubernetes resources) moves to the current form
 * without recreating anything.
 *
 * No registry reachable from our machines serves hashicorp/kubernetes 2.x (scripts/tools.sh lists
 * it as optional), so this suite runs only when the provider is in the tools mirror and says so in
 * the name of the skipped suite otherwise.
 *
 * The control plane has no nodes. The apply waits for the rollout of Synapse and PostgreSQL, so
 * `markPodsReady` plays the one part of a kubelet those waits need: it reports the pods the
 * controllers create as running and ready (status only; no container runs).
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findEngine } from '../../src/shared/engine';
import { createRunContext } from '../../src/deploy/context';
import { deployStacks, planAll, type Orchestration } from '../../src/deploy/orchestrator';
import { StackFailed } from '../../src/deploy/runner';
import { localStatePath } from '../../src/deploy/state';
import { MIGRATION_FILE } from '../../src/deploy/migrate-state';
import { PROVIDER_VERSIONS } from '../../src/versions';
import { tempDir } from '../helpers';
import { controlPlaneUnavailable, startControlPlane, type ControlPlane } from './kube-control-plane';
import { ensureTofu, providerInMirror, TOOLS_DIR } from './tools';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'bin', 'sovereign-matrix.js');
// Preflight refuses documentation and private ranges for TURN; nothing connects to this address here.
const ADDRESS = '192.0.43.10';
const NS = 'matrix-agency-k8s';
const PROVIDER = providerInMirror('hashicorp/kubernetes', PROVIDER_VERSIONS.kubernetes);
const NOT_RUN = `not run: hashicorp/kubernetes ${PROVIDER_VERSIONS.kubernetes} is not in the tools mirror, and no registry reachable here serves it`;

type Json = Record<string, any>;

let cp: ControlPlane;
let stopMarking: () => void = () => {};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Reports every pod of the namespaces as running and ready, until stopped (see the header). */
function markPodsReady(namespaces: readonly string[]): () => void {
  let stopped = false;
  void (async () => {
    while (!stopped) {
      for (const ns of namespaces) {
        const list = await cp.kubectl(['get', 'pods', '-n', ns, '-o', 'json']);
        if (list.code !== 0) continue;
        for (const pod of JSON.parse(list.stdout).items as Json[]) {
          if (pod.metadata.deletionTimestamp || pod.status?.conditions?.some((c: Json) => c.type === 'Ready' && c.status === 'True')) continue;
          const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
          const condition = (type: string) => ({ type, status: 'True', lastTransitionTime: now });
          const status = {
            phase: 'Running',
            startTime: now,
            conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map(condition),
            containerStatuses: (pod.spec.containers as Json[]).map((c) => ({ name: c.name, image: c.image, imageID: '', ready: true, started: true, restartCount: 0, state: { running: { startedAt: now } } })),
          };
          await cp.kubectl(['patch', 'pod', pod.metadata.name, '-n', ns, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);
        }
      }
      await sleep(1_000);
    }
  })();
  return () => {
    stopped = true;
  };
}

/** The agency example, pointed at the test control plane. */
function deploymentFile(dir: string): string {
  const text = readFileSync(join(ROOT, 'deployments', 'agency-kubernetes.yaml'), 'utf8')
    .replace('    context: agency-prod\n', `    context: test\n    kubeconfig: ${cp.kubeconfig}\n`);
  const file = join(dir, 'agency.yaml');
  writeFileSync(file, text);
  return file;
}

function environment(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    SOVEREIGN_MATRIX_STATE_PASSPHRASE: 'correct horse battery staple 42',
    AGENCY_OIDC_CLIENT_SECRET: 'client-secret-from-the-operator',
    SOVEREIGN_MATRIX_BACKUP_ACCESS_KEY_ID: 'backup-key-from-the-operator',
    SOVEREIGN_MATRIX_BACKUP_SECRET_ACCESS_KEY: 'backup-secret-from-the-operator',
    AGENCY_BACKUP_PASSPHRASE: 'backup passphrase from the operator',
    TF_VAR_turn_public_ipv4: ADDRESS,
  };
}

/** The CLI in a child process; asynchronous, so that markPodsReady keeps running meanwhile. */
function sovereignMatrix(cwd: string, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: environment(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function uid(kind: string, name: string, ns = NS): Promise<string> {
  const args = kind === 'namespace' ? ['get', kind, name, '-o', 'jsonpath={.metadata.uid}'] : ['get', kind, name, '-n', ns, '-o', 'jsonpath={.metadata.uid}'];
  return (await cp.kubectlOk(args)).stdout;
}

async function namespaceGone(name: string): Promise<void> {
  await cp.kubectl(['delete', 'namespace', name, '--ignore-not-found', '--wait=true', '--timeout=180s']);
  for (let i = 0; i < 180 && (await cp.kubectl(['get', 'namespace', name])).code === 0; i++) await sleep(1_000);
}

// Jest lists a skipped suite without its name, so the reason is also printed.
if (!PROVIDER) console.warn(`kubernetes-deploy.test.ts: ${NOT_RUN}`);

(PROVIDER ? describe : describe.skip)(`deploy to a real Kubernetes API server${PROVIDER ? '' : ` (${NOT_RUN})`}`, () => {
  const work = tempDir('sm-kube-deploy-');

  beforeAll(async () => {
    ensureTofu();
    if (controlPlaneUnavailable()) {
      const built = spawnSync('bash', [join(ROOT, 'scripts', 'tools.sh'), 'etcd', 'kube', 'crds'], { stdio: ['ignore', 'inherit', 'inherit'] });
      if (built.status !== 0) throw new Error('scripts/tools.sh etcd kube crds failed');
    }
    cp = await startControlPlane();
    stopMarking = markPodsReady([NS, `${NS}-turn`]);
  });

  afterAll(async () => {
    stopMarking();
    await cp?.stop();
  });

  it('deploys to a fresh cluster in one run', async () => {
    const file = deploymentFile(work);
    const result = await sovereignMatrix(work, 'deploy', file, '--yes', '--skip-self-check', '--wait-minutes', '5');
    expect({ code: result.code, stderr: result.code === 0 ? '' : result.stderr }).toEqual({ code: 0, stderr: '' });
    for (const [kind, name] of [['deployment', 'synapse'], ['statefulset', 'postgres'], ['ingress', 'matrix'], ['issuer', 'sovereign-matrix-acme'], ['secret', 'mas-secrets']]) {
      expect(await uid(kind, name)).toMatch(/^[0-9a-f-]{36}$/);
    }
    // Secret values from the provider's generated values: present, base64 of what MAS reads.
    const key = (await cp.kubectlOk(['get', 'secret', 'mas-secrets', '-n', NS, '-o', 'jsonpath={.data.encryption-key}'])).stdout;
    expect(Buffer.from(key, 'base64').toString()).toMatch(/^[0-9a-f]{64}$/);
    const upstream = (await cp.kubectlOk(['get', 'secret', 'mas-secrets', '-n', NS, '-o', 'jsonpath={.data.upstream-client-secret}'])).stdout;
    expect(Buffer.from(upstream, 'base64').toString()).toBe('client-secret-from-the-operator');
    expect(result.stdout + result.stderr).not.toContain('client-secret-from-the-operator');
    // monitoring.stack auto on a cluster with the Prometheus Operator's CRDs: its objects, applied.
    expect(await uid('servicemonitor', 'synapse')).toMatch(/^[0-9a-f-]{36}$/);
    expect(await uid('prometheusrule', 'matrix-alerts')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('plans nothing on the next run', async () => {
    const result = await sovereignMatrix(work, 'plan', join(work, 'agency.yaml'));
    expect({ code: result.code, stderr: result.code === 0 ? '' : result.stderr }).toEqual({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/agency-k8s-apps: no changes/);
  });

  it('destroys the deployment, keeping the namespace with its data unless told otherwise', async () => {
    const namespace = await uid('namespace', NS);
    const result = await sovereignMatrix(work, 'destroy', join(work, 'agency.yaml'), '--yes', '--confirm', 'agency-k8s');
    expect({ code: result.code, stderr: result.code === 0 ? '' : result.stderr }).toEqual({ code: 0, stderr: '' });
    expect((await cp.kubectl(['get', 'deployment', 'synapse', '-n', NS])).code).not.toBe(0);
    expect((await cp.kubectl(['get', 'ingress', 'matrix', '-n', NS])).code).not.toBe(0);
    expect(await uid('namespace', NS)).toBe(namespace);
    expect(await uid('persistentvolumeclaim', 'synapse-data')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('moves the state of kit 0.1 (typed resources) to the current form without recreating an object', async () => {
    await namespaceGone(NS);
    await namespaceGone(`${NS}-turn`);
    const engine = findEngine('tofu');
    const dir = join(work, 'migration');
    mkdirSync(dir, { recursive: true });
    const lines: string[] = [];
    const orchestration = (): Orchestration => {
      const root = join(dir, 'state');
      const ctx = createRunContext({
        engine,
        deployment: 'agency-k8s',
        command: 'test',
        root,
        output: { out: (l) => lines.push(l), err: (l) => lines.push(l) },
        verbose: false,
        stateEncryption: false,
        env: {
          ...environment(),
          TF_VAR_oidc_client_secret: 'client-secret-from-the-operator',
          TF_VAR_backup_access_key_id: 'backup-key-from-the-operator',
          TF_VAR_backup_secret_access_key: 'backup-secret-from-the-operator',
          TF_VAR_backup_passphrase: 'backup passphrase from the operator',
        },
      });
      const stack = { name: 'agency-k8s-apps', layer: 'apps', dir: join(dir, 'stack'), backendArgs: [`-backend-config=path=${localStatePath(root, 'agency-k8s', 'apps')}`] };
      return { ctx, stacks: [stack], planDir: ctx.planDir };
    };
    const withTestCluster = (json: Json) => ({ ...json, provider: { ...json.provider, kubernetes: [{ config_path: cp.kubeconfig, config_context: 'test' }] } });
    const yes = { confirm: async () => true };

    // 0.1: the stack as that version synthesized it (test/fixtures/migration), applied for real.
    mkdirSync(join(dir, 'stack'), { recursive: true });
    const legacy = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'migration', 'agency-k8s-apps-0.1.0.tf.json'), 'utf8'));
    writeFileSync(join(dir, 'stack', 'cdk.tf.json'), JSON.stringify(withTestCluster(legacy)));
    // 0.1's own bug, the one this form fixes: on a fresh cluster its first apply fails, because no
    // namespaced object waits for its namespace; the second run converges.
    const failed = await deployStacks(orchestration(), yes).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failed).toBeInstanceOf(StackFailed);
    // Which namespaced object the provider tries first varies: either namespace is missing.
    expect((failed as StackFailed).detail).toMatch(/namespaces "matrix-agency-k8s(-turn)?" not found/);
    await deployStacks(orchestration(), yes);
    const before = {
      namespace: await uid('namespace', NS),
      claim: await uid('persistentvolumeclaim', 'synapse-data'),
      postgres: await uid('statefulset', 'postgres'),
      synapse: await uid('deployment', 'synapse'),
      key: (await cp.kubectlOk(['get', 'secret', 'mas-secrets', '-n', NS, '-o', 'jsonpath={.data.encryption-key}'])).stdout,
    };

    // The current form of the same deployment, synthesized by this version. Synapse stays one
    // process, as in 0.1: moving to workers is a change of its own (new objects, and the ingress
    // policy of the main process removed), not part of the state move this checks.
    const monolith = join(work, 'agency-monolith.yaml');
    writeFileSync(monolith, `${readFileSync(join(work, 'agency.yaml'), 'utf8')}scale:\n  synapse_workers: none\n`);
    const synth = await sovereignMatrix(work, 'synth', monolith, '--out', join(work, 'current'));
    expect(synth.code).toBe(0);
    cpSync(join(work, 'current', 'stacks', 'agency-k8s-apps', 'cdk.tf.json'), join(dir, 'stack', 'cdk.tf.json'));
    const plans = await deployStacks(orchestration(), yes);
    expect(lines.join('\n')).toMatch(/state of an older kit version: \d+ objects move to their new addresses in place/);
    const summary = plans[0].summary!;
    // Nothing the cluster holds is destroyed or replaced: every object is imported at its new address.
    expect(summary.replace).toEqual([]);
    expect(summary.destroy).toEqual([]);
    expect(await uid('namespace', NS)).toBe(before.namespace);
    expect(await uid('persistentvolumeclaim', 'synapse-data')).toBe(before.claim);
    expect(await uid('statefulset', 'postgres')).toBe(before.postgres);
    expect(await uid('deployment', 'synapse')).toBe(before.synapse);
    expect((await cp.kubectlOk(['get', 'secret', 'mas-secrets', '-n', NS, '-o', 'jsonpath={.data.encryption-key}'])).stdout).toBe(before.key);

    // Afterwards: only the current form in state, no migration file, nothing more to do.
    const again = await planAll(orchestration());
    expect(again[0].summary).toMatchObject({ create: [], update: [], replace: [], destroy: [] });
    const list = spawnSync(join(TOOLS_DIR, 'bin', 'tofu'), ['state', 'list'], { cwd: join(dir, 'stack'), encoding: 'utf8', env: environment() });
    const types = new Set(list.stdout.trim().split('\n').map((a) => a.split('.')[0]));
    // `data`: the listing of the ServiceMonitor CRD that monitoring.stack auto decides by.
    expect([...types].sort()).toEqual(['data', 'kubernetes_manifest', 'random_id', 'random_password', 'tls_private_key']);
    expect(readFileSync(join(dir, 'stack', 'cdk.tf.json'), 'utf8')).not.toContain(MIGRATION_FILE);
  });

  describe('monitoring.stack auto, decided by the cluster at plan time', () => {
    /** The stack's counted objects, by the case their count is 1 in (stacks/apps.ts). */
    let counted: { present: string[]; absent: string[] };
    /** What a first plan of the agency example (fresh state) would create, by address without the [0]. */
    const freshPlan = async (name: string): Promise<string[]> => {
      const dir = join(work, name);
      mkdirSync(dir, { recursive: true });
      const file = deploymentFile(dir);
      const result = await sovereignMatrix(dir, 'plan', file, '--json');
      expect({ code: result.code, stderr: result.code === 0 ? '' : result.stderr }).toEqual({ code: 0, stderr: '' });
      const apps = JSON.parse(result.stdout).stacks.find((st: Json) => st.stack === 'agency-k8s-apps');
      const synthesized = JSON.parse(readFileSync(join(dir, 'cdktf.out', 'stacks', 'agency-k8s-apps', 'cdk.tf.json'), 'utf8'));
      const byCase = (operator: '>' | '==') =>
        Object.entries(synthesized.resource.kubernetes_manifest as Record<string, Json>)
          .filter(([, r]) => typeof r.count === 'string' && r.count.includes(`.objects) ${operator} 0 ? 1 : 0`))
          .map(([key]) => `kubernetes_manifest.${key}`);
      counted = { present: byCase('>'), absent: byCase('==') };
      return (apps.create as string[]).map((a) => a.replace(/\[0\]$/, ''));
    };

    it("plans the Prometheus Operator's objects when the cluster has the ServiceMonitor CRD, and not the bundled stack", async () => {
      const started = Date.now();
      const create = await freshPlan('auto-with-operator');
      expect(counted.present.length).toBe(4);
      for (const address of counted.present) expect(create).toContain(address);
      for (const address of counted.absent) expect(create).not.toContain(address);
      console.log(`auto plan with the CRD: ${counted.present.length} operator objects planned, ${counted.absent.length} bundled ones not, in ${Date.now() - started} ms`);
    });

    it('plans the bundled stack instead, without an error, when the cluster has no ServiceMonitor CRD', async () => {
      // As on a cluster without the Prometheus Operator. A ServiceMonitor in the plan would fail it
      // ("no matches for kind"): the count keeps it out.
      await cp.kubectlOk(['delete', 'crd', 'servicemonitors.monitoring.coreos.com', '--wait=true', '--timeout=120s']);
      const started = Date.now();
      const create = await freshPlan('auto-without-operator');
      for (const address of counted.present) expect(create).not.toContain(address);
      for (const address of counted.absent) expect(create).toContain(address);
      expect(create).toContain('kubernetes_manifest.deployment_matrix-agency-k8s_synapse');
      console.log(`auto plan without the CRD: ${counted.absent.length} bundled objects planned, no operator object, in ${Date.now() - started} ms`);
    });
  });
  describe('scale.postgres.engine cloudnative-pg', () => {
    const CLUSTER = 'kubernetes_manifest.cluster_matrix-replicated_postgres';
    /** The CloudNativePG fixture, pointed at the test control plane (bundled monitoring: no CRD of its own needed). */
    const cnpgFile = (dir: string): string => {
      mkdirSync(dir, { recursive: true });
      const text = readFileSync(join(ROOT, 'test', 'fixtures', 'valid', 'cloudnative-pg.yaml'), 'utf8')
        .replace('    context: platform\n', `    context: test\n    kubeconfig: ${cp.kubeconfig}\n`)
        .replace(/monitoring:\n(  .*\n)+/, 'monitoring:\n  stack: bundled\n');
      const file = join(dir, 'replicated.yaml');
      writeFileSync(file, text);
      return file;
    };

    it("plans the Cluster when the cluster serves CloudNativePG's CRD", async () => {
      const dir = join(work, 'cnpg-with-operator');
      const result = await sovereignMatrix(dir, 'plan', cnpgFile(dir), '--json');
      expect({ code: result.code, stderr: result.code === 0 ? '' : result.stderr }).toEqual({ code: 0, stderr: '' });
      const apps = JSON.parse(result.stdout).stacks.find((st: Json) => st.stack === 'replicated-apps');
      expect(apps.create).toContain(CLUSTER);
      expect(apps.create).not.toContain('kubernetes_manifest.statefulset_matrix-replicated_postgres');
    });

    it('stops the plan with one clear error, no stack trace, when the cluster has no CloudNativePG', async () => {
      await cp.kubectlOk(['delete', 'crd', 'clusters.postgresql.cnpg.io', '--wait=true', '--timeout=120s']);
      const dir = join(work, 'cnpg-without-operator');
      const result = await sovereignMatrix(dir, 'plan', cnpgFile(dir));
      expect(result.code).not.toBe(0);
      // OpenTofu wraps the message at 80 columns.
      expect(result.stderr.replace(/\s+/g, ' ')).toMatch(/this cluster has no CloudNativePG operator \(no CustomResourceDefinition clusters\.postgresql\.cnpg\.io\)\. Install CloudNativePG 1\.30\.1 or newer first/);
      expect(result.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);
      console.log(`plan without CloudNativePG ends with:\n${result.stderr.trim().split('\n').slice(-12).join('\n')}`);
    });
  });
});
