import { legacyIdentity, manifestIdentity, objectIdentity } from '../../../src/components/k8s/terraform-identity';

describe('identity of a Kubernetes object in Terraform', () => {
  it('reads a kubernetes_manifest block', () => {
    const manifest = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'synapse', namespace: 'matrix-ministry', labels: { a: 'b' } } };
    expect(manifestIdentity({ manifest })).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'matrix-ministry', name: 'synapse' });
    expect(manifestIdentity({ manifest: { ...manifest, metadata: { name: 'x' } } })).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'x' });
  });

  it('is undefined for anything that is not an object with apiVersion, kind and name', () => {
    expect(manifestIdentity(null)).toBeUndefined();
    expect(manifestIdentity([])).toBeUndefined();
    expect(objectIdentity({ kind: 'Namespace', metadata: { name: 'x' } })).toBeUndefined();
    expect(objectIdentity({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 3 } })).toBeUndefined();
    expect(objectIdentity({ apiVersion: 'v1', kind: 'Namespace' })).toBeUndefined();
  });

  it("reads kit 0.1's typed resources, whose metadata is a block list, defaulting the namespace", () => {
    expect(legacyIdentity('kubernetes_deployment_v1', { metadata: [{ name: 'synapse', namespace: 'matrix-ministry' }] })).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: 'matrix-ministry',
      name: 'synapse',
    });
    expect(legacyIdentity('kubernetes_config_map_v1', { metadata: { name: 'c' } })).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'c' });
    expect(legacyIdentity('kubernetes_namespace_v1', { metadata: [{ name: 'matrix-ministry' }] })).toEqual({ apiVersion: 'v1', kind: 'Namespace', name: 'matrix-ministry' });
    expect(legacyIdentity('kubernetes_cron_job_v1', { metadata: [{ name: 'x' }] })).toBeUndefined();
    expect(legacyIdentity('kubernetes_secret_v1', { metadata: [] })).toBeUndefined();
  });
});
