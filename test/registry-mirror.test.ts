import { Construct } from 'constructs';
import { KubeObject } from '../src/components/k8s/kube-object';
import { MatrixApps } from '../src/components/k8s/matrix-apps';
import { images } from '../src/versions';
import { problemsOf, specOf, VALID_YAML } from './helpers';

/** Every container image of the apps layer's workloads. */
function podImages(yaml: string): string[] {
  const spec = specOf(yaml);
  const apps = new MatrixApps(new Construct(undefined as unknown as Construct, 'test'), 'apps', { spec, inputs: { turnPublicIpv4: '203.0.113.7' } });
  return KubeObject.all(apps)
    .filter((o) => o.isWorkload)
    .flatMap((o) => {
      const pod = (o.data as any).spec.template.spec;
      return [...(pod.initContainers ?? []), ...pod.containers].map((c: { image: string }) => c.image);
    });
}

describe('registry_mirror', () => {
  const MIRROR = 'harbor.ministry.example.eu:8443/mirror';

  it('pulls every image of the apps layer through the mirror, under its upstream path', () => {
    const upstream = podImages(VALID_YAML);
    const mirrored = podImages(`${VALID_YAML}registry_mirror: ${MIRROR}\n`);
    expect(mirrored).toEqual(upstream.map((ref) => `${MIRROR}/${ref}`));
    expect(new Set(mirrored).size).toBeGreaterThanOrEqual(6);
    expect(Object.values(images(specOf(VALID_YAML).versions, MIRROR)).every((ref) => ref.startsWith(`${MIRROR}/`))).toBe(true);
  });

  it('refuses a URL or a trailing slash, at its line', () => {
    expect(problemsOf(`${VALID_YAML}registry_mirror: https://harbor.example.eu/mirror\n`)).toEqual([expect.stringMatching(/:\d+:18: registry_mirror: .*a registry host with an optional port and path/)]);
    expect(problemsOf(`${VALID_YAML}registry_mirror: harbor.example.eu/\n`)).toHaveLength(1);
  });
});
