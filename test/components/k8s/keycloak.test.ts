import { Keycloak } from '../../../src/components/k8s/keycloak';
import { specOf, VALID_YAML } from '../../helpers';
import { componentObjects, find, type Json } from './helpers';

describe('Keycloak', () => {
  const objects = componentObjects(specOf(`${VALID_YAML}identity:\n  mode: keycloak\n`), (scope, context) => new Keycloak(scope, 'keycloak', { context })).objects;
  const deployment = find(objects, 'Deployment', 'keycloak');
  const pod = deployment.spec.template.spec;
  const keycloak = pod.containers.find((c: Json) => c.name === 'keycloak');

  it('serves only its HTTP port; the management port is for the probes', () => {
    expect(find(objects, 'Service', 'keycloak').spec.ports.map((p: Json) => p.port)).toEqual([8080]);
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) expect(keycloak[probe].httpGet.port).toBe(9000);
  });

  it('is the one container with a writable root, and still non-root without privilege', () => {
    expect(keycloak.securityContext).toMatchObject({ readOnlyRootFilesystem: false, runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    const reconcile = pod.containers.find((c: Json) => c.name === 'realm-reconcile');
    expect(reconcile.securityContext.readOnlyRootFilesystem).toBe(true);
  });

  it('takes the admin and MAS client credentials from Secrets, and runs one replica at a time', () => {
    const fromSecrets = keycloak.env.map((e: Json) => `${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}`);
    expect(fromSecrets.sort()).toEqual(['keycloak-admin/password', 'keycloak-admin/username', 'keycloak-database/password', 'keycloak-mas-client/secret']);
    expect(deployment.spec.strategy).toEqual({ type: 'Recreate' });
    expect(pod.initContainers.map((c: Json) => c.name)).toEqual(['database']);
  });

  it('keeps the realm reconciler’s state in memory, bounded', () => {
    expect(pod.volumes.find((v: Json) => v.name === 'realm-reconcile').emptyDir).toEqual({ medium: 'Memory', sizeLimit: '1Mi' });
  });
});
