/** Readers of the platform (src/docs/facts/platform.ts): the node, its cloud-init and Traefik's HelmChartConfig. */
import { acmeServerOf, cloudInitUrls, hetznerServer, k3sVersionOf, traefikArgument, traefikConfig } from '../../../src/docs/facts/platform';
import { synthesizeForDocs } from '../../../src/docs/read-back';
import { specOf, VALID_YAML } from '../../helpers';
import { alter, generated, manifests } from './helpers';

describe('the platform of a Hetzner deployment', () => {
  const spec = specOf(VALID_YAML);
  const synth = synthesizeForDocs(spec);

  it('finds the node and the k3s release in its cloud-init', () => {
    expect(hetznerServer(synth)?.address).toBe('hcloud_server.node');
    expect(k3sVersionOf(synth)).toBe(spec.versions.k3s);
  });

  it('lists each https URL of the cloud-init once: the k3s installer of the pinned release', () => {
    const urls = cloudInitUrls(synth);
    expect(urls).toContain(`https://raw.githubusercontent.com/k3s-io/k3s/${spec.versions.k3s}/install.sh`);
    expect(new Set(urls).size).toBe(urls.length);
  });

  it('reads the ACME directory and contact from Traefik’s arguments in the HelmChartConfig', () => {
    expect(traefikConfig(synth)?.resource.name).toBe('traefik');
    expect(acmeServerOf(synth)).toBe(spec.tls.acmeServer);
    expect(traefikArgument(synth, 'acme.email')).toBe('ops@ministry.example.eu');
    expect(traefikArgument(synth, 'no.such.argument')).toBeUndefined();
  });

  it('follows the HelmChartConfig in the JSON', () => {
    const changed = alter(synth, (stacks) => {
      const m = Object.values(manifests(stacks)).find((o) => o.manifest.kind === 'HelmChartConfig')!.manifest;
      const values = JSON.parse(m.spec.valuesContent);
      values.additionalArguments = values.additionalArguments.map((a: string) => a.replace(spec.tls.acmeServer, 'https://acme.other-ca.eu/dir'));
      m.spec.valuesContent = JSON.stringify(values);
    });
    expect(acmeServerOf(changed)).toBe('https://acme.other-ca.eu/dir');
  });
});

describe('the platform of an existing cluster', () => {
  it('has no node, no k3s, no cloud-init URL and no Traefik configuration', () => {
    const { synth } = generated('deployments/agency-kubernetes.yaml');
    expect(hetznerServer(synth)).toBeUndefined();
    expect(k3sVersionOf(synth)).toBeUndefined();
    expect(cloudInitUrls(synth)).toEqual([]);
    expect(traefikConfig(synth)).toBeUndefined();
    expect(acmeServerOf(synth)).toBeUndefined();
  });
});
