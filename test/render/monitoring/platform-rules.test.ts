import { DATA_MOUNT } from '../../../src/render/k3s-node';
import { CERTIFICATE_EXPIRY_WARNING_DAYS, clusterRules, k3sNodeRules, VOLUME_USED_CRITICAL, VOLUME_USED_WARNING } from '../../../src/render/monitoring/platform-rules';
import { CLUSTER_BACKUP_YAML, specOf, VALID_YAML } from '../../helpers';
import { specWith } from '../fixtures';

const CLUSTER = specOf(`${VALID_YAML.replace(/target:\n(  .*\n)+/, 'target:\n  kubernetes:\n    context: prod\n')}${CLUSTER_BACKUP_YAML}`);
const byName = (rules: ReturnType<typeof k3sNodeRules>) => Object.fromEntries(rules.map((r) => [r.alert, r]));

describe('k3sNodeRules', () => {
  const rules = byName(k3sNodeRules(specWith()));

  it('reads the data volume at its mount point only, with the thresholds of the constants', () => {
    expect([VOLUME_USED_WARNING, VOLUME_USED_CRITICAL, CERTIFICATE_EXPIRY_WARNING_DAYS]).toEqual([0.8, 0.9, 14]);
    for (const alert of ['DataVolumeAlmostFull', 'DataVolumeFull']) {
      const selectors = [...rules[alert].expr.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]);
      expect(new Set(selectors)).toEqual(new Set([`job="node",mountpoint="${DATA_MOUNT}"`]));
    }
    expect(rules.DataVolumeAlmostFull.expr).toMatch(/ < 0\.2$/);
    expect(rules.DataVolumeFull.expr).toMatch(/ < 0\.1\n  or predict_linear\(node_filesystem_avail_bytes\{[^}]*\}\[6h\], 86400\) < 0$/);
  });

  it('takes the newest certificate per name list (Traefik keeps the series of replaced ones)', () => {
    expect(rules.CertificateExpiresSoon.expr).toMatch(/^max by \(cn, sans\) \(traefik_tls_certs_not_after\{job="traefik"\}\)/);
  });

  it("alerts when the node's exporter or Traefik cannot be scraped, as the volume and certificate alerts go silent then", () => {
    expect(rules.NodeExporterDown).toMatchObject({ expr: 'up{job="node"} == 0', labels: { severity: 'warning' } });
    expect(rules.IngressDown).toMatchObject({ expr: 'up{job="traefik"} == 0', labels: { severity: 'critical' } });
  });

  it('says how to grow the volume with the deployment file', () => {
    expect(rules.DataVolumeFull.annotations.runbook).toContain('`target.hetzner.volume_size_gib`');
    expect(rules.DataVolumeFull.annotations.runbook).toContain('resize2fs /dev/disk/by-id/scsi-0HC_Volume_');
  });
});

describe('clusterRules', () => {
  const rules = byName(clusterRules(CLUSTER));

  it("reads the deployment's claims and both of its namespaces' certificates, whichever label holds the Certificate's namespace", () => {
    expect(rules.PersistentVolumeAlmostFull.expr).toBe(
      'kubelet_volume_stats_available_bytes{namespace="matrix-ministry"} / kubelet_volume_stats_capacity_bytes{namespace="matrix-ministry"} < 0.2',
    );
    expect(rules.PersistentVolumeFull.expr).toContain('predict_linear(kubelet_volume_stats_available_bytes{namespace="matrix-ministry"}[6h], 86400) < 0');
    expect(rules.CertificateExpiresSoon.expr).toBe(
      'max by (namespace, exported_namespace, name) (certmanager_certificate_expiration_timestamp_seconds{namespace=~"matrix-ministry|matrix-ministry-turn"} or certmanager_certificate_expiration_timestamp_seconds{exported_namespace=~"matrix-ministry|matrix-ministry-turn"}) - time() < 14 * 86400',
    );
  });
});
