import { Construct } from 'constructs';
import { AppsContext } from '../../../src/components/k8s/apps-context';
import { namespaceName } from '../../../src/render/namespace';
import { KubeObject } from '../../../src/components/k8s/kube-object';
import { renderAll } from '../../../src/render';
import { CLUSTER_BACKUP_YAML, specOf, VALID_YAML } from '../../helpers';

const K8S = VALID_YAML.replace(/target:\n(  .*\n)+/, 'target:\n  kubernetes:\n    context: prod\n    storage_class: fast-ssd\n') + CLUSTER_BACKUP_YAML;

describe('AppsContext', () => {
  it('works in the namespace matrix-<deployment>', () => {
    const spec = specOf(VALID_YAML);
    expect(namespaceName(spec)).toBe('matrix-ministry');
    expect(new AppsContext(spec, {}).ns).toBe('matrix-ministry');
  });

  it('gives the rendered files of one service by file name, and refuses a service with none', () => {
    const spec = specOf(VALID_YAML);
    const context = new AppsContext(spec, {});
    const synapse = renderAll(spec).filter((f) => f.path.startsWith('synapse/'));
    expect(Object.keys(context.renderedFiles('synapse')).sort()).toEqual(synapse.map((f) => f.path.slice('synapse/'.length)).sort());
    expect(context.renderedFiles('synapse')['homeserver.yaml']).toBe(synapse.find((f) => f.path === 'synapse/homeserver.yaml')!.content);
    expect(() => context.renderedFiles('nothing')).toThrow('nothing rendered for nothing');
  });

  it('makes a <service>-config ConfigMap whose digest changes when a rendered file does', () => {
    const scope = new Construct(undefined as unknown as Construct, 'test');
    const context = new AppsContext(specOf(VALID_YAML), {});
    const { name, digest } = context.configMap(scope, 'synapse');
    expect(name).toBe('synapse-config');
    const [map] = KubeObject.all(scope);
    expect(map.key).toBe('configmap_matrix-ministry_synapse-config');
    expect((map.data as { data: Record<string, string> }).data).toEqual(context.renderedFiles('synapse'));
    expect(digest).toMatch(/^[0-9a-f]{16}$/);
    expect(context.configDigest('synapse')).toBe(digest);
    const other = new AppsContext(specOf(VALID_YAML.replace('admin_contact: ops@', 'admin_contact: it@')), {});
    expect(other.configDigest('synapse')).not.toBe(digest);
  });

  it('refuses to configure TURN without the public address of its node', () => {
    expect(() => new AppsContext(specOf(VALID_YAML), {}).turnPublicIpv4).toThrow('TURN needs the public IPv4 address of its node');
    expect(new AppsContext(specOf(VALID_YAML), { turnPublicIpv4: '192.0.43.10' }).turnPublicIpv4).toBe('192.0.43.10');
  });

  it("takes volumes from k3s's local-path on Hetzner, from the deployment's StorageClass on a cluster", () => {
    expect(new AppsContext(specOf(VALID_YAML), {}).storageClass).toBe('local-path');
    expect(new AppsContext(specOf(K8S), {}).storageClass).toBe('fast-ssd');
    expect(new AppsContext(specOf(K8S.replace('    storage_class: fast-ssd\n', '')), {}).storageClass).toBeUndefined();
  });

  it('splits the volume budget in whole GiB, at least 1', () => {
    const spec = specOf(VALID_YAML.replace('    location: fsn1\n', '    location: fsn1\n    volume_size_gib: 100\n'));
    const context = new AppsContext(spec, {});
    expect(context.volumeGiB(0.4)).toBe(40);
    expect(context.volumeGiB(0.5)).toBe(50);
    expect(context.volumeGiB(0.333)).toBe(33);
    expect(context.volumeGiB(0.001)).toBe(1);
  });

  it('runs database init scripts as the superuser, with the role password from its Secret, hardened', () => {
    const context = new AppsContext(specOf(VALID_YAML), {});
    const { volume, container } = context.databaseInit('mas-init.sql', 'mas_password', 'mas-database', 65532);
    expect(volume).toEqual({ name: 'postgres-init', configMap: { name: 'postgres-config', items: [{ key: 'mas-init.sql', path: 'mas-init.sql' }] } });
    expect(container.command).toEqual(expect.arrayContaining(['-v', 'ON_ERROR_STOP=1', '-v', 'mas_password=$(ROLE_PASSWORD)', '-U', 'postgres', '-f', '/init/mas-init.sql']));
    expect(container.env).toEqual([
      { name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: 'postgres-superuser', key: 'password' } } },
      { name: 'ROLE_PASSWORD', valueFrom: { secretKeyRef: { name: 'mas-database', key: 'password' } } },
    ]);
    expect(container.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, readOnlyRootFilesystem: true });
    expect(container.image).toBe(context.image.postgres);
  });
});
