import { kubeObjects, resourcesOf, type FoundKubeObject, type FoundResource, type Synthesized } from '../read-back';

/*
 * Readers of the platform under the workloads, shared by several fact families: the node (a
 * Hetzner server or an OpenStack instance) and its cloud-init (k3s release, installer URLs), and
 * the HelmChartConfig k3s configures Traefik with (ACME directory and contact, entry points).
 */

/** The node's hcloud_server resource; undefined on an existing cluster (target kubernetes). */
export function hetznerServer(synth: Synthesized): FoundResource | undefined {
  return resourcesOf(synth, 'hcloud_server')[0];
}

/** The node's OpenStack instance; undefined on other targets. */
export function openstackServer(synth: Synthesized): FoundResource | undefined {
  return resourcesOf(synth, 'openstack_compute_instance_v2')[0];
}

/** The k3s node the kit builds, on whichever cloud; undefined on an existing cluster. */
export function nodeServer(synth: Synthesized): FoundResource | undefined {
  return hetznerServer(synth) ?? openstackServer(synth);
}

/** The k3s release the node installs, read from the server's cloud-init in the JSON. */
export function k3sVersionOf(synth: Synthesized): string | undefined {
  const userData = nodeServer(synth)?.body.user_data as string | undefined;
  return userData?.match(/INSTALL_K3S_VERSION='([^']+)'/)?.[1];
}

/** Every https URL in the server's cloud-init. */
export function cloudInitUrls(synth: Synthesized): string[] {
  const userData = (nodeServer(synth)?.body.user_data as string | undefined) ?? '';
  return [...new Set(userData.match(/https:\/\/[^\s"'\\|]+/g) ?? [])];
}

/** The k3s HelmChartConfig that configures Traefik, with its values parsed. */
export function traefikConfig(synth: Synthesized): { resource: FoundKubeObject; values: Record<string, any> } | undefined {
  const resource = kubeObjects(synth, 'HelmChartConfig').find((m) => m.name === 'traefik');
  if (!resource) return undefined;
  return { resource, values: JSON.parse(resource.manifest.spec.valuesContent as string) as Record<string, any> };
}

/** The value of Traefik's `--<...>suffix=value` argument in the HelmChartConfig, if set. */
export function traefikArgument(synth: Synthesized, suffix: string): string | undefined {
  const args = (traefikConfig(synth)?.values.additionalArguments ?? []) as string[];
  const arg = args.find((a) => a.includes(`${suffix}=`));
  return arg?.slice(arg.indexOf(`${suffix}=`) + suffix.length + 1);
}

/** The ACME directory Traefik uses, read from the HelmChartConfig in the JSON. */
export function acmeServerOf(synth: Synthesized): string | undefined {
  return traefikArgument(synth, 'acme.caserver');
}
