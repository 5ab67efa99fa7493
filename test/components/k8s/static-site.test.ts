import { StaticSite } from '../../../src/components/k8s/static-site';
import { specOf, VALID_YAML } from '../../helpers';
import { componentObjects, find, type Json } from './helpers';

describe('StaticSite', () => {
  const build = (site: 'element-web' | 'well-known') =>
    componentObjects(specOf(VALID_YAML), (scope, context) => new StaticSite(scope, site, { context, site, image: 'nginx:test' })).objects;

  it.each(['element-web', 'well-known'] as const)('%s serves its rendered files and server block read-only from its ConfigMap', (site) => {
    const objects = build(site);
    const config = find(objects, 'ConfigMap', `${site}-config`);
    const pod = find(objects, 'Deployment', site).spec.template.spec;
    const container = pod.containers[0];
    expect(container.image).toBe('nginx:test');
    const fromConfig = container.volumeMounts.filter((m: Json) => m.name === 'config');
    expect(fromConfig.every((m: Json) => m.readOnly === true)).toBe(true);
    expect(fromConfig.map((m: Json) => m.subPath).sort()).toEqual(Object.keys(config.data).sort());
    expect(fromConfig.find((m: Json) => m.subPath === 'nginx.conf').mountPath).toBe('/etc/nginx/conf.d/default.conf');
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(container.readinessProbe.httpGet.path).toBe('/healthz');
  });

  it('listens on 8080 as an unprivileged nginx', () => {
    for (const site of ['element-web', 'well-known'] as const) {
      const objects = build(site);
      expect(find(objects, 'Service', site).spec.ports[0].port).toBe(8080);
      expect(find(objects, 'Deployment', site).spec.template.spec.securityContext.runAsUser).toBe(101);
    }
  });
});
