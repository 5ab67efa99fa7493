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

  it('exposes only its client port as a Service (metrics stay in the pod)', () => {
    expect(find(objects, 'Service', 'synapse').spec.ports.map((p: Json) => p.port)).toEqual([8008]);
  });

  it('restarts when its rendered configuration changes', () => {
    const other = find(build(VALID_YAML.replace('admin_contact: ops@', 'admin_contact: it@')).objects, 'Deployment', 'synapse');
    expect(other.spec.template.metadata.annotations['sovereign-matrix/config-digest']).not.toBe(deployment.spec.template.metadata.annotations['sovereign-matrix/config-digest']);
  });
});
