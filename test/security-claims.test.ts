/**
 * What docs/security-model.md and the deployment docs promise about the workloads, checked on the
 * objects every example deployment really produces, so the prose and the code cannot disagree.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Construct } from 'constructs';
import { KubeObject } from '../src/components/k8s/kube-object';
import { MatrixApps } from '../src/components/k8s/matrix-apps';
import { loadDeploymentFile } from '../src/config/load';

const ROOT = join(__dirname, '..');
const FILES = [
  ...readdirSync(join(ROOT, 'deployments')).map((f) => join('deployments', f)),
  ...readdirSync(join(ROOT, 'docs', 'reference-architectures')).filter((f) => f.endsWith('.yaml')).map((f) => join('docs', 'reference-architectures', f)),
];

describe.each(FILES)('%s', (file) => {
  const spec = loadDeploymentFile(join(ROOT, file));
  const apps = new MatrixApps(new Construct(undefined as unknown as Construct, 'test'), 'apps', { spec, inputs: { turnPublicIpv4: '192.0.43.10' } });
  const objects = KubeObject.all(apps).map((o) => o.data as any);
  const workloads = objects.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet');

  it('runs every container non-root, without privilege escalation or capabilities, under RuntimeDefault seccomp, read-only but for Keycloak', () => {
    expect(workloads.length).toBeGreaterThanOrEqual(5);
    const writable: string[] = [];
    for (const w of workloads) {
      const pod = w.spec.template.spec;
      for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
        const where = `${w.kind} ${w.metadata.name} container ${c.name}`;
        if (c.securityContext.readOnlyRootFilesystem !== true) writable.push(where);
        expect({ where, ...c.securityContext }).toMatchObject({
          where,
          runAsNonRoot: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        });
      }
      expect({ workload: w.metadata.name, token: pod.automountServiceAccountToken }).toEqual({ workload: w.metadata.name, token: false });
    }
    // The one exception the docs name (docs/security-model.md, docs/deploying.md).
    expect(writable).toEqual(spec.identity.mode === 'keycloak' ? ['Deployment keycloak container keycloak'] : []);
  });

  it('enforces the restricted Pod Security level in the deployment namespace, and denies all traffic by default', () => {
    const ns = objects.find((o) => o.kind === 'Namespace' && o.metadata.name === `matrix-${spec.name}`);
    expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    const deny = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'default-deny');
    expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
  });

  it('lets the backup agents out only to the bucket’s port on public addresses', () => {
    const egress = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'allow-backup-egress');
    if (!spec.backup.enabled) {
      expect(egress).toBeUndefined();
      return;
    }
    const port = Number(new URL(spec.backup.s3.endpoint).port || 443);
    expect(egress.spec.egress).toHaveLength(1);
    expect(egress.spec.egress[0].ports).toEqual([{ port, protocol: 'TCP' }]);
    for (const peer of egress.spec.egress[0].to) expect(peer.ipBlock.except).toEqual(expect.arrayContaining(peer.ipBlock.cidr === '0.0.0.0/0' ? ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] : ['fc00::/7']));
  });
});
