import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'cdktf';
import { AppsStack } from '../../stacks/apps';
import { HetznerInfraStack } from '../../stacks/hetzner-infra';
import { addDeploymentStacks, synthesize } from '../../stacks/synth';
import { CLUSTER_BACKUP_YAML, specOf, tempDir, VALID_YAML } from '../helpers';

const K8S = VALID_YAML.replace(/target:\n(  .*\n)+/, 'target:\n  kubernetes:\n    context: prod\n') + CLUSTER_BACKUP_YAML;

describe('addDeploymentStacks', () => {
  it('adds infra then apps for a Hetzner deployment, in apply order', () => {
    const stacks = addDeploymentStacks(new App({ outdir: tempDir() }), specOf(VALID_YAML));
    expect(stacks.map((s) => [s.node.id, s.layer])).toEqual([
      ['ministry-infra', 'infra'],
      ['ministry-apps', 'apps'],
    ]);
    expect(stacks[0]).toBeInstanceOf(HetznerInfraStack);
    expect(stacks[1]).toBeInstanceOf(AppsStack);
  });

  it('adds only the apps stack for an existing cluster', () => {
    const stacks = addDeploymentStacks(new App({ outdir: tempDir() }), specOf(K8S));
    expect(stacks.map((s) => s.node.id)).toEqual(['ministry-apps']);
  });
});

describe('synthesize', () => {
  it('summarizes each stack with its file and the number of resources in it', () => {
    const out = tempDir();
    const summaries = synthesize([specOf(VALID_YAML)], out);
    expect(summaries.map((s) => [s.deployment, s.stack, s.layer, s.file])).toEqual([
      ['ministry', 'ministry-infra', 'infra', join('stacks', 'ministry-infra', 'cdk.tf.json')],
      ['ministry', 'ministry-apps', 'apps', join('stacks', 'ministry-apps', 'cdk.tf.json')],
    ]);
    for (const s of summaries) {
      const json = JSON.parse(readFileSync(join(out, s.file), 'utf8'));
      const count = Object.values(json.resource as Record<string, object>).reduce((n, byName) => n + Object.keys(byName).length, 0);
      expect(s.resources).toBe(count);
      expect(s.resources).toBeGreaterThan(5);
    }
  });

  it("replaces a deployment's earlier stacks but leaves other deployments' alone", () => {
    const out = tempDir();
    for (const dir of ['ministry-infra', 'ministry-apps', 'agency-apps']) {
      mkdirSync(join(out, 'stacks', dir), { recursive: true });
      writeFileSync(join(out, 'stacks', dir, 'stale.txt'), 'old');
    }
    synthesize([specOf(K8S)], out);
    expect(readdirSync(join(out, 'stacks')).sort()).toEqual(['agency-apps', 'ministry-apps']);
    expect(readdirSync(join(out, 'stacks', 'ministry-apps'))).not.toContain('stale.txt');
    expect(readFileSync(join(out, 'stacks', 'agency-apps', 'stale.txt'), 'utf8')).toBe('old');
  });

  it('leaves the process’s stack trace hooks as it found them, and real errors their stack', () => {
    const [prepare, capture] = [Error.prepareStackTrace, Error.captureStackTrace];
    synthesize([specOf(K8S)], tempDir());
    expect(Error.prepareStackTrace).toBe(prepare);
    expect(Error.captureStackTrace).toBe(capture);
    expect(new Error('x').stack).toMatch(/\n\s+at /);
  });
});
