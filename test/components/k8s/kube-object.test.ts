import { Construct } from 'constructs';
import { type Applied, applyDependencies, KubeObject, KubeSecret, type MonitoringSet, monitoringSetOf, onlyWith } from '../../../src/components/k8s/kube-object';

const root = () => new Construct(undefined as unknown as Construct, 'test');

const configMap = (name: string, namespace = 'matrix-ministry') => ({ apiVersion: 'v1' as const, kind: 'ConfigMap' as const, metadata: { name, namespace } });

describe('KubeObject', () => {
  it('is keyed by its identity in the cluster, not by where in the code it is made', () => {
    const scope = root();
    const map = new KubeObject(new Construct(scope, 'deep'), 'anything', configMap('synapse-config'));
    const ns = new KubeObject(scope, 'ns', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'matrix-ministry' } });
    expect(map.key).toBe('configmap_matrix-ministry_synapse-config');
    expect(map.describe()).toBe('ConfigMap matrix-ministry/synapse-config');
    expect(ns.key).toBe('namespace_matrix-ministry');
    expect(ns.namespace).toBeUndefined();
    expect(ns.describe()).toBe('Namespace matrix-ministry');
  });

  it('tells workloads from the rest', () => {
    const scope = root();
    const deployment = new KubeObject(scope, 'd', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'synapse', namespace: 'ns' } });
    const statefulSet = new KubeObject(scope, 's', { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'postgres', namespace: 'ns' } });
    expect([deployment.isWorkload, statefulSet.isWorkload, new KubeObject(scope, 'c', configMap('x')).isWorkload]).toEqual([true, true, false]);
  });

  it('refuses an object without a name', () => {
    expect(() => new KubeObject(root(), 'c', { apiVersion: 'v1', kind: 'ConfigMap', metadata: {} })).toThrow(/ConfigMap at test\/c has no name/);
  });

  it('waits for the rollout of a StatefulSet only', () => {
    const scope = root();
    expect(() => new KubeObject(scope, 'd', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'synapse', namespace: 'ns' } }, { waitForRollout: true })).toThrow(
      /Deployment: only a StatefulSet's rollout is waited for/,
    );
    expect(new KubeObject(scope, 's', { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'postgres', namespace: 'ns' } }, { waitForRollout: true }).options.waitForRollout).toBe(true);
  });

  it('finds every object under a scope in tree order, and refuses two with one identity', () => {
    const scope = root();
    new KubeObject(scope, 'a', configMap('a'));
    new KubeObject(new Construct(scope, 'nested'), 'b', configMap('b'));
    new KubeSecret(scope, 'secret', { name: 's', namespace: 'matrix-ministry', labels: {}, data: {} });
    expect(KubeObject.all(scope).map((o) => o.name)).toEqual(['a', 'b']);
    expect(KubeSecret.all(scope).map((s) => s.key)).toEqual(['secret_matrix-ministry_s']);
    new KubeObject(new Construct(scope, 'elsewhere'), 'a', configMap('a'));
    expect(() => KubeObject.all(scope)).toThrow('two Kubernetes objects are ConfigMap matrix-ministry/a');
  });
});

describe('onlyWith', () => {
  it('marks every object and Secret below a scope, however deep, and nothing beside it', () => {
    const scope = root();
    const operator = onlyWith(new Construct(scope, 'operator'), 'prometheus-operator');
    const deep = new KubeObject(new Construct(operator, 'inner'), 'sm', configMap('sm'));
    const secret = new KubeSecret(operator, 'secret', { name: 's', namespace: 'matrix-ministry', labels: {}, data: {} });
    const beside = new KubeObject(scope, 'plain', configMap('plain'));
    expect([deep.onlyWith, secret.onlyWith, beside.onlyWith, monitoringSetOf(operator)]).toEqual(['prometheus-operator', 'prometheus-operator', undefined, 'prometheus-operator']);
  });

  it('lets the nearest mark win', () => {
    const outer = onlyWith(new Construct(root(), 'outer'), 'bundled');
    const inner = onlyWith(new Construct(outer, 'inner'), 'prometheus-operator');
    expect(new KubeObject(inner, 'o', configMap('o')).onlyWith).toBe('prometheus-operator');
  });
});

describe('applyDependencies', () => {
  const item = (kind: string, name: string, namespace?: string, onlyWith?: MonitoringSet): Applied => ({
    kind,
    namespace,
    key: [kind.toLowerCase(), ...(namespace ? [namespace] : []), name].join('_'),
    onlyWith,
  });
  const items = [
    item('Namespace', 'app'),
    item('Secret', 'db', 'app'),
    item('ConfigMap', 'cfg', 'app'),
    item('Deployment', 'web', 'app'),
    item('StatefulSet', 'postgres', 'app'),
    item('ConfigMap', 'traefik', 'kube-system'),
    item('Deployment', 'other', 'kube-system'),
  ];
  const deps = applyDependencies(items);

  it('makes everything in a namespace the deployment creates wait for that Namespace', () => {
    expect(deps.get('namespace_app')).toEqual([]);
    expect(deps.get('secret_app_db')).toEqual(['namespace_app']);
    expect(deps.get('configmap_app_cfg')).toEqual(['namespace_app']);
  });

  it('starts a workload after every other object of its namespace, but not after other workloads', () => {
    expect(deps.get('deployment_app_web')).toEqual(['namespace_app', 'secret_app_db', 'configmap_app_cfg']);
    expect(deps.get('statefulset_app_postgres')).toEqual(['namespace_app', 'secret_app_db', 'configmap_app_cfg']);
  });

  it('waits for no Namespace it does not create (kube-system), and crosses no namespace', () => {
    expect(deps.get('configmap_kube-system_traefik')).toEqual([]);
    expect(deps.get('deployment_kube-system_other')).toEqual(['configmap_kube-system_traefik']);
  });
});

describe('applyDependencies with the monitoring stacks', () => {
  const item = (kind: string, name: string, onlyWith?: MonitoringSet): Applied => ({ kind, namespace: 'app', key: `${kind.toLowerCase()}_app_${name}`, onlyWith });
  const deps = applyDependencies([
    { kind: 'Namespace', namespace: undefined, key: 'namespace_app' },
    item('ConfigMap', 'cfg'),
    item('ServiceMonitor', 'synapse', 'prometheus-operator'),
    item('ConfigMap', 'prometheus', 'bundled'),
    item('Deployment', 'synapse'),
    item('StatefulSet', 'prometheus', 'bundled'),
  ]);

  it("starts no application after monitoring objects: apps need none, and with auto one stack's objects do not exist", () => {
    expect(deps.get('deployment_app_synapse')).toEqual(['namespace_app', 'configmap_app_cfg']);
  });

  it("starts a monitoring workload after its own stack's objects and the shared ones, never the other stack's", () => {
    expect(deps.get('statefulset_app_prometheus')).toEqual(['namespace_app', 'configmap_app_cfg', 'configmap_app_prometheus']);
    expect(deps.get('servicemonitor_app_synapse')).toEqual(['namespace_app']);
  });
});
