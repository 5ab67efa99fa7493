import { join } from 'node:path';
import { Construct } from 'constructs';
import { KubeObject } from '../../../src/components/k8s/kube-object';
import { MatrixApps } from '../../../src/components/k8s/matrix-apps';
import { namespaceName } from '../../../src/render/namespace';
import { loadDeploymentFile } from '../../../src/config/load';
import { clusterWithMonitoring, specOf, VALID_YAML } from '../../helpers';
import { EXAMPLES, objects, ROOT, synth } from './helpers';

describe.each(EXAMPLES)('the Matrix applications of %s', (file) => {
  const spec = loadDeploymentFile(join(ROOT, file));
  const json = synth(spec);

  it('enforces the restricted pod security profile on the application namespace', () => {
    const ns = objects(json, 'Namespace')[namespaceName(spec)];
    expect(ns.metadata.name).toBe(namespaceName(spec));
    expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });
});

describe('the monitoring objects', () => {
  const kube = (stack: string) => clusterWithMonitoring(stack);
  /** `kind/name -> monitoring stack` of every object that belongs to one. */
  const marked = (spec: ReturnType<typeof specOf>) => {
    const apps = new MatrixApps(new Construct(undefined as unknown as Construct, 'root'), 'matrix', { spec, inputs: { turnPublicIpv4: '192.0.43.10' } });
    return Object.fromEntries(KubeObject.all(apps).filter((o) => o.onlyWith !== undefined).map((o) => [`${o.kind}/${o.name}`, o.onlyWith]));
  };
  const OPERATOR = { 'ServiceMonitor/synapse': 'prometheus-operator', 'ServiceMonitor/mas': 'prometheus-operator', 'ServiceMonitor/postgres': 'prometheus-operator', 'PrometheusRule/matrix-alerts': 'prometheus-operator' };

  it("are the operator's, marked, with stack prometheus-operator and auto; none with bundled or on Hetzner", () => {
    expect(marked(kube('prometheus-operator'))).toEqual(OPERATOR);
    expect(marked(kube('auto'))).toMatchObject(OPERATOR);
    expect(Object.values(marked(kube('bundled')))).not.toContain('prometheus-operator');
    expect(Object.values(marked(specOf(VALID_YAML)))).not.toContain('prometheus-operator');
  });
});
