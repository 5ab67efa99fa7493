import { Synapse } from '../../../src/components/k8s/synapse';
import { specOf, VALID_YAML } from '../../helpers';
import { componentObjects, find, type Json } from './helpers';

const build = (yaml: string) => componentObjects(specOf(yaml), (scope, context) => new Synapse(scope, 'synapse', { context }));

describe('Synapse', () => {
  const { objects } = build(VALID_YAML);
  const deployment = find(objects, 'Deployment', 'synapse');
  const pod = deployment.spec.template.spec;

  it('is one replica that stops before the next starts (one writer of its volume)', () => {
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.strategy).toEqual({ type: 'Recreate' });
    expect(find(objects, 'PersistentVolumeClaim', 'synapse-data').spec.accessModes).toEqual(['ReadWriteOnce']);
  });

  it('creates its database, restores a requested backup, then generates its signing key, before it starts', () => {
    expect(pod.initContainers.map((c: Json) => c.name)).toEqual(['database', 'restore', 'generate-keys', 'backup']);
    expect(pod.initContainers.find((c: Json) => c.name === 'generate-keys').command).toContain('--generate-keys');
  });

  it('reads its secrets from files and the database password from the environment, never from the config', () => {
    const synapse = pod.containers[0];
    expect(synapse.env).toEqual([{ name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: 'synapse-database', key: 'password' } } }]);
    const secretVolumes = pod.volumes.filter((v: Json) => v.secret).map((v: Json) => v.secret.secretName);
    expect(secretVolumes.sort()).toEqual(['mas-synapse-shared-secret', 'synapse-secrets', 'turn-shared-secret']);
    const off = find(build(`${VALID_YAML}calls:\n  turn: false\n`).objects, 'Deployment', 'synapse').spec.template.spec;
    expect(off.volumes.filter((v: Json) => v.secret).map((v: Json) => v.secret.secretName)).not.toContain('turn-shared-secret');
  });

  it('exposes its client port first, then its metrics listener for the scraper', () => {
    expect(find(objects, 'Service', 'synapse').spec.ports).toEqual([
      { name: 'main', port: 8008, targetPort: 8008, protocol: 'TCP' },
      { name: 'metrics', port: 9000, targetPort: 9000, protocol: 'TCP' },
    ]);
  });

  it("its database init container also (re)creates postgres_exporter's role, in the same psql session", () => {
    const pod = deployment.spec.template.spec;
    const init = pod.initContainers.find((c: Json) => c.name === 'database');
    const files = init.command.flatMap((arg: string, i: number) => (init.command[i - 1] === '-f' ? [arg] : []));
    expect(files).toEqual(['/init/init-synapse.sql', '/init/init-metrics.sql']);
    expect(pod.volumes.find((v: Json) => v.name === 'postgres-init').configMap.items.map((i: Json) => i.key)).toEqual(['init-synapse.sql', 'init-metrics.sql']);
  });

  it('restarts when its rendered configuration changes', () => {
    const other = find(build(VALID_YAML.replace('admin_contact: ops@', 'admin_contact: it@')).objects, 'Deployment', 'synapse');
    expect(other.spec.template.metadata.annotations['sovereign-matrix/config-digest']).not.toBe(deployment.spec.template.metadata.annotations['sovereign-matrix/config-digest']);
  });
});
