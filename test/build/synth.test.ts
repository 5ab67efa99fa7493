import { printSynthSummary, runSynthCommand } from '../../src/build/synth';
import type { StackSummary } from '../../stacks/synth';
import { tempDir } from '../helpers';

const summary = (deployment: string, layer: string, resources: number): StackSummary => ({
  deployment,
  stack: `${deployment}-${layer}`,
  layer,
  resources,
  file: `stacks/${deployment}-${layer}/cdk.tf.json`,
});

describe('synth summary', () => {
  it('lines the stacks up, then counts deployments, stacks and resources', () => {
    const lines: string[] = [];
    printSynthSummary({ out: (l) => lines.push(l), err: () => undefined }, [summary('ministry', 'infra', 21), summary('ministry', 'apps', 104), summary('agency', 'apps', 7)], '/tmp/out');
    expect(lines).toEqual([
      '  ministry-infra   21 resources  stacks/ministry-infra/cdk.tf.json',
      '  ministry-apps   104 resources  stacks/ministry-apps/cdk.tf.json',
      '  agency-apps       7 resources  stacks/agency-apps/cdk.tf.json',
      'Synthesized 2 deployments, 3 stacks, 132 resources into /tmp/out/stacks',
    ]);
  });

  it('speaks of one deployment and one stack in the singular', () => {
    const lines: string[] = [];
    printSynthSummary({ out: (l) => lines.push(l), err: () => undefined }, [summary('agency', 'apps', 7)], 'out');
    expect(lines[1]).toBe('Synthesized 1 deployment, 1 stack, 7 resources into out/stacks');
  });

  it('loads every file before writing anything', () => {
    const out = tempDir();
    expect(() => runSynthCommand(['/nonexistent/deployment.yaml'], { out: `${out}/x` }, { out: () => undefined, err: () => undefined })).toThrow();
    expect(require('node:fs').existsSync(`${out}/x`)).toBe(false);
  });
});
