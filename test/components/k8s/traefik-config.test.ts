import { PORTS } from '../../../src/ports';
import { renderAll } from '../../../src/render';
import { specOf, VALID_YAML } from '../../helpers';
import { type Json, objects, synth } from './helpers';

describe('Traefik on the k3s node', () => {
  const json = synth(specOf(VALID_YAML));
  const values = JSON.parse(objects(json, 'HelmChartConfig').traefik.spec.valuesContent);

  it('lets through the encoded characters Matrix paths carry (room aliases need %23)', () => {
    for (const option of ['allowEncodedHash', 'allowEncodedPercent', 'allowEncodedSlash', 'allowEncodedQuestionMark']) {
      expect(values.additionalArguments).toContain(`--entryPoints.websecure.http.encodedCharacters.${option}=true`);
    }
  });

  it('terminates TURN over TLS on 5349 with the rendered route, pointed at the address coturn listens on', () => {
    const turns = renderAll(specOf(VALID_YAML)).find((f) => f.path === 'traefik/turns.yaml')!.content;
    const dynamic = objects(json, 'ConfigMap')['sovereign-matrix-traefik'];
    expect(dynamic.metadata).toMatchObject({ name: 'sovereign-matrix-traefik', namespace: 'kube-system' });
    expect(dynamic.data).toEqual({ 'turns.yaml': turns.replace('@@TURN_PUBLIC_IPV4@@', '${var.turn_public_ipv4}') });
    expect(values.volumes).toEqual([{ name: 'sovereign-matrix-traefik', mountPath: '/sovereign-matrix', type: 'configMap' }]);
    expect(values.additionalArguments).toEqual(expect.arrayContaining(['--providers.file.directory=/sovereign-matrix', '--providers.file.watch=true']));
    expect(turns).toContain('rule: "HostSNI(`turn.ministry.example.eu`)"');
    expect(turns).toContain('certResolver: sovereign-matrix');
    expect(values.ports.turns).toEqual({ port: 5349, expose: { default: true }, exposedPort: 5349, protocol: 'TCP' });
    const coturn = objects(json, 'Deployment').coturn.spec.template.spec;
    expect(coturn.containers[0].env).toContainEqual({ name: 'TURN_PUBLIC_IPV4', value: '${var.turn_public_ipv4}' });
    expect(coturn.volumes.map((v: Json) => v.name)).not.toContain('tls');
  });

  it('has no TURN route without TURN', () => {
    const off = JSON.parse(
      objects(synth(specOf(`${VALID_YAML}calls:\n  turn: false\n`)), 'HelmChartConfig').traefik.spec.valuesContent,
    );
    expect(off.volumes).toBeUndefined();
    expect(off.additionalArguments.filter((a: string) => a.startsWith('--providers.'))).toEqual([]);
    expect(Object.keys(off.ports)).toEqual(['web', 'metrics']);
  });

  it('serves Prometheus metrics on an internal entry point, behind a ClusterIP Service only, never on the node', () => {
    expect(values.ports.metrics).toEqual({ port: PORTS.traefikMetrics, expose: { default: false }, exposedPort: PORTS.traefikMetrics, protocol: 'TCP' });
    expect(values.metrics).toEqual({ prometheus: { entryPoint: 'metrics', addEntryPointsLabels: true, addServicesLabels: true, service: { enabled: true } } });
    // Only web, websecure (chart default) and turns reach the load balancer: no port of the kit's
    // values besides turns is exposed, and none sits on the host.
    const exposed = Object.entries(values.ports as Record<string, Json>).filter(([, p]) => p.expose?.default === true).map(([name]) => name);
    expect(exposed).toEqual(['turns']);
    for (const port of Object.values(values.ports as Record<string, Json>)) expect(port.hostPort).toBeUndefined();
    expect(values.hostNetwork).toBeUndefined();
  });

  it('uses the deployment ACME server and does not call home', () => {
    expect(values.additionalArguments).toContain('--certificatesresolvers.sovereign-matrix.acme.caserver=https://acme-v02.api.letsencrypt.org/directory');
    expect(values.global).toEqual({ checkNewVersion: false, sendAnonymousUsage: false });
    expect(values.globalArguments).toBeUndefined(); // removed from the chart in 36: it would be ignored or refused
  });

  it('redirects HTTP to HTTPS with the key the chart reads since 39 (ports.web.http.redirections)', () => {
    expect(values.ports.web).toEqual({ http: { redirections: { entryPoint: { to: 'websecure', scheme: 'https', permanent: true } } } });
  });
});
