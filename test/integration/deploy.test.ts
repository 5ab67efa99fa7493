import { createHash } from 'node:crypto';
import { cpSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findEngine, type Engine } from '../../src/shared/engine';
import { createRunContext } from '../../src/deploy/context';
import { PASSPHRASE_ENV } from '../../src/operations/state-encryption';
import { deployStacks, destroyStacks, NotConfirmed, planAll, readOutputs, type Orchestration, type StackDefinition } from '../../src/deploy/orchestrator';
import { Interrupted, StackFailed } from '../../src/deploy/runner';
import { STATEFUL_RESOURCES } from '../../src/operations/stateful-resources';
import { localStatePath } from '../../src/deploy/state';
import { tempDir } from '../helpers';
import { ensureTofu } from './tools';

/**
 * The orchestrator of plan/deploy/destroy with the real OpenTofu binary on fixture stacks that
 * need no cloud (test/fixtures/deploy): built-in terraform_data, hashicorp/random and
 * hashicorp/tls; local-exec provisioners record the order and simulate a failing apply.
 */
const FIXTURES = join(__dirname, '..', 'fixtures', 'deploy');
const PASSPHRASE = 'correct horse battery staple 42';

let engine: Engine;
beforeAll(() => {
  ensureTofu();
  engine = findEngine('tofu');
});

interface World {
  dir: string;
  root: string;
  orderFile: string;
  gateFile: string;
  out: string[];
  o: Orchestration;
  stacks: StackDefinition[];
}

function world(options: { encryption?: boolean; env?: NodeJS.ProcessEnv; afterInfra?: () => Promise<void>; signal?: AbortSignal; stateful?: typeof STATEFUL_RESOURCES; reuse?: World } = {}): World {
  const dir = options.reuse?.dir ?? tempDir('sm-deploy-');
  if (!options.reuse) {
    for (const name of ['infra', 'apps', 'slow']) cpSync(join(FIXTURES, name), join(dir, name), { recursive: true });
  }
  const root = join(dir, 'state');
  const orderFile = join(dir, 'order.txt');
  const gateFile = join(dir, 'gate');
  const out: string[] = options.reuse?.out ?? [];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    [PASSPHRASE_ENV]: PASSPHRASE,
    TF_VAR_order_file: orderFile,
    TF_VAR_gate_file: gateFile,
    ...options.env,
  };
  const ctx = createRunContext({
    engine,
    deployment: 'fixture',
    command: 'test',
    root,
    output: { out: (l) => out.push(l), err: (l) => out.push(l) },
    verbose: true,
    stateEncryption: options.encryption ?? false,
    signal: options.signal,
    env,
  });
  const stacks: StackDefinition[] = [
    {
      name: 'fixture-infra',
      layer: 'infra',
      dir: join(dir, 'infra'),
      backendArgs: [`-backend-config=path=${localStatePath(root, 'fixture', 'infra')}`],
      afterApply: async () => {
        writeFileSync(orderFile, `${existsSync(orderFile) ? readFileSync(orderFile, 'utf8') : ''}wait\n`);
        await options.afterInfra?.();
      },
    },
    {
      name: 'fixture-apps',
      layer: 'apps',
      dir: join(dir, 'apps'),
      backendArgs: [`-backend-config=path=${localStatePath(root, 'fixture', 'apps')}`],
      inputs: { from: 'fixture-infra', variables: { kube_host: 'kube_host', kube_client_key: 'kube_client_key' } },
    },
  ];
  return { dir, root, orderFile, gateFile, out, stacks, o: { ctx, stacks, planDir: ctx.planDir, stateful: options.stateful } };
}

const yes = { confirm: async () => true };
const order = (w: World) => readFileSync(w.orderFile, 'utf8').trim().split('\n');

