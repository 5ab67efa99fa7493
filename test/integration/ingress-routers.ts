/**
 * Traefik's kubernetesingress provider, translated mechanically for the integration tests that run
 * real Traefik without a Kubernetes API server (test/integration/ingress.test.ts,
 * test/integration/synapse-workers.test.ts): the synthesized Ingress becomes the file provider's
 * dynamic configuration. See ingress.test.ts's header for what it translates and what not.
 */

export const ANNOTATION = 'traefik.ingress.kubernetes.io/';

export interface IngressPath {
  path: string;
  pathType: string;
  backend: { service: { name: string; port: { number: number } } };
}
export interface IngressJson {
  metadata: { name: string; namespace: string; annotations: Record<string, string> };
  spec: { ingressClassName: string; rules: { host: string; http: { paths: IngressPath[] } }[]; tls: { hosts: string[] }[] };
}

/** Traefik's provider.Normalize: runs of characters other than letters and digits become one '-'. */
export function normalize(name: string): string {
  return name.split(/[^\p{L}\p{N}]+/u).filter(Boolean).join('-');
}

/**
 * The dynamic configuration Traefik's kubernetesingress provider builds from the Ingress
 * (loadRouter / loadService), with each Kubernetes service's endpoints replaced by `backendUrl`.
 */
export function ingressToDynamicConfig(ingress: IngressJson, backendUrl: (service: string) => string): object {
  const { annotations, namespace, name } = ingress.metadata;
  const known = [`${ANNOTATION}router.entrypoints`, `${ANNOTATION}router.tls`, `${ANNOTATION}router.tls.certresolver`];
  const unknown = Object.keys(annotations).filter((k) => !known.includes(k));
  if (unknown.length > 0) throw new Error(`the overlay does not translate the annotation(s) ${unknown.join(', ')}`);
  if (annotations[`${ANNOTATION}router.tls`] !== 'true') throw new Error('the Ingress routers are not TLS routers');
  const entryPoints = annotations[`${ANNOTATION}router.entrypoints`].split(',').map((e) => e.trim());
  const tls = { certResolver: annotations[`${ANNOTATION}router.tls.certresolver`] };
  const routers: Record<string, object> = {};
  const services: Record<string, object> = {};
  for (const rule of ingress.spec.rules) {
    for (const p of rule.http.paths) {
      if (p.pathType !== 'Prefix') throw new Error(`the overlay translates pathType Prefix only, not ${p.pathType}`);
      if (!/^[a-z0-9.-]+$/.test(rule.host) || !/^\/[A-Za-z0-9._/-]*$/.test(p.path)) throw new Error(`unexpected host or path ${rule.host}${p.path}`);
      const { name: serviceName, port } = p.backend.service;
      const service = normalize(`${namespace}-${serviceName}-${port.number}`);
      services[service] = { loadBalancer: { servers: [{ url: backendUrl(serviceName) }], passHostHeader: true } };
      const key = normalize(`${namespace}-${name}-${rule.host}${p.path}`);
      if (routers[key]) throw new Error(`two routers named ${key}`);
      // Go's %q, as the provider formats them; the host and path are plain ASCII (checked above).
      routers[key] = { rule: `Host(${JSON.stringify(rule.host)}) && PathPrefix(${JSON.stringify(p.path)})`, entryPoints, tls, service };
    }
  }
  return { http: { routers, services } };
}
