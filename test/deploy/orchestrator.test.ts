import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatPlans, planAll, plansJson, readOutputs, type Orchestration, type StackDefinition } from '../../src/deploy/orchestrator';
import { Redactor, RunLog } from '../../src/deploy/runner';
import { tempDir } from '../helpers';

/**
 * A stand-in engine: `output -json` prints the stack directory's outputs.json (or {}), `plan`
 * records the TF_VAR_* it was given and writes the plan file, `show -json` prints plan.json.
 */
const ENGINE = `#!/bin/sh
case "$1" in
  init) exit 0 ;;
  output) if [ -f outputs.json ]; then cat outputs.json; else echo '{}'; fi ;;
  state) exit 0 ;;
  plan)
    env | grep '^TF_VAR_' | sort > seen-env
    for a in "$@"; do case "$a" in -out=*) : > "\${a#-out=}" ;; esac; done ;;
  show) cat plan.json ;;
esac
`;

const PLAN = { resource_changes: [{ address: 'hcloud_server.node', type: 'hcloud_server', mode: 'managed', change: { actions: ['create'] } }] };

function orchestration(outputs?: object): { o: Orchestration; infra: StackDefinition; apps: StackDefinition; lines: string[] } {
  const engine = join(tempDir(), 'tofu');
  writeFileSync(engine, ENGINE, { mode: 0o755 });
  const stackDir = () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'plan.json'), JSON.stringify(PLAN));
    return dir;
  };
  const infra: StackDefinition = { name: 'ministry-infra', layer: 'infra', dir: stackDir(), backendArgs: [] };
  const apps: StackDefinition = { name: 'ministry-apps', layer: 'apps', dir: stackDir(), backendArgs: [], inputs: { from: infra.name, variables: { kube_host: 'kube_host', kube_client_key: 'kube_client_key' } } };
  if (outputs) writeFileSync(join(infra.dir, 'outputs.json'), JSON.stringify(outputs));
  const lines: string[] = [];
  const redactor = new Redactor();
  const ctx = {
    engine: { name: 'tofu' as const, path: engine, version: '1.10.0' },
    env: { PATH: process.env.PATH },
    log: new RunLog(join(tempDir(), 'run.log'), redactor),
    redactor,
    output: { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) },
    verbose: false,
    started: Date.now(),
  };
  return { o: { ctx, stacks: [infra, apps], planDir: tempDir() }, infra, apps, lines };
}

describe('planning the stacks of a deployment', () => {
  it('defers the apps stack while infra has no outputs, and says so', async () => {
    const { o } = orchestration();
    const plans = await planAll(o);
    expect(plans.map((p) => [p.stack.name, p.status])).toEqual([
      ['ministry-infra', 'planned'],
      ['ministry-apps', 'deferred'],
    ]);
    expect(plans[1].deferredBecause).toBe('needs kube_host, kube_client_key from ministry-infra, which does not have them yet');
    const lines = formatPlans(plans);
    expect(lines[0]).toBe('ministry-infra: 1 to add, 0 to change, 0 to replace, 0 to destroy');
    expect(lines[lines.length - 1]).toBe(
      'ministry-apps: planned after ministry-infra is applied (needs kube_host, kube_client_key from ministry-infra, which does not have them yet); deploy plans and shows it then',
    );
  });

  it("plans the apps stack with infra's outputs as TF_VAR_*, and redacts the sensitive ones from then on", async () => {
    const { o, apps } = orchestration({ kube_host: { value: 'https://203.0.113.7:6443' }, kube_client_key: { value: 'CLIENT-KEY-PEM', sensitive: true } });
    const plans = await planAll(o);
    expect(plans.map((p) => p.status)).toEqual(['planned', 'planned']);
    expect(readFileSync(join(apps.dir, 'seen-env'), 'utf8')).toBe('TF_VAR_kube_client_key=CLIENT-KEY-PEM\nTF_VAR_kube_host=https://203.0.113.7:6443\n');
    expect(o.ctx.redactor.redact('key CLIENT-KEY-PEM')).toBe('key ***');
    expect(plans[1].planFile).toBe(join(o.planDir, 'ministry-apps.tfplan'));
  });

  it('reads no outputs from a stack that has none', async () => {
    const { o, infra } = orchestration();
    expect(await readOutputs(o, infra)).toEqual({});
  });

  it('gives the plans as JSON: counts per action, the reason a stack is deferred', async () => {
    const { o } = orchestration();
    expect(plansJson(await planAll(o))).toEqual([
      { stack: 'ministry-infra', layer: 'infra', status: 'planned', create: ['hcloud_server.node'], update: [], replace: [], destroy: [], import: [], forget: [], stateful_warnings: [] },
      {
        stack: 'ministry-apps',
        layer: 'apps',
        status: 'deferred',
        deferred_because: 'needs kube_host, kube_client_key from ministry-infra, which does not have them yet',
        after: 'ministry-infra',
      },
    ]);
  });
});
