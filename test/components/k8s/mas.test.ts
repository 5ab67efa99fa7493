import { Mas } from '../../../src/components/k8s/mas';
import { specOf, VALID_YAML } from '../../helpers';
import { componentObjects, find, type Json } from './helpers';

const build = (yaml: string) => componentObjects(specOf(yaml), (scope, context) => new Mas(scope, 'mas', { context })).objects;
const OIDC = `${VALID_YAML}identity:\n  mode: oidc\n  oidc:\n    issuer: https://id.example.eu\n    client_id: matrix\n    client_secret_env: MINISTRY_OIDC_SECRET\n`;

describe('Mas', () => {
  const objects = build(VALID_YAML);
  const pod = find(objects, 'Deployment', 'mas').spec.template.spec;

  it('creates its database before it starts, with its own role', () => {
    expect(pod.initContainers.map((c: Json) => c.name)).toEqual(['database']);
    expect(pod.initContainers[0].env).toContainEqual({ name: 'ROLE_PASSWORD', valueFrom: { secretKeyRef: { name: 'mas-database', key: 'password' } } });
  });

  it('exposes its web listener first, then the internal one (health, metrics) for the scraper; health is probed there', () => {
    const service = find(objects, 'Service', 'mas');
    expect(service.spec.ports).toEqual([
      { name: 'web', port: 8080, targetPort: 8080, protocol: 'TCP' },
      { name: 'internal', port: 8081, targetPort: 8081, protocol: 'TCP' },
    ]);
    expect(pod.containers[0].readinessProbe.httpGet.port).toBe(8081);
    expect(pod.containers[0].livenessProbe.httpGet.port).toBe(8081);
  });

  it('reads every secret as a file from mas-secrets, the upstream client secret only with an upstream provider', () => {
    const keys = (p: Json) => p.volumes.filter((v: Json) => v.secret).flatMap((v: Json) => v.secret.items.map((i: Json) => `${v.secret.secretName}/${i.key}`));
    expect(keys(pod).sort()).toEqual(['mas-secrets/database-password', 'mas-secrets/encryption-key', 'mas-secrets/signing-key-rsa.pem', 'mas-secrets/synapse-shared-secret']);
    const oidc = find(build(OIDC), 'Deployment', 'mas').spec.template.spec;
    expect(keys(oidc)).toContain('mas-secrets/upstream-client-secret');
    expect(pod.containers[0].env.filter((e: Json) => e.valueFrom)).toEqual([]);
  });
});
