/**
 * The deployment file's `state.s3` for real: a real S3-compatible object store (versitygw over
 * TLS, test/integration/object-store.ts) holds the state of real OpenTofu runs, driven by the
 * kit's own orchestrator with state encryption on, through the backend block the kit synthesizes
 * (stacks/deployment-stack.ts, addBackend) and the StackDefinitions production builds
 * (src/deploy/stacks.ts). The stacks are small DeploymentStacks that need no cloud (hashicorp/random
 * only) but have the kit's layers, names and infra -> apps outputs, so everything about the backend
 * is exactly production's.
 *
 * Also: the backup tools (pgBackRest and restic from scripts/integration/postgres.sh) read and
 * write the same store with the options the backup configuration has to give them.
 *
 * Needs: scripts/tools.sh tofu random versitygw (CI's run of scripts/tools.sh builds them), and
 * scripts/integration/postgres.sh (run here when needed, as root the first time).
 */
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Id } from '@cdktf/provider-random/lib/id';
import { Password } from '@cdktf/provider-random/lib/password';
import { RandomProvider } from '@cdktf/provider-random/lib/provider';
import { App, TerraformOutput, TerraformVariable } from 'cdktf';
import type { Construct } from 'constructs';
import { DeploymentStack } from '../../stacks/deployment-stack';
import { findEngine, type Engine } from '../../src/shared/engine';
import type { DeploymentSpec } from '../../src/config/spec';
import { createRunContext } from '../../src/deploy/context';
import { PASSPHRASE_ENV } from '../../src/operations/state-encryption';
import { deployStacks, planAll, readOutputs, type Orchestration } from '../../src/deploy/orchestrator';
import { hasChanges } from '../../src/deploy/plan-summary';
import { StackFailed } from '../../src/deploy/runner';
import { appsInputs, deploymentStacks } from '../../src/deploy/stacks';
import { specOf, tempDir } from '../helpers';
import { backupTools, type BackupTools } from './backup-tools';
import { startObjectStore, type ObjectStore } from './object-store';
import { ensureTools, TOOLS_DIR } from './tools';

const PASSPHRASE = 'state-s3 test passphrase 7f3a';
const STATE_BUCKET = 'sovereign-matrix-state';
const KEY_PREFIX = 'ministries/state-test';

let store: ObjectStore;
let dir: string;
const timings: string[] = [];
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

beforeAll(async () => {
  const t0 = Date.now();
  ensureTools('tofu', 'random', 'versitygw');
  process.env.PATH = `${join(TOOLS_DIR, 'bin')}:${process.env.PATH}`;
  process.env.TF_CLI_CONFIG_FILE = join(TOOLS_DIR, 'tofurc');
  dir = tempDir('sm-state-s3-');
  const t1 = Date.now();
  store = await startObjectStore(join(dir, 'store'));
  timings.push(`versitygw start (certificates included): ${seconds(Date.now() - t1)}; tools check ${seconds(t1 - t0)}`);
});

afterAll(async () => {
  await store?.stop();
  // The bucket's files, the throwaway CA key and the restored files go unless asked to keep them.
  if (dir && !process.env.SOVEREIGN_MATRIX_KEEP_TEST_DIRS) rmSync(dir, { recursive: true, force: true });
  if (timings.length) process.stderr.write(`state-s3 timings:\n  ${timings.join('\n  ')}\n`);
});

/** A Hetzner deployment (infra + apps layers) whose state lives in the test's bucket. */
function deployment(): DeploymentSpec {
  return specOf(`name: state-test
server_name: state-test.example.eu
target:
  hetzner:
    location: fsn1
    ssh_keys: [ops]
    admin_cidrs: [198.51.100.0/24]
admin_contact: ops@state-test.example.eu
state:
  s3:
    endpoint: ${store.endpoint}
    bucket: ${STATE_BUCKET}
    region: ${store.region}
    key_prefix: ${KEY_PREFIX}
`);
}

