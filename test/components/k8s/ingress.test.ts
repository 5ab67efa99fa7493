import { join } from 'node:path';
import { loadDeploymentFile } from '../../../src/config/load';
import { EXAMPLES, type Json, objects, ROOT, synth } from './helpers';

describe.each(EXAMPLES)('the ingress of %s', (file) => {
  const spec = loadDeploymentFile(join(ROOT, file));
  const json = synth(spec);

  it('routes only /_matrix and /_synapse/client to Synapse, never the admin API', () => {
    const ingress = Object.values(objects(json, 'Ingress'))[0];
    // With workers, the router in front of Synapse's processes (synapse-workers.test.ts).
    const front = spec.scale.workers.groups.length === 0 ? 'synapse' : 'synapse-router';
    const synapsePaths = ingress.spec.rules.flatMap((r: Json) => r.http.paths).filter((p: Json) => p.backend.service.name === front);
    expect(synapsePaths.map((p: Json) => p.path).sort()).toEqual(['/_matrix', '/_synapse/client']);
    expect(JSON.stringify(ingress)).not.toContain('/_synapse/admin');
    const hosts = [spec.hostnames.matrix, spec.hostnames.web, spec.hostnames.auth, spec.serverName];
    if (spec.identity.mode === 'keycloak') hosts.push(spec.hostnames.sso);
    if (spec.calls.group.enabled) hosts.push(spec.hostnames.rtc);
    expect(ingress.spec.rules.map((r: Json) => r.host).sort()).toEqual(hosts.sort());
  });

  it('never routes a metrics port or path (the Services now carry them for the scraper)', () => {
    const ingress = Object.values(objects(json, 'Ingress'))[0];
    const backends = ingress.spec.rules.flatMap((r: Json) => r.http.paths.map((p: Json) => ({ path: p.path, service: p.backend.service.name, port: p.backend.service.port.number })));
    // By number: 9000 (Synapse metrics), 8081 (MAS internal), 9187 (postgres_exporter); and the
    // Service postgres is never a backend at all.
    expect(backends.filter((b: Json) => [9000, 8081, 9187].includes(b.port) || b.service === 'postgres')).toEqual([]);
    expect(backends.filter((b: Json) => /metrics/.test(b.path))).toEqual([]);
    // Each backend is its Service's first (main) port, never a further one.
    const services = objects(json, 'Service');
    for (const b of backends) expect({ ...b, servicePort: services[b.service].spec.ports[0].port }).toEqual({ ...b, servicePort: b.port });
    // Traefik's own routes (TURN over TLS) go to coturn's TURN port only.
    const traefik = Object.values(objects(json, 'ConfigMap')).flatMap((c: Json) => Object.entries(c.data ?? {}).filter(([k]) => k.endsWith('.yaml') && c.metadata.name.includes('traefik')));
    for (const [, content] of traefik) expect(String(content)).not.toMatch(/:(9000|8081|9187)\b|metrics/);
  });

  it("with group calls, sends the authorisation service's client endpoints to lk-jwt-service and the rest of the rtc host to the SFU, never its webhook", () => {
    const ingress = Object.values(objects(json, 'Ingress'))[0];
    const rtc = ingress.spec.rules.find((r: Json) => r.host === spec.hostnames.rtc);
    if (!spec.calls.group.enabled) {
      expect(rtc).toBeUndefined();
      return;
    }
    expect(rtc.http.paths.map((p: Json) => `${p.path} ${p.pathType} ${p.backend.service.name}:${p.backend.service.port.number}`)).toEqual([
      '/get_token Prefix lk-jwt-service:8080',
      '/sfu/get Prefix lk-jwt-service:8080',
      '/delegate_delayed_leave Prefix lk-jwt-service:8080',
      '/ Prefix livekit:7880',
    ]);
    expect(JSON.stringify(ingress)).not.toContain('sfu_webhook');
    expect(ingress.spec.tls[0].hosts).toContain(spec.hostnames.rtc);
  });

  it('sends the login compatibility endpoints and the auth host to MAS', () => {
    const ingress = Object.values(objects(json, 'Ingress'))[0];
    const toMas = ingress.spec.rules.flatMap((r: Json) => r.http.paths.map((p: Json) => ({ host: r.host, ...p }))).filter((p: Json) => p.backend.service.name === 'mas');
    expect(toMas.map((p: Json) => `${p.host}${p.path}`).sort()).toEqual(
      [
        `${spec.hostnames.auth}/`,
        ...['r0', 'v3'].flatMap((v) => ['login', 'logout', 'refresh'].map((e) => `${spec.hostnames.matrix}/_matrix/client/${v}/${e}`)),
      ].sort(),
    );
  });

  it('exposes only the realm endpoints of Keycloak, never its admin console or management port', () => {
    const ingress = Object.values(objects(json, 'Ingress'))[0];
    const toKeycloak = ingress.spec.rules.flatMap((r: Json) => r.http.paths).filter((p: Json) => p.backend.service.name === 'keycloak');
    if (spec.identity.mode !== 'keycloak') {
      expect(toKeycloak).toEqual([]);
      return;
    }
    expect(toKeycloak.map((p: Json) => p.path).sort()).toEqual(['/.well-known', '/realms', '/resources']);
    expect(toKeycloak.every((p: Json) => p.backend.service.port.number === 8080)).toBe(true);
    const service = objects(json, 'Service').keycloak;
    expect(service.spec.ports.map((p: Json) => p.port)).toEqual([8080]);
  });
});
