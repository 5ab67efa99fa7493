import { printDeploySummary } from '../../src/deploy/command';
import { monitoringSummary } from '../../src/deploy/monitoring-summary';
import { specOf, VALID_YAML } from '../helpers';
import { objects, synth } from '../components/k8s/helpers';

const MAIL = 'monitoring:\n  alert_email:\n    smarthost: smtp.ministry.example.eu:587\n    from: alerts@ministry.example.eu\n    to: ops@ministry.example.eu\n    username: alerts\n    password_env: MINISTRY_SMTP\n';
const NS = 'matrix-ministry';

describe("deploy summary: the bundled monitoring stack", () => {
  it('prints a port-forward per component, to a Service that exists on that port', () => {
    const lines = monitoringSummary(specOf(VALID_YAML));
    const services = objects(synth(specOf(VALID_YAML)), 'Service');
    const forwards = lines.flatMap((l) => [...l.matchAll(/kubectl --namespace (\S+) port-forward service\/(\S+) (\d+):(\d+)/g)]);
    expect(forwards.map((m) => m[2])).toEqual(['grafana', 'prometheus', 'alertmanager']);
    for (const [, ns, name, local, remote] of forwards) {
      expect(ns).toBe(NS);
      expect(local).toBe(remote);
      expect(services[name].spec.ports.map((p: { port: number }) => String(p.port))).toEqual([remote]);
    }
  });

  it("reads Grafana's admin password with kubectl from the generated Secret, and never prints it", () => {
    const lines = monitoringSummary(specOf(VALID_YAML));
    expect(lines).toContain(`    its password:  kubectl --namespace ${NS} get secret grafana-admin -o jsonpath='{.data.password}' | base64 -d`);
    expect(lines.join('\n')).not.toMatch(/password[=:]\s*[A-Za-z0-9]{20,}/);
  });

  it('says where alerts go, or that they are not mailed and how to change that', () => {
    expect(monitoringSummary(specOf(VALID_YAML + MAIL)).pop()).toBe(
      '  Alerts are e-mailed to ops@ministry.example.eu from alerts@ministry.example.eu through smtp.ministry.example.eu:587 (STARTTLS required).',
    );
    expect(monitoringSummary(specOf(VALID_YAML)).pop()).toMatch(/^ {2}Alerts are shown in Alertmanager and Grafana but NOT e-mailed: set monitoring\.alert_email /);
  });

  it('is part of what deploy prints, and absent where the cluster’s Prometheus Operator scrapes', () => {
    const lines: string[] = [];
    printDeploySummary(specOf(VALID_YAML), '/tmp/root', '/tmp/deploy.log', {}, { out: (l) => lines.push(l), err: () => undefined });
    expect(lines).toEqual(expect.arrayContaining(monitoringSummary(specOf(VALID_YAML))));
    expect(monitoringSummary(specOf(VALID_YAML), false)).toEqual([]);
  });

  it('with stack auto, follows the apps stack output naming what OpenTofu chose on the cluster', () => {
    const auto = specOf(`${VALID_YAML.replace(/target:\n(  .*\n)+/, 'target:\n  kubernetes:\n    context: prod\n')}backup:\n  enabled: false\n`);
    expect(auto.monitoring.stack).toBe('auto');
    const printed = (appsOutputs: Record<string, { value: unknown }>) => {
      const lines: string[] = [];
      printDeploySummary(auto, '/tmp/root', '/tmp/deploy.log', {}, { out: (l) => lines.push(l), err: () => undefined }, appsOutputs);
      return lines.join('\n');
    };
    expect(printed({ monitoring_stack: { value: 'prometheus-operator' } })).not.toMatch(/port-forward/);
    expect(printed({ monitoring_stack: { value: 'bundled' } })).toMatch(/port-forward service\/grafana/);
  });
});
