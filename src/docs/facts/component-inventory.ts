import { IMAGE_CATALOGUE, PLATFORM_CATALOGUE, splitImage, type SoftwareEntry } from '../catalogue';
import { dataSourcesOf, type Synthesized } from '../read-back';
import { k3sVersionOf, nodeServer, traefikConfig } from './platform';
import type { WorkloadFact } from './workloads';

/*
 * The bill of materials: every container image the workloads run, named by the kit catalogue,
 * plus what the Hetzner node installs itself (k3s, its bundled Traefik, the Debian image).
 */

export interface ComponentFact extends SoftwareEntry {
  readonly version: string;
  /** Full image reference, or how it is installed for non-image components. */
  readonly image: string;
  /** Where it is deployed (resource addresses). */
  readonly deployedBy: readonly string[];
}

export function components(synth: Synthesized, workloads: readonly WorkloadFact[]): ComponentFact[] {
  const byImage = new Map<string, string[]>();
  for (const w of workloads) {
    for (const image of w.images) byImage.set(image, [...(byImage.get(image) ?? []), `${w.kind} ${w.namespace}/${w.name}`]);
  }
  const rows: ComponentFact[] = [...byImage.entries()].map(([image, users]) => {
    const { repository: pulled, tag } = splitImage(image);
    // Through a registry mirror the catalogue still knows the image by its upstream path.
    const mirror = synth.spec.registryMirror;
    const repository = mirror && pulled.startsWith(`${mirror}/`) ? pulled.slice(mirror.length + 1) : pulled;
    const entry: SoftwareEntry = IMAGE_CATALOGUE[repository] ?? {
      key: repository,
      software: repository,
      role: 'not in the kit catalogue',
      licence: 'unknown: not in src/docs/catalogue.ts',
      upstream: '',
    };
    return { ...entry, version: tag.replace(/^v/, ''), image, deployedBy: users };
  });
  const server = nodeServer(synth);
  const k3s = k3sVersionOf(synth);
  if (server && k3s) {
    rows.push({
      ...PLATFORM_CATALOGUE.k3s,
      version: k3s,
      image: `install.sh of the release tag (cloud-init)`,
      deployedBy: [`${server.address} user_data`],
    });
    const traefik = traefikConfig(synth);
    rows.push({
      ...PLATFORM_CATALOGUE.traefik,
      version: `bundled with k3s ${k3s}`,
      image: 'chosen by the k3s release (kube-system/traefik)',
      deployedBy: ['k3s', ...(traefik ? [`${traefik.resource.address} (configuration)`] : [])],
    });
    // On OpenStack the image is looked up by name (data source), so its name is the version shown.
    const image = server.type === 'hcloud_server' ? String(server.body.image) : String(dataSourcesOf(synth, 'openstack_images_image_v2')[0]?.body.name ?? '?');
    rows.push({
      ...PLATFORM_CATALOGUE.debian,
      version: image,
      image: `${server.type === 'hcloud_server' ? 'Hetzner' : 'OpenStack'} image ${image}`,
      deployedBy: [server.address],
    });
  }
  return rows.sort((a, b) => a.software.localeCompare(b.software) || a.image.localeCompare(b.image));
}
