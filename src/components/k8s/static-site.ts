import {
  containerSecurityContext,
  POD_DEFAULTS,
  podSecurityContext,
  resources,
} from './workload';
import { WELL_KNOWN_ROOT } from '../../render/web-server';

import { type AppsContext, UID } from './apps-context';

/** An nginx-based static site (Element Web, the well-known server) with its rendered files. */
export function addStaticSite(
  ctx: AppsContext,
  component: string,
  image: string,
  service: string,
  mountPath: string,
  subPath: string | undefined,
  port: number,
  probePath: string,
  env: Record<string, string>,
): void {
  const config = ctx.configMap(service);
  const wellKnownFiles =
    component === 'well-known'
      ? [
          { name: 'config', mountPath: `${WELL_KNOWN_ROOT}/server.json`, subPath: 'server.json', readOnly: true },
          { name: 'config', mountPath: `${WELL_KNOWN_ROOT}/client.json`, subPath: 'client.json', readOnly: true },
          { name: 'config', mountPath: `${mountPath}/default.conf`, subPath: 'nginx.conf', readOnly: true },
        ]
      : [{ name: 'config', mountPath, subPath, readOnly: true }, { name: 'conf-d', mountPath: '/etc/nginx/conf.d' }];
  ctx.service(component, port);
  ctx.deployment(component, { digest: config.digest }, {
    ...POD_DEFAULTS,
    securityContext: podSecurityContext(UID.nginx),
    container: [
      {
        name: component,
        image,
        env: Object.entries(env).map(([name, value]) => ({ name, value })),
        port: [{ name: 'http', containerPort: port }],
        resources: resources({ cpu: 0.05, memoryGiB: 0.0625 }),
        securityContext: containerSecurityContext(UID.nginx),
        volumeMount: [
          ...wellKnownFiles,
          { name: 'tmp', mountPath: '/tmp' },
          { name: 'cache', mountPath: '/var/cache/nginx' },
          { name: 'run', mountPath: '/var/run' },
        ],
        readinessProbe: { httpGet: { path: probePath, port: String(port) }, periodSeconds: 10 },
        livenessProbe: { httpGet: { path: probePath, port: String(port) }, periodSeconds: 30 },
      },
    ],
    volume: [
      { name: 'config', configMap: { name: config.name } },
      { name: 'conf-d', emptyDir: {} },
      { name: 'tmp', emptyDir: {} },
      { name: 'cache', emptyDir: {} },
      { name: 'run', emptyDir: {} },
    ],
  });
}
