import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDeploymentFile } from '../src/config/load';
import { synthesize } from '../stacks/synth';
import { CLUSTER_BACKUP_YAML, cli, tempDir, tree } from './helpers';

const DEPLOYMENTS = join(__dirname, '..', 'deployments');
const deploymentFiles = readdirSync(DEPLOYMENTS).filter((f) => f.endsWith('.yaml')).map((f) => join(DEPLOYMENTS, f));


describe('synthesis', () => {
  const specs = deploymentFiles.map(loadDeploymentFile);

  it('writes one stack per deployment and layer, infra only where the kit builds the node (Hetzner, OpenStack)', () => {
    const out = tempDir();
    const stacks = synthesize(specs, out);
    const expected = specs.flatMap((s) => (s.target.kind !== 'kubernetes' ? [`${s.name}-infra`, `${s.name}-apps`] : [`${s.name}-apps`]));
    expect(stacks.map((s) => s.stack)).toEqual(expected);
    for (const s of stacks) {
      const json = JSON.parse(readFileSync(join(out, s.file), 'utf8'));
      expect(json['//'].metadata.stackName).toBe(s.stack);
    }
  });

  it('is byte-identical across runs and directories', () => {
    const [a, b] = [tempDir(), tempDir()];
    synthesize(specs, a);
    const cwd = process.cwd();
    try {
      process.chdir(b); // cdktf's defaults depend on the working directory; ours must not
      synthesize(specs, '.');
    } finally {
      process.chdir(cwd);
    }
    const [treeA, treeB] = [tree(a), tree(b)];
    expect([...treeB.keys()].sort()).toEqual([...treeA.keys()].sort());
    for (const [path, content] of treeA) expect(treeB.get(path)).toBe(content);
  });

  it('writes no machine-specific path into the output', () => {
    const out = tempDir();
    synthesize(specs, out);
    for (const [path, content] of tree(out)) {
      expect({ path, hasTmp: content.includes(out) || content.includes(process.cwd()) || content.includes('/root') || content.includes('/home/') }).toEqual({ path, hasTmp: false });
    }
  });

  it('configures a relative local backend in every stack', () => {
    const out = tempDir();
    for (const s of synthesize(specs, out)) {
      const json = JSON.parse(readFileSync(join(out, s.file), 'utf8'));
      expect(json.terraform.backend).toEqual({ local: { path: 'terraform.tfstate' } });
    }
  });

  it('removes the stale stacks of a deployment whose target changed', async () => {
    const out = tempDir();
    const dir = tempDir();
    const file = join(dir, 'd.yaml');
    const hetzner = readFileSync(join(DEPLOYMENTS, 'example.yaml'), 'utf8');
    writeFileSync(file, hetzner);
    expect((await cli('synth', file, '--out', out)).code).toBe(0);
    expect(readdirSync(join(out, 'stacks')).sort()).toEqual(['ministry-example-apps', 'ministry-example-infra']);
    writeFileSync(
      file,
      hetzner.replace(/target:\n(  .*\n)+/, 'target:\n  kubernetes:\n    context: prod\n').replace('mode: hetzner', 'mode: manual').replace(/  zone: .*\n/, '') + CLUSTER_BACKUP_YAML,
    );
    const second = await cli('synth', file, '--out', out);
    expect(second.stderr).toBe('');
    expect(readdirSync(join(out, 'stacks'))).toEqual(['ministry-example-apps']);
  });
});
