import { GroupCalls, LIVEKIT_SECRET_NAME } from '../../../src/components/k8s/group-calls';
import { LIVEKIT_API_SECRET } from '../../../src/components/k8s/secrets';
import { PORTS } from '../../../src/ports';
import { LIVEKIT_ENV, LIVEKIT_SECRET_FILES, LK_JWT_SECRET_FILE } from '../../../src/render/livekit';
import { lkJwtServiceEnv } from '../../../src/render/lk-jwt-service';
import { renderAll } from '../../../src/render';
import { CLUSTER_BACKUP_YAML, specOf, VALID_YAML } from '../../helpers';
import { componentObjects, type Json } from './helpers';

const spec = specOf(`${VALID_YAML}size: medium\n`);
const made = componentObjects(spec, (scope, context) => new GroupCalls(scope, 'group-calls', { context }));
const find = (kind: string, name: string, namespace: string) => {
  const found = made.objects.filter((o) => o.kind === kind && o.metadata.name === name && o.metadata.namespace === namespace);
  expect(found).toHaveLength(1);
  return found[0];
};
const NS = 'matrix-ministry';
const TURN_NS = 'matrix-ministry-turn';

describe('GroupCalls', () => {
  it('is made only with group calls and TURN', () => {
    expect(() => componentObjects(specOf(VALID_YAML), (scope, context) => new GroupCalls(scope, 'g', { context }))).toThrow(/calls\.group/);
  });

  it("runs the SFU with the node's network in the TURN namespace, from its rendered files, on the node's address", () => {
    const sfu = find('Deployment', 'livekit', TURN_NS);
    const pod: Json = sfu.spec.template.spec;
    expect(pod.hostNetwork).toBe(true);
    expect(sfu.spec.strategy).toEqual({ type: 'Recreate' }); // one owner of the node's ports
    const [container] = pod.containers;
    expect(container.image).toBe('docker.io/livekit/livekit-server:v1.13.5');
    expect(container.env).toEqual([
      { name: LIVEKIT_ENV.nodeIp, value: '192.0.43.10' },
      { name: LIVEKIT_ENV.apiSecret, valueFrom: { secretKeyRef: { name: LIVEKIT_SECRET_NAME, key: 'secret' } } },
    ]);
    const config = find('ConfigMap', 'livekit-config', TURN_NS);
    const rendered = Object.fromEntries(renderAll(spec).filter((f) => f.path.startsWith('livekit/')).map((f) => [f.path.slice('livekit/'.length), f.content]));
    expect(config.data).toEqual(rendered);
    expect(pod.volumes).toContainEqual({ name: 'config', configMap: { name: 'livekit-config' } });
  });

  it('writes the key file unreadable by others before LiveKit starts, and mounts TURN secret without permission for others', () => {
    const pod: Json = find('Deployment', 'livekit', TURN_NS).spec.template.spec;
    const script: string = pod.containers[0].command[2];
    expect(script.startsWith('umask 077 && ')).toBe(true);
    expect(script).toContain(`/config/keys.yaml > ${LIVEKIT_SECRET_FILES.keyFile}`);
    expect(script.endsWith('exec /livekit-server --config /tmp/livekit.yaml')).toBe(true);
    const turn = pod.volumes.find((v: Json) => v.name === 'turn-secret');
    expect(turn.secret).toEqual({ secretName: 'turn-shared-secret', defaultMode: 0o400, items: [{ key: 'shared-secret', path: 'shared-secret' }] });
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'turn-secret', mountPath: '/secrets/turn', readOnly: true });
    expect(pod.volumes.find((v: Json) => v.name === 'keys')).toEqual({ name: 'keys', emptyDir: { medium: 'Memory' } });
  });

  it("reaches the SFU's signalling from the ingress through a Service whose one endpoint is the node", () => {
    const service = find('Service', 'livekit', NS);
    expect(service.spec.selector).toBeUndefined();
    expect(service.spec.ports).toEqual([{ name: 'signalling', port: PORTS.livekitHttp, targetPort: PORTS.livekitHttp, protocol: 'TCP' }]);
    const slice = find('EndpointSlice', 'livekit', NS);
    expect(slice.metadata.labels['kubernetes.io/service-name']).toBe('livekit');
    expect(slice.endpoints).toEqual([{ addresses: ['192.0.43.10'] }]);
    expect(slice.ports).toEqual([{ name: 'signalling', port: PORTS.livekitHttp, protocol: 'TCP' }]);
  });

  it('runs lk-jwt-service in the restricted namespace with its rendered environment and the API secret as a file', () => {
    const deployment = find('Deployment', 'lk-jwt-service', NS);
    const pod: Json = deployment.spec.template.spec;
    expect(pod.hostNetwork).toBeUndefined();
    const [container] = pod.containers;
    expect(container.image).toBe('ghcr.io/element-hq/lk-jwt-service:0.6.0');
    expect(container.envFrom).toEqual([{ configMapRef: { name: 'lk-jwt-service-config' } }]);
    expect(find('ConfigMap', 'lk-jwt-service-config', NS).data).toEqual(lkJwtServiceEnv(spec));
    expect(container.env).toBeUndefined();
    expect(container.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    const [volume] = pod.volumes;
    expect(volume.secret).toEqual({ secretName: LIVEKIT_SECRET_NAME, defaultMode: 0o400, items: [{ key: 'secret', path: 'api-secret' }] });
    expect(container.volumeMounts).toEqual([{ name: volume.name, mountPath: LK_JWT_SECRET_FILE.slice(0, LK_JWT_SECRET_FILE.lastIndexOf('/')), readOnly: true }]);
    // On the SFU's node, where its webhooks arrive from the node itself.
    expect(pod.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution).toEqual([
      { labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'livekit', 'app.kubernetes.io/instance': 'ministry' } }, namespaces: [TURN_NS], topologyKey: 'kubernetes.io/hostname' },
    ]);
    expect(find('Service', 'lk-jwt-service', NS).spec.ports).toEqual([{ name: 'main', port: PORTS.lkJwtHttp, targetPort: PORTS.lkJwtHttp, protocol: 'TCP' }]);
  });

  it('shares one generated API secret between the SFU and lk-jwt-service, and writes no secret anywhere', () => {
    const [secret] = made.secrets;
    expect(secret.props).toMatchObject({ name: LIVEKIT_SECRET_NAME, namespace: TURN_NS, data: { secret: LIVEKIT_API_SECRET } });
    expect(LIVEKIT_API_SECRET).toEqual({ kind: 'password', id: 'livekit-api-secret-value', length: 48 });
    expect(JSON.stringify(made.objects)).not.toMatch(/[A-Za-z0-9]{48}/);
  });

  it('needs the node address on an existing cluster too', () => {
    const cluster = specOf(VALID_YAML.replace(/  hetzner:\n(    .*\n)+/, '  kubernetes:\n    context: prod\n') + CLUSTER_BACKUP_YAML + 'size: medium\n');
    expect(() => componentObjects(cluster, (scope, context) => new GroupCalls(scope, 'g', { context }), {})).toThrow(/public IPv4/);
  });

  it("behind OpenStack's floating IP, hands the SFU the public address for its candidates and the ingress the private one", () => {
    const openstack = specOf(
      `${VALID_YAML.replace(/target:\n(  .*\n)+/, 'target:\n  openstack:\n    cloud: ovhcloud\n    region: GRA11\n    flavor: b3-32\n    image: Debian 12\n    external_network: Ext-Net\n    key_pair: ops\n    admin_cidrs: [198.51.100.0/24]\n')}calls:\n  group:\n    enabled: true\n${CLUSTER_BACKUP_YAML}`,
    );
    const objects = componentObjects(openstack, (scope, context) => new GroupCalls(scope, 'group-calls', { context })).objects;
    const slice = objects.find((o) => o.kind === 'EndpointSlice' && o.metadata.name === 'livekit')!;
    expect(slice.endpoints).toEqual([{ addresses: ['10.0.1.2'] }]);
    const sfu = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'livekit')!;
    expect(sfu.spec.template.spec.containers[0].env[0]).toEqual({ name: LIVEKIT_ENV.nodeIp, value: '192.0.43.10' });
  });
});