/** Stands in for <name>-infra: a secret and the outputs the apps stack reads (appsInputs). */
class InfraStandIn extends DeploymentStack {
  constructor(scope: Construct, spec: DeploymentSpec) {
    super(scope, spec, 'infra');
    new RandomProvider(this, 'random', {});
    const key = new Password(this, 'client_key', { length: 32, special: false });
    for (const output of new Set(Object.values(appsInputs(spec)))) {
      new TerraformOutput(this, output, output === 'kube_client_key' ? { value: key.result, sensitive: true } : { value: `${output} of the stand-in` });
    }
  }
}

/** Stands in for <name>-apps: takes every input the real apps stack takes. */
class AppsStandIn extends DeploymentStack {
  constructor(scope: Construct, spec: DeploymentSpec) {
    super(scope, spec, 'apps');
    new RandomProvider(this, 'random', {});
    const vars = Object.keys(appsInputs(spec)).map((name) => new TerraformVariable(this, name, { type: 'string', sensitive: name === 'kube_client_key' }));
    const id = new Id(this, 'volume', { byteLength: 8, keepers: { inputs: vars.map((v) => v.stringValue).join(',') } });
    new TerraformOutput(this, 'volume_id', { value: id.hex });
  }
}

describe('state.s3 with real OpenTofu against an S3-compatible store', () => {
  let engine: Engine;
  let spec: DeploymentSpec;
  let outdir: string;
  let stateRoot: string;
  const out: string[] = [];
  const orchestration = (passphrase: string, command: string): Orchestration => {
    const ctx = createRunContext({
      engine,
      deployment: spec.name,
      command,
      root: stateRoot,
      output: { out: (l) => out.push(l), err: (l) => out.push(l) },
      verbose: true,
      stateEncryption: true,
      env: { ...process.env, ...store.env(), [PASSPHRASE_ENV]: passphrase },
    });
    return { ctx, stacks: deploymentStacks(spec, outdir, stateRoot), planDir: ctx.planDir };
  };

  beforeAll(async () => {
    engine = findEngine('tofu');
    await store.createBucket(STATE_BUCKET);
    spec = deployment();
    outdir = join(dir, 'cdktf.out');
    stateRoot = join(dir, 'state');
    const app = new App({ outdir, stackTraces: false });
    new InfraStandIn(app, spec);
    new AppsStandIn(app, spec);
    app.synth();
  });

  it('synthesizes the backend block from state.s3', () => {
    expect(spec.state).toEqual({ kind: 's3', endpoint: store.endpoint, bucket: STATE_BUCKET, region: store.region, keyPrefix: KEY_PREFIX });
    for (const layer of ['infra', 'apps']) {
      const json = JSON.parse(readFileSync(join(outdir, 'stacks', `state-test-${layer}`, 'cdk.tf.json'), 'utf8'));
      expect(json.terraform.backend).toEqual({
        s3: expect.objectContaining({ bucket: STATE_BUCKET, key: `${KEY_PREFIX}/${layer}.tfstate`, region: store.region, endpoints: { s3: store.endpoint } }),
      });
      // No credential in the JSON.
      expect(JSON.stringify(json)).not.toContain(store.secretAccessKey);
      expect(JSON.stringify(json)).not.toContain(store.accessKeyId);
    }
  });

  let secret = '';

  it('deploy writes each layer\'s encrypted state to <key_prefix>/<layer>.tfstate in the bucket', async () => {
    const started = Date.now();
    const o = orchestration(PASSPHRASE, 'deploy');
    await deployStacks(o, { confirm: async () => true }).catch(withDetail);
    timings.push(`tofu init + plan + apply of both stacks against the store: ${seconds(Date.now() - started)}`);

    const infra = await readOutputs(o, o.stacks[0]);
    secret = String(infra.kube_client_key.value);
    expect(secret).toMatch(/^[A-Za-z0-9]{32}$/);
    const apps = await readOutputs(o, o.stacks[1]);
    expect(String(apps.volume_id.value)).toMatch(/^[0-9a-f]{16}$/);

    expect((await store.listObjects(STATE_BUCKET)).sort()).toEqual([`${KEY_PREFIX}/apps.tfstate`, `${KEY_PREFIX}/infra.tfstate`]);
    for (const layer of ['infra', 'apps']) {
      const object = (await store.getObject(STATE_BUCKET, `${KEY_PREFIX}/${layer}.tfstate`))!.toString('utf8');
      const state = JSON.parse(object) as Record<string, unknown>;
      expect(state).toHaveProperty('encrypted_data');
      expect(state).not.toHaveProperty('resources');
      for (const clear of [secret, 'random_password', 'client_key', 'random_id', 'volume_id', String(apps.volume_id.value), PASSPHRASE]) {
        expect(object).not.toContain(clear);
      }
    }
    // Nothing about the state on local disk: no state file in the stack directories or the state
    // root (the .terraform directory keeps only the backend's configuration, which has no secret).
    const local = listFiles(dir).filter((f) => /\.tfstate(\.backup)?$/.test(f) && !f.startsWith(join(dir, 'store')));
    for (const f of local) {
      expect(f).toMatch(/\/\.terraform\/terraform\.tfstate$/);
      const text = readFileSync(f, 'utf8');
      expect(text).not.toContain(secret);
      expect(text).not.toContain(store.secretAccessKey);
    }
    const log = readFileSync(o.ctx.log.path, 'utf8');
    expect(log).toContain('Apply complete');
    for (const text of [log, out.join('\n')]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(store.secretAccessKey);
      expect(text).not.toContain(PASSPHRASE);
    }
  });

  it('a second plan, from the state in the bucket, has nothing to do', async () => {
    expect(secret).not.toBe('');
    const started = Date.now();
    const plans = await planAll(orchestration(PASSPHRASE, 'plan')).catch(withDetail);
    timings.push(`second plan of both stacks: ${seconds(Date.now() - started)}`);
    expect(plans.map((p) => p.status)).toEqual(['planned', 'planned']);
    for (const plan of plans) expect(hasChanges(plan.summary!)).toBe(false);
  });

  it('the state in the bucket cannot be read with another passphrase', async () => {
    expect(secret).not.toBe('');
    const error = await planAll(orchestration('another passphrase, 16+ chars', 'plan')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StackFailed);
    expect((error as StackFailed).stack).toBe('state-test-infra');
    expect((error as StackFailed).detail).toMatch(/decrypt/i);
  });
});

