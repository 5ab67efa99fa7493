import { Construct } from 'constructs';
import {
  containerSecurityContext,
  POD_DEFAULTS,
  podSecurityContext,
  resources,
} from './workload';
import { ELEMENT_WEB_ROOT, WELL_KNOWN_ROOT } from '../../render/web-server';
import { PORTS } from '../../ports';

import { type AppsContext, UID } from './apps-context';

/** Where unprivileged nginx images read their server block; ours replaces the image's. */
const NGINX_SERVER_BLOCK = '/etc/nginx/conf.d/default.conf';

/** The two static sites: which rendered file goes where in the container. */
const SITES = {
  'element-web': { port: PORTS.elementWeb, files: { 'config.json': `${ELEMENT_WEB_ROOT}/config.json` } },
  'well-known': {
    port: PORTS.wellKnown,
    files: { 'server.json': `${WELL_KNOWN_ROOT}/server.json`, 'client.json': `${WELL_KNOWN_ROOT}/client.json` },
  },
} as const;

/**
 * An nginx-based static site (Element Web, the well-known server): the image's content plus the
 * rendered files, served with the rendered server block (src/render/web-server.ts). The image's
 * start-up scripts cannot rewrite the server block: conf.d stays on the read-only root filesystem.
 */
export interface StaticSiteProps {
  /** The deployment's context. */
  readonly context: AppsContext;
  /** Which site: its rendered files, port and component name. */
  readonly site: keyof typeof SITES;
  /** The nginx-based image that serves it. */
  readonly image: string;
}

export class StaticSite extends Construct {
  constructor(scope: Construct, id: string, props: StaticSiteProps) {
    super(scope, id);
    const { context: ctx, site: component, image } = props;
    const { port, files } = SITES[component];
    const config = ctx.configMap(this, component);
    ctx.service(this, component, port);
    ctx.deployment(this, component, { digest: config.digest }, {
      ...POD_DEFAULTS,
      securityContext: podSecurityContext(UID.nginx),
      containers: [
        {
          name: component,
          image,
          ports: [{ name: 'http', containerPort: port }],
          resources: resources({ cpu: 0.05, memoryGiB: 0.0625 }),
          securityContext: containerSecurityContext(UID.nginx),
          volumeMounts: [
            { name: 'config', mountPath: NGINX_SERVER_BLOCK, subPath: 'nginx.conf', readOnly: true },
            ...Object.entries(files).map(([subPath, mountPath]) => ({ name: 'config', mountPath, subPath, readOnly: true })),
            { name: 'tmp', mountPath: '/tmp' },
            { name: 'cache', mountPath: '/var/cache/nginx' },
            { name: 'run', mountPath: '/var/run' },
          ],
          readinessProbe: { httpGet: { path: '/healthz', port }, periodSeconds: 10 },
          livenessProbe: { httpGet: { path: '/healthz', port }, periodSeconds: 30 },
        },
      ],
      volumes: [
        { name: 'config', configMap: { name: config.name } },
        { name: 'tmp', emptyDir: {} },
        { name: 'cache', emptyDir: {} },
        { name: 'run', emptyDir: {} },
      ],
    });
  }
}
