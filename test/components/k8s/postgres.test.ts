import { Postgres } from '../../../src/components/k8s/postgres';
import { postgresConnectionBudget, postgresMaxConnections } from '../../../src/render/postgres';
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

  it('serves 5432 first, then postgres_exporter, and publishes the rendered init scripts for the other components', () => {
    const { objects } = build(VALID_YAML);
    expect(find(objects, 'Service', 'postgres').spec.ports).toEqual([
      { name: 'main', port: 5432, targetPort: 5432, protocol: 'TCP' },
      { name: 'metrics', port: 9187, targetPort: 9187, protocol: 'TCP' },
    ]);
    expect(Object.keys(find(objects, 'ConfigMap', 'postgres-config').data)).toEqual(expect.arrayContaining(['init-synapse.sql', 'init-metrics.sql', 'exporter-queries.yaml']));
  });

  describe('postgres_exporter sidecar', () => {
    const template = (yaml: string) => find(build(yaml).objects, 'StatefulSet', 'postgres').spec.template;
    const on = template(VALID_YAML);
    const exporter = on.spec.containers.find((c: Json) => c.name === 'metrics');

    it('runs the pinned image as the metrics role over the shared socket directory, with no password', () => {
      expect(exporter.image).toBe('docker.io/prometheuscommunity/postgres-exporter:v0.18.1');
      expect(exporter.env).toEqual([{ name: 'DATA_SOURCE_NAME', value: 'host=/var/run/postgresql user=metrics dbname=postgres sslmode=disable' }]);
      expect(exporter.ports).toEqual([{ name: 'metrics', containerPort: 9187 }]);
      const postgres = on.spec.containers.find((c: Json) => c.name === 'postgres');
      const socket = postgres.volumeMounts.find((m: Json) => m.mountPath === '/var/run/postgresql');
      expect(exporter.volumeMounts).toContainEqual({ name: socket.name, mountPath: '/var/run/postgresql', readOnly: true });
    });

    it('is hardened like every container, as its own user, with small resources, and mounts nothing of the data volume', () => {
      expect(exporter.securityContext).toEqual({
        runAsNonRoot: true,
        runAsUser: 65534,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        privileged: false,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(exporter.resources).toEqual({ requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '128Mi' } });
      expect(exporter.volumeMounts.map((m: Json) => m.name)).not.toContain('data');
      expect(exporter.volumeMounts.every((m: Json) => m.readOnly === true)).toBe(true);
    });

    it('reads the backup queries only with backups on; a change of them restarts the pod', () => {
      expect(exporter.args).toEqual(['--web.listen-address=:9187', '--collector.stat_checkpointer', '--collector.postmaster', '--extend.query-path=/etc/postgres-exporter/exporter-queries.yaml']);
      expect(on.spec.volumes).toContainEqual({ name: 'exporter-queries', configMap: { name: 'postgres-config', items: [{ key: 'exporter-queries.yaml', path: 'exporter-queries.yaml' }] } });
      expect(on.metadata.annotations['sovereign-matrix/exporter-digest']).toMatch(/^[0-9a-f]{16}$/);
      const off = template(`${VALID_YAML}backup:\n  enabled: false\n`);
      const offExporter = off.spec.containers.find((c: Json) => c.name === 'metrics');
      expect(offExporter.args).toEqual(['--web.listen-address=:9187', '--collector.stat_checkpointer', '--collector.postmaster']);
      expect(offExporter.volumeMounts.map((m: Json) => m.name)).toEqual(['run']);
      expect(off.spec.volumes.map((v: Json) => v.name)).not.toContain('exporter-queries');
    });
  });
});

describe('PostgreSQL max_connections', () => {
  it('holds every Synapse process’s pool with workers, and stays at the default without', () => {
    const args = (spec: ReturnType<typeof specOf>) => {
      const pod = find(componentObjects(spec, (scope, context) => new Postgres(scope, 'postgres', { context })).objects, 'StatefulSet', 'postgres').spec.template.spec;
      return (pod.containers[0].args ?? []) as string[];
    };
    const large = specOf(`${VALID_YAML}size: large\n`);
    expect(args(large)).toContain(`max_connections=${postgresMaxConnections(large)}`);
    const pools = postgresConnectionBudget(large).reduce((sum, use) => sum + use.connections, 0);
    expect(postgresMaxConnections(large)).toBeGreaterThanOrEqual(pools);
    expect(args(specOf(VALID_YAML)).join(' ')).not.toContain('max_connections');
  });
});