describe('deploy with real OpenTofu', () => {
  let w: World;
  beforeAll(() => {
    w = world({ encryption: true });
  });

  it('plans the apps stack "after infra" on a first deploy instead of failing', async () => {
    const plans = await planAll(w.o);
    expect(plans.map((p) => p.status)).toEqual(['planned', 'deferred']);
    expect(plans[0].summary!.create).toEqual(expect.arrayContaining(['random_password.client_key', 'random_id.volume', 'terraform_data.step']));
    expect(plans[1].deferredBecause).toMatch(/kube_host, kube_client_key from fixture-infra/);
  });

  it('declining the confirmation changes nothing', async () => {
    await expect(deployStacks(w.o, { confirm: async () => false })).rejects.toBeInstanceOf(NotConfirmed);
    expect(existsSync(w.orderFile)).toBe(false);
  });

  it('applies infra, waits, then apps with the infra outputs passed through the environment', async () => {
    writeFileSync(w.gateFile, '');
    await deployStacks(w.o, yes);
    expect(order(w)).toEqual(['infra', 'wait', 'apps']);
    const infra = await readOutputs(w.o, w.stacks[0]);
    const apps = await readOutputs(w.o, w.stacks[1]);
    const secret = String(infra.kube_client_key.value);
    expect(secret).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(apps.key_sha.value).toBe(createHash('sha256').update(secret).digest('hex'));
    expect(apps.host.value).toBe('https://127.0.0.1:6443');

    // No secret in the log, the CLI output or the (encrypted) state files.
    const log = readFileSync(w.o.ctx.log.path, 'utf8');
    expect(log).toContain('Apply complete');
    for (const text of [log, w.out.join('\n')]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(PASSPHRASE);
    }
    for (const layer of ['infra', 'apps']) {
      const state = readFileSync(localStatePath(w.root, 'fixture', layer), 'utf8');
      expect(state).toContain('encrypted_data');
      expect(state).not.toContain(secret);
    }
  });

  it('a rerun with nothing to do applies nothing and still waits', async () => {
    await deployStacks(w.o, yes);
    expect(order(w)).toEqual(['infra', 'wait', 'apps', 'wait']);
  });

  it('flags the replacement of a stateful resource loudly, from real `show -json` output', async () => {
    const changed = world({ encryption: true, reuse: w, env: { TF_VAR_rotation: '2' } });
    const plans = await planAll(changed.o);
    const infra = plans[0].summary!;
    expect(infra.replace).toEqual(['random_password.db']);
    expect(infra.warnings).toEqual([expect.objectContaining({ address: 'random_password.db', action: 'replace', reason: expect.stringMatching(/rotates/) })]);
    expect(plans[1].summary!.create).toEqual([]);
  });

  it('destroy keeps the protected addresses out of the destroy and says so', async () => {
    const stateful = [...STATEFUL_RESOURCES, { type: 'random_id', reason: 'stands in for hcloud_volume / hcloud_primary_ip', irreversible: true, keepOnDestroy: true }];
    const d = world({ encryption: true, reuse: w, stateful });
    let shown: readonly string[] = [];
    const previews = await destroyStacks(d.o, {
      deleteData: false,
      confirm: async (lines) => {
        shown = lines;
        return true;
      },
    });
    expect(previews.map((p) => p.stack.name)).toEqual(['fixture-apps', 'fixture-infra']);
    const infra = previews[1];
    expect(infra.kept).toEqual(['random_id.address', 'random_id.volume']);
    expect(infra.summary!.destroy).not.toContain('random_id.volume');
    expect(infra.summary!.destroy).toContain('random_password.db');
    expect(shown.join('\n')).toMatch(/KEPT random_id.volume.*not destroyed/);
    const log = readFileSync(d.o.ctx.log.path, 'utf8');
    expect(log).toMatch(/Removed random_id.volume/);
    expect(log).not.toMatch(/random_id.volume: Destroying/);
    expect(log).toMatch(/random_password.db: Destroying/);
  });
});

describe('failure and rerun', () => {
  it('names the failing stack with the engine error; the rerun continues where it stopped', async () => {
    const w = world();
    const error = await deployStacks(w.o, yes).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StackFailed);
    expect((error as StackFailed).stack).toBe('fixture-apps');
    expect((error as StackFailed).step).toBe('apply');
    expect((error as StackFailed).detail).toMatch(/simulated failure: the cloud said no/);
    expect(order(w)).toEqual(['infra', 'wait', 'apps']);
    const before = await readOutputs(w.o, w.stacks[0]);

    writeFileSync(w.gateFile, '');
    const again = world({ reuse: w });
    const plans = await planAll(again.o);
    expect(plans[0].summary!.create).toEqual([]);
    // The failed resource is tainted and only it is redone.
    expect(plans[1].summary!.replace).toEqual(['terraform_data.gate']);
    await deployStacks(again.o, yes);
    expect(order(w)).toEqual(['infra', 'wait', 'apps', 'wait']);
    expect((await readOutputs(again.o, w.stacks[0])).kube_client_key.value).toBe(before.kube_client_key.value);
  });
});

describe('interrupt', () => {
  it('forwards one SIGINT to the engine, waits for it, and leaves the state usable', async () => {
    const controller = new AbortController();
    const w = world({ signal: controller.signal });
    const slow: StackDefinition = { name: 'fixture-slow', layer: 'slow', dir: join(w.dir, 'slow'), backendArgs: [`-backend-config=path=${localStatePath(w.root, 'fixture', 'slow')}`] };
    const o: Orchestration = { ...w.o, stacks: [slow] };
    const started = Date.now();
    const timer = setInterval(() => {
      if (w.out.some((l) => l.includes('terraform_data.slow: Provisioning'))) {
        clearInterval(timer);
        controller.abort();
      }
    }, 200);
    const error = await deployStacks(o, yes).catch((e: unknown) => e);
    clearInterval(timer);
    expect(error).toBeInstanceOf(Interrupted);
    expect((error as Interrupted).stack).toBe('fixture-slow');
    expect(Date.now() - started).toBeLessThan(50_000);
    expect(w.out.join('\n')).toMatch(/asking tofu to stop apply of fixture-slow cleanly/);
    const log = readFileSync(w.o.ctx.log.path, 'utf8');
    expect(log).toMatch(/Interrupt received[\s\S]*Gracefully shutting down/);
    expect(log).not.toMatch(/Two interrupts received/);
    // Not locked, not corrupt: a new run can plan again.
    const fresh = world({ reuse: w });
    const plans = await planAll({ ...fresh.o, stacks: [slow] });
    expect(plans[0].status).toBe('planned');
    expect(readdirSync(join(w.root, 'fixture'))).toContain('slow.tfstate');
  });
});