describe('backup tools against the same store', () => {
  let tools: BackupTools;
  const BUCKET = 'sovereign-matrix-backups';
  const env = (extra: Record<string, string> = {}) => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, ...extra });
  const run = (program: string, args: string[], environment: NodeJS.ProcessEnv, input?: string) => {
    const result = spawnSync(program, args, { encoding: 'utf8', env: environment, input, timeout: 120_000 });
    return { code: result.status ?? -1, stdout: result.stdout ?? '', stderr: `${result.stderr ?? ''}${result.error?.message ?? ''}` };
  };
  const ok = (r: { code: number; stdout: string; stderr: string }, what: string) => {
    if (r.code !== 0) throw new Error(`${what} failed (${r.code}):\n${r.stdout}${r.stderr}`);
    return r;
  };

  beforeAll(async () => {
    tools = backupTools();
    timings.push(`${tools.pgbackrestVersion}; ${tools.resticVersion}`);
    await store.createBucket(BUCKET);
  });

  it('restic: init, backup and restore through s3:<endpoint>/<bucket>/<path>, trusting the CA by --cacert or SSL_CERT_FILE', () => {
    const repo = `s3:${store.endpoint}/${BUCKET}/sovereign-matrix/state-test/files`;
    const source = join(dir, 'files');
    mkdirSync(source, { recursive: true });
    writeFileSync(join(source, 'signing.key'), 'ed25519 a_bcde test-signing-key\n');
    const keys = { AWS_ACCESS_KEY_ID: store.accessKeyId, AWS_SECRET_ACCESS_KEY: store.secretAccessKey, RESTIC_PASSWORD: 'restic test passphrase', RESTIC_CACHE_DIR: join(dir, 'restic-cache') };

    // Without the CA the store's certificate is refused.
    const untrusted = run(tools.restic, ['-r', repo, 'init'], env(keys));
    expect(untrusted.code).not.toBe(0);
    expect(untrusted.stderr).toMatch(/certificate signed by unknown authority/);

    ok(run(tools.restic, ['--cacert', store.caFile, '-r', repo, 'init'], env(keys)), 'restic init --cacert');
    const withEnv = env({ ...keys, SSL_CERT_FILE: store.caFile });
    ok(run(tools.restic, ['-r', repo, 'backup', '--host', 'state-test', source], withEnv), 'restic backup (SSL_CERT_FILE)');
    const target = join(dir, 'restored');
    ok(run(tools.restic, ['-r', repo, 'restore', 'latest', '--target', target], withEnv), 'restic restore');
    expect(readFileSync(join(target, source, 'signing.key'), 'utf8')).toBe('ed25519 a_bcde test-signing-key\n');
  });

  it('pgBackRest: repo-put, repo-ls and repo-get through repo1-type=s3 with path-style URIs and the CA file', async () => {
    const options = [
      '--config=/dev/null', // nothing from the host's /etc/pgbackrest
      '--log-level-file=off',
      '--repo1-type=s3',
      `--repo1-s3-endpoint=${store.host}`,
      `--repo1-storage-port=${store.port}`,
      `--repo1-s3-region=${store.region}`,
      `--repo1-s3-bucket=${BUCKET}`,
      '--repo1-s3-uri-style=path',
      `--repo1-storage-ca-file=${store.caFile}`,
      '--repo1-path=/sovereign-matrix/state-test/postgres',
    ];
    const keys = env({ PGBACKREST_REPO1_S3_KEY: store.accessKeyId, PGBACKREST_REPO1_S3_KEY_SECRET: store.secretAccessKey });
    ok(run(tools.pgbackrest, [...options, 'repo-put', 'probe/hello.txt'], keys, 'hello from pgBackRest\n'), 'pgbackrest repo-put');
    expect(ok(run(tools.pgbackrest, [...options, 'repo-ls', '--recurse'], keys), 'pgbackrest repo-ls').stdout.split('\n')).toContain('probe/hello.txt');
    expect(ok(run(tools.pgbackrest, [...options, 'repo-get', 'probe/hello.txt'], keys), 'pgbackrest repo-get').stdout).toBe('hello from pgBackRest\n');
    // The object is where any S3 client finds it.
    expect((await store.getObject(BUCKET, 'sovereign-matrix/state-test/postgres/probe/hello.txt'))?.toString('utf8')).toBe('hello from pgBackRest\n');

    // A signature for another region is refused (the store checks it, as real ones do).
    const otherRegion = run(tools.pgbackrest, [...options.map((o) => (o.startsWith('--repo1-s3-region=') ? '--repo1-s3-region=nbg1' : o)), 'repo-ls'], keys);
    expect(otherRegion.code).not.toBe(0);
  });
});

/** A failed engine step with the engine's own error, not only "apply of X failed". */
function withDetail(error: unknown): never {
  if (error instanceof StackFailed) throw new Error(`${error.message}:\n${error.detail}`);
  throw error;
}

function listFiles(root: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(root)) {
    const path = join(root, entry);
    if (lstatSync(path).isDirectory()) files.push(...listFiles(path));
    else files.push(path);
  }
  return files;
}
