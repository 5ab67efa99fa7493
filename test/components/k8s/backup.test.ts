import { Backup, backupAgent, BACKUP_CONTAINER, BACKUP_SECRET } from '../../../src/components/k8s/backup';
import { AppsContext } from '../../../src/components/k8s/apps-context';
import { specOf, VALID_YAML } from '../../helpers';
import { componentObjects, type Json } from './helpers';

describe('backup agent', () => {
  const context = new AppsContext(specOf(VALID_YAML), {});
  const data = [{ name: 'data', mountPath: '/data' }];

  it('restores first, then runs as a sidecar with the pod user, its data and the bucket credentials', () => {
    const parts = backupAgent(context, 'files', 991, data);
    expect(parts.restore.map((c) => c.name)).toEqual(['restore']);
    expect(parts.sidecar.map((c) => [c.name, c.restartPolicy])).toEqual([[BACKUP_CONTAINER, 'Always']]);
    for (const c of [...parts.restore, ...parts.sidecar]) {
      expect(c.image).toBe(context.image.restic);
      expect(c.securityContext).toMatchObject({ runAsUser: 991, readOnlyRootFilesystem: true });
      expect(c.volumeMounts).toEqual(expect.arrayContaining(data));
      expect(c.env!.filter((e) => e.valueFrom).every((e) => (e.valueFrom as Json).secretKeyRef.name === BACKUP_SECRET)).toBe(true);
    }
    expect(parts.restore[0].command).toEqual(['sh', '/backup/backup-agent.sh', 'files', 'restore-pending']);
    expect(parts.digest).toBe(context.configDigest('backup'));
  });

  it('uses the pgBackRest image for PostgreSQL', () => {
    expect(backupAgent(context, 'postgres', 999, data).sidecar[0].image).toBe(context.image.pgbackrest);
  });

  it('adds nothing when backups are off', () => {
    const off = new AppsContext(specOf(`${VALID_YAML}backup:\n  enabled: false\n`), {});
    expect(backupAgent(off, 'files', 991, data)).toEqual({ restore: [], sidecar: [], volumes: [], configMounts: [], digest: '' });
    expect(componentObjects(off.spec, (scope, ctx) => new Backup(scope, 'backup', { context: ctx })).objects).toEqual([]);
  });

  it('publishes the rendered agent as the backup-config ConfigMap', () => {
    const { objects } = componentObjects(specOf(VALID_YAML), (scope, ctx) => new Backup(scope, 'backup', { context: ctx }));
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['ConfigMap/backup-config']);
    expect(Object.keys(objects[0].data)).toContain('backup-agent.sh');
  });
});
