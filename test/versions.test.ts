import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CALL_VERSIONS, CLOUDNATIVE_PG_VERSION, images, MONITORING_VERSIONS, PINNED_VERSIONS, PROVIDER_VERSIONS } from '../src/versions';

const ROOT = join(__dirname, '..');

/** `"hcloud hetznercloud 1.68.0 module modver"` rows of the PROVIDERS array in scripts/tools.sh. */
function toolsPins(): Record<string, string> {
  const script = readFileSync(join(ROOT, 'scripts', 'tools.sh'), 'utf8');
  const rows = [...script.matchAll(/^\s*"(\w+)\s+\S+\s+([0-9.]+)\s+\S+\s+\S+"\s*$/gm)];
  return Object.fromEntries(rows.map((m) => [m[1], m[2]]));
}

describe('pinned provider versions', () => {
  it('are the ones scripts/tools.sh builds', () => {
    expect(toolsPins()).toEqual(PROVIDER_VERSIONS);
  });

  it('include the hcloud version the bindings were generated for', () => {
    const generator = readFileSync(join(ROOT, 'scripts', 'generate-providers.js'), 'utf8');
    expect(generator).toContain(`hetznercloud/hcloud@${PROVIDER_VERSIONS.hcloud}`);
  });

  it('include the openstack version the bindings were generated for', () => {
    const generator = readFileSync(join(ROOT, 'scripts', 'generate-providers.js'), 'utf8');
    expect(generator).toContain(`terraform-provider-openstack/openstack@${PROVIDER_VERSIONS.openstack}`);
  });
});

describe('the bundled monitoring stack', () => {
  const script = readFileSync(join(ROOT, 'scripts', 'tools.sh'), 'utf8');
  const pin = (name: string) => new RegExp(`^${name}=(\\S+)$`, 'm').exec(script)?.[1];

  it('deploys the Prometheus and Alertmanager releases the integration tests build', () => {
    expect({ prometheus: pin('PROMETHEUS_VERSION'), alertmanager: pin('ALERTMANAGER_VERSION') }).toEqual({
      prometheus: MONITORING_VERSIONS.prometheus,
      alertmanager: MONITORING_VERSIONS.alertmanager,
    });
  });

  it('pins every image by an exact release tag, not overridable per deployment', () => {
    const overridden = images({ ...PINNED_VERSIONS, synapse: '9.9.9' });
    expect([overridden.prometheus, overridden.alertmanager, overridden.grafana]).toEqual([
      `quay.io/prometheus/prometheus:v${MONITORING_VERSIONS.prometheus}`,
      `quay.io/prometheus/alertmanager:v${MONITORING_VERSIONS.alertmanager}`,
      `docker.io/grafana/grafana:${MONITORING_VERSIONS.grafana}`,
    ]);
    for (const version of Object.values(MONITORING_VERSIONS)) expect(version).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe('the LiveKit release', () => {
  it('is the one scripts/tools.sh builds for the integration suite', () => {
    const script = readFileSync(join(ROOT, 'scripts', 'tools.sh'), 'utf8');
    expect(script.match(/^LIVEKIT_VERSION=(\S+)$/m)?.[1]).toBe(CALL_VERSIONS.livekit);
  });
});

describe('the CloudNativePG release', () => {
  it("is the one whose Cluster CRD scripts/tools.sh copies for the control-plane test", () => {
    const script = readFileSync(join(ROOT, 'scripts', 'tools.sh'), 'utf8');
    expect(script.match(/^\s+"github\.com\/cloudnative-pg\/cloudnative-pg v(\S+) config\/crd\/bases\/postgresql\.cnpg\.io_clusters\.yaml"$/m)?.[1]).toBe(CLOUDNATIVE_PG_VERSION);
  });

  it("runs PostgreSQL from CloudNativePG's operand image of the bundled release", () => {
    expect(images({ ...PINNED_VERSIONS, postgres: '17.10' }).cloudnativePgPostgres).toBe('ghcr.io/cloudnative-pg/postgresql:17.10-standard-trixie');
  });
});
