import { Postgres } from '../../../src/components/k8s/postgres';
import { CLUSTER_BACKUP_YAML, specOf, VALID_YAML } from '../../helpers';
import { componentObjects, find, type Json } from './helpers';

const build = (yaml: string) => componentObjects(specOf(yaml), (scope, context) => new Postgres(scope, 'postgres', { context }));

describe('Postgres', () => {
  it('is one StatefulSet replica on a ReadWriteOnce claim of 40 % of the volume, waited for on apply', () => {
    const { objects } = build(VALID_YAML.replace('    location: fsn1\n', '    location: fsn1\n    volume_size_gib: 100\n'));
    const set = find(objects, 'StatefulSet', 'postgres');
    expect(set.spec.replicas).toBe(1);
    expect(set.spec.volumeClaimTemplates).toEqual([{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'local-path', resources: { requests: { storage: '40Gi' } } } }]);
  });

  it('takes its superuser password from the Secret and initialises databases as Synapse needs them (UTF8, C)', () => {
    const env: Json[] = find(build(VALID_YAML).objects, 'StatefulSet', 'postgres').spec.template.spec.containers[0].env;
    expect(env).toEqual(
      expect.arrayContaining([
        { name: 'POSTGRES_PASSWORD', valueFrom: { secretKeyRef: { name: 'postgres-superuser', key: 'password' } } },
        { name: 'POSTGRES_INITDB_ARGS', value: '--encoding=UTF8 --locale=C' },
      ]),
    );
    expect(env.every((e) => e.name === 'POSTGRES_PASSWORD' ? e.value === undefined : true)).toBe(true);
  });

  it('archives WAL through the backup agent sidecar when backups are on, and runs plain without them', () => {
    const on = find(build(VALID_YAML).objects, 'StatefulSet', 'postgres').spec.template;
    expect(on.spec.containers[0].args[0]).toBe('postgres');
    expect(on.spec.containers[0].args).toEqual(expect.arrayContaining([expect.stringMatching(/^archive_command=/)]));
    expect(on.spec.initContainers.map((c: Json) => c.name)).toEqual(['restore', 'backup']);
    expect(on.metadata.annotations['sovereign-matrix/backup-digest']).toMatch(/^[0-9a-f]{16}$/);

    const off = find(build(`${VALID_YAML}backup:\n  enabled: false\n`).objects, 'StatefulSet', 'postgres').spec.template;
    expect(off.spec.containers[0].args).toBeUndefined();
    expect(off.spec.initContainers).toBeUndefined();
    expect(off.metadata.annotations).toBeUndefined();
  });

  it("uses the cluster's StorageClass on an existing cluster", () => {
    const k8s = VALID_YAML.replace(/target:\n(  .*\n)+/, 'target:\n  kubernetes:\n    context: prod\n    storage_class: fast\n') + CLUSTER_BACKUP_YAML;
    expect(find(build(k8s).objects, 'StatefulSet', 'postgres').spec.volumeClaimTemplates[0].spec.storageClassName).toBe('fast');
  });

  it('serves 5432 and publishes the rendered init scripts for the other components', () => {
    const { objects } = build(VALID_YAML);
    expect(find(objects, 'Service', 'postgres').spec.ports).toEqual([{ name: 'main', port: 5432, targetPort: 5432, protocol: 'TCP' }]);
    expect(Object.keys(find(objects, 'ConfigMap', 'postgres-config').data)).toContain('init-synapse.sql');
  });
});
