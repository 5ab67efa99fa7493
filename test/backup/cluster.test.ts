import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster, ClusterError, KubectlMissing } from '../../src/backup/cluster';
import { specOf, tempDir, VALID_YAML } from '../helpers';

/**
 * A kubectl that appends its arguments (one call per line) to calls.log, prints `out`, and writes
 * FAKE_STDERR_LINES lines to stderr and exits FAKE_EXIT when they are set.
 */
function fakeKubectl(): { binary: string; calls: () => string[][] } {
  const dir = tempDir('sm-cluster-');
  const binary = join(dir, 'kubectl');
  writeFileSync(
    binary,
    `#!/bin/sh
printf '%s\\n' "$*" >> "${dir}/calls.log"
echo out
i=1; while [ "$i" -le "\${FAKE_STDERR_LINES:-0}" ]; do echo "line $i" >&2; i=$((i + 1)); done
exit "\${FAKE_EXIT:-0}"
`,
  );
  chmodSync(binary, 0o755);
  return { binary, calls: () => readFileSync(join(dir, 'calls.log'), 'utf8').trim().split('\n').map((l) => l.split(' ')) };
}

describe('Cluster', () => {
  const spec = specOf(VALID_YAML);
  afterEach(() => {
    delete process.env.FAKE_EXIT;
    delete process.env.FAKE_STDERR_LINES;
  });

  it("runs kubectl in the deployment's namespace, with the given kubeconfig and context first", () => {
    const fake = fakeKubectl();
    const cluster = new Cluster(spec, { kubectl: fake.binary, kubeconfig: '/k/config', context: 'prod' });
    expect(cluster.ns).toBe('matrix-ministry');
    expect(cluster.kubectl(['get', 'pods'], 'listing')).toBe('out\n');
    new Cluster(spec, { kubectl: fake.binary }).scale('deployment', 'synapse', 0);
    expect(fake.calls()).toEqual([
      ['--kubeconfig', '/k/config', '--context', 'prod', '--namespace', 'matrix-ministry', 'get', 'pods'],
      ['--namespace', 'matrix-ministry', 'scale', 'deployment/synapse', '--replicas=0'],
    ]);
  });

  it("execs the agent in the backup sidecar of the kind's pod", () => {
    const fake = fakeKubectl();
    const cluster = new Cluster(spec, { kubectl: fake.binary });
    expect(cluster.agentTarget('postgres')).toBe('statefulset/postgres');
    expect(cluster.agentTarget('files')).toBe('deployment/synapse');
    cluster.agent('files', ['list'], 'listing');
    expect(fake.calls()[0]).toEqual(['--namespace', 'matrix-ministry', 'exec', 'deployment/synapse', '-c', 'backup', '--', 'sh', '/backup/backup-agent.sh', 'files', 'list']);
  });

  it('waits for the pods of a component by its selector labels', () => {
    const fake = fakeKubectl();
    new Cluster(spec, { kubectl: fake.binary }).waitGone('mas', 60);
    expect(fake.calls()[0].slice(2)).toEqual(['wait', '--for=delete', 'pod', '--selector', 'app.kubernetes.io/name=mas,app.kubernetes.io/instance=ministry', '--timeout=60s']);
  });

  it('hands every stderr line to onLog, and reports a failure with what it was doing and the last 15 lines', () => {
    const fake = fakeKubectl();
    const cluster = new Cluster(spec, { kubectl: fake.binary });
    process.env.FAKE_STDERR_LINES = '2';
    const logged: string[] = [];
    cluster.kubectl(['get', 'pods'], 'listing', { onLog: (l) => logged.push(l) });
    expect(logged).toEqual(['line 1', 'line 2']);

    process.env.FAKE_STDERR_LINES = '20';
    process.env.FAKE_EXIT = '1';
    let error: unknown;
    try {
      cluster.scale('statefulset', 'postgres', 1);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ClusterError);
    expect((error as ClusterError).message).toBe('scaling statefulset/postgres to 1 failed (exit 1)');
    expect((error as ClusterError).detail.split('\n')).toEqual(Array.from({ length: 15 }, (_, i) => `line ${i + 6}`));
  });

  it('says how to get kubectl when it is missing', () => {
    const cluster = new Cluster(spec, { kubectl: join(tempDir(), 'no-kubectl') });
    expect(() => cluster.kubectl(['version'], 'asking')).toThrow(KubectlMissing);
    expect(() => cluster.kubectl(['version'], 'asking')).toThrow(/no-kubectl not found: the backup commands run kubectl \(install it, or set KUBECTL to its path\)/);
  });

  it('takes kubectl from $KUBECTL when not given', () => {
    const fake = fakeKubectl();
    const saved = process.env.KUBECTL;
    process.env.KUBECTL = fake.binary;
    try {
      new Cluster(spec, {}).deletePod('synapse-abc');
    } finally {
      if (saved === undefined) delete process.env.KUBECTL;
      else process.env.KUBECTL = saved;
    }
    expect(fake.calls()[0].slice(2)).toEqual(['delete', 'pod', 'synapse-abc', '--wait=true']);
  });
});
