/** The monitoring section (src/docs/facts/monitoring.ts), read back from the synthesized apps stack. */
import { join } from 'node:path';
import { loadDeploymentFile } from '../../../src/config/load';
import { monitoringFacts } from '../../../src/docs/facts/monitoring';
import { synthesizeForDocs } from '../../../src/docs/read-back';
import { CLUSTER_BACKUP_YAML, specOf, VALID_YAML } from '../../helpers';

const ROOT = join(__dirname, '..', '..', '..');
const cluster = (monitoring: string) => specOf(VALID_YAML.replace(/target:\n(  .*\n)+/, 'target:\n  kubernetes:\n    context: prod\n') + CLUSTER_BACKUP_YAML + monitoring);

describe('monitoring facts', () => {
  it('bundled on the k3s node: what Prometheus scrapes, how long it keeps series, that nothing is public, and that alerts are not mailed without a relay', () => {
    const facts = monitoringFacts(synthesizeForDocs(specOf(VALID_YAML)));
    const text = facts.lines.join('\n');
    expect(text).toMatch(/scrapes every 30s: `synapse` \(synapse\.matrix-ministry\.svc:9000, \/_synapse\/metrics\); `mas` .*`node` \(10\.0\.1\.2:9100\); `traefik`/);
    expect(text).toMatch(/kept 15d and at most \d+MB/);
    expect(text).toMatch(/no route on the ingress/);
    expect(text).toMatch(/\*\*Alerts are not e-mailed\*\*/);
    expect(text).not.toMatch(/ServiceMonitor/);
    const names = facts.alerts.map((a) => a.alert);
    expect(names).toEqual(expect.arrayContaining(['HomeserverDown', 'DataVolumeFull', 'CertificateExpiresSoon', 'BackupTooOld']));
    expect(new Set(facts.alerts.map((a) => a.evaluatedBy))).toEqual(new Set(['bundled']));
  });

  it('names the recipient and relay the rendered Alertmanager mails through', () => {
    const facts = monitoringFacts(
      synthesizeForDocs(specOf(`${VALID_YAML}monitoring:\n  alert_email:\n    smarthost: mail.ministry.example.eu:587\n    from: alerts@ministry.example.eu\n`)),
    );
    expect(facts.lines).toContain('Alerts are e-mailed to ops@ministry.example.eu through mail.ministry.example.eu:587 (STARTTLS required).');
  });

  it("with the cluster's Prometheus Operator: the ServiceMonitors and the PrometheusRule, no bundled stack, no node alerts", () => {
    const facts = monitoringFacts(synthesizeForDocs(loadDeploymentFile(join(ROOT, 'test/fixtures/valid/operator-monitoring.yaml'))));
    const text = facts.lines.join('\n');
    expect(text).toMatch(/ServiceMonitors `mas` \(port `internal`, \/metrics\), `postgres` \(port `metrics`, \/metrics\), `synapse` \(port `metrics`, \/_synapse\/metrics\) and the PrometheusRule `matrix-alerts`/);
    expect(text).not.toMatch(/Bundled Prometheus|port-forward/);
    expect(new Set(facts.alerts.map((a) => a.evaluatedBy))).toEqual(new Set(['prometheus-operator']));
    expect(facts.alerts.map((a) => a.alert)).not.toContain('DataVolumeFull');
  });

  it('with auto: says the cluster chooses, and lists both stacks', () => {
    const facts = monitoringFacts(synthesizeForDocs(cluster('')));
    expect(facts.lines[0]).toMatch(/chosen by the cluster \(`monitoring\.stack: auto`\).*Exactly one of the two is applied/);
    expect(facts.lines.join('\n')).toMatch(/Bundled Prometheus scrapes[\s\S]*ServiceMonitors/);
    expect(facts.alerts.find((a) => a.alert === 'HomeserverDown')?.evaluatedBy).toBe('bundled, prometheus-operator');
  });
});
