import YAML from 'yaml';
import { PORTS } from '../../../src/ports';
import { GRAFANA_DATASOURCE_UID, GRAFANA_PATHS, renderGrafanaDashboardProvider, renderGrafanaDatasources, renderGrafanaIni } from '../../../src/render/monitoring/grafana';
import { specWith } from '../fixtures';

/** grafana.ini as section -> key -> value. */
function ini(text: string): Record<string, Record<string, string>> {
  const sections: Record<string, Record<string, string>> = {};
  let current = '';
  for (const line of text.split('\n')) {
    const section = /^\[(.+)\]$/.exec(line);
    if (section) sections[(current = section[1])] = {};
    const setting = /^(\w+) = (.*)$/.exec(line);
    if (setting) sections[current][setting[1]] = setting[2];
  }
  return sections;
}

describe('renderGrafanaIni', () => {
  const config = ini(renderGrafanaIni(specWith()));

  it('has one account, the admin, whose password is read from the mounted Secret; no sign-up, anonymous or basic auth', () => {
    expect(config.security).toMatchObject({ admin_user: 'admin', admin_password: `$__file{${GRAFANA_PATHS.adminPasswordFile}}`, disable_gravatar: 'true' });
    expect(config.users).toMatchObject({ allow_sign_up: 'false', allow_org_create: 'false' });
    expect(config['auth.anonymous'].enabled).toBe('false');
    expect(config['auth.basic'].enabled).toBe('false');
    expect(config['auth.grafana_com'].enabled).toBe('false');
  });

  it('calls no one: no reporting, update checks, news, gravatar, plugin catalogue, snapshots or public dashboards', () => {
    expect(config.analytics).toMatchObject({ reporting_enabled: 'false', check_for_updates: 'false', check_for_plugin_updates: 'false', feedback_links_enabled: 'false' });
    expect(config.news.news_feed_enabled).toBe('false');
    expect(config.plugins).toMatchObject({ plugin_admin_enabled: 'false', public_key_retrieval_disabled: 'true' });
    expect(config.snapshots).toEqual({ enabled: 'false', external_enabled: 'false' });
    expect(config.public_dashboards.enabled).toBe('false');
    // No URL but its own, on localhost (the port-forward).
    expect(renderGrafanaIni(specWith()).match(/https?:\/\/[^\s]+/g)).toEqual([`http://localhost:${PORTS.grafana}/`]);
  });

  it("leaves alerting to Prometheus and Alertmanager, and serves on Grafana's port", () => {
    expect(config.unified_alerting.enabled).toBe('false');
    expect(config.server.http_port).toBe(String(PORTS.grafana));
  });
});

describe('Grafana provisioning', () => {
  it('has one data source, the given Prometheus, not editable in the UI', () => {
    const { datasources } = YAML.parse(renderGrafanaDatasources(specWith(), 'http://prometheus.matrix-ministry.svc:9090'));
    expect(datasources).toEqual([
      expect.objectContaining({ type: 'prometheus', uid: GRAFANA_DATASOURCE_UID, url: 'http://prometheus.matrix-ministry.svc:9090', isDefault: true, editable: false }),
    ]);
  });

  it('provisions the dashboards from files the UI can neither change nor delete', () => {
    const { providers } = YAML.parse(renderGrafanaDashboardProvider(specWith()));
    expect(providers).toEqual([expect.objectContaining({ type: 'file', disableDeletion: true, allowUiUpdates: false, options: { path: GRAFANA_PATHS.dashboards } })]);
  });
});
