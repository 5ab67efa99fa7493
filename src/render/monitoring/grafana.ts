import YAML from 'yaml';
import type { DeploymentSpec } from '../../config/spec';
import { PORTS } from '../../ports';
import { namespaceName } from '../namespace';
import { DEFAULT_SCRAPE_INTERVALS } from './scrape-config';

/** Where the bundled Grafana's container finds its files (the image's own layout). */
export const GRAFANA_PATHS = {
  config: '/etc/grafana/grafana.ini',
  configDir: '/etc/grafana',
  provisioning: '/etc/grafana/provisioning',
  datasources: '/etc/grafana/provisioning/datasources',
  dashboardProviders: '/etc/grafana/provisioning/dashboards',
  /** The dashboard JSON files the provider reads. */
  dashboards: '/var/lib/grafana-dashboards',
  /** The generated admin password, a file of a mounted Secret (outside /etc/grafana, the ConfigMap's mount). */
  adminPasswordFile: '/etc/grafana-secrets/admin-password',
  data: '/var/lib/grafana',
} as const;

/** The login of the one Grafana account; its password is the generated Secret's. */
export const GRAFANA_ADMIN_USER = 'admin';

/** The provisioned data source's uid (the dashboards' datasource variable defaults to the only one). */
export const GRAFANA_DATASOURCE_UID = 'prometheus';

/**
 * grafana.ini, hardened for a government's own infrastructure:
 * - one account, the admin, whose password is a generated Secret read from a file; no sign-up,
 *   no organisations, no anonymous or basic-auth access, no public dashboards or snapshots;
 * - nothing calls home: usage reporting, update and plugin-update checks, the news feed,
 *   Gravatar, feedback links and the plugin catalogue (and its signing-key download) are off, so
 *   Grafana contacts no grafana.com and no third party, only the bundled Prometheus;
 * - Grafana's own alerting is off: alerts are Prometheus rules sent by the bundled Alertmanager,
 *   one path, reviewed as code.
 * Reached only through `kubectl port-forward` (http://localhost:3000): the tunnel to the API server
 * is TLS, so the cookie cannot require https here.
 */
export function renderGrafanaIni(spec: DeploymentSpec): string {
  const sections: [string, Record<string, string | number | boolean>][] = [
    ['paths', { data: GRAFANA_PATHS.data, provisioning: GRAFANA_PATHS.provisioning, plugins: `${GRAFANA_PATHS.data}/plugins` }],
    ['server', { protocol: 'http', http_port: PORTS.grafana, root_url: `http://localhost:${PORTS.grafana}/`, enable_gzip: true }],
    ['database', { type: 'sqlite3', path: 'grafana.db' }],
    [
      'security',
      {
        admin_user: GRAFANA_ADMIN_USER,
        admin_password: `$__file{${GRAFANA_PATHS.adminPasswordFile}}`,
        disable_gravatar: true,
        cookie_samesite: 'strict',
        content_security_policy: true,
        x_content_type_options: true,
        x_xss_protection: true,
        disable_brute_force_login_protection: false,
      },
    ],
    ['users', { allow_sign_up: false, allow_org_create: false, auto_assign_org: true, auto_assign_org_role: 'Viewer' }],
    ['auth', { disable_login_form: false, disable_signout_menu: false }],
    ['auth.anonymous', { enabled: false }],
    ['auth.basic', { enabled: false }],
    ['auth.grafana_com', { enabled: false }],
    [
      'analytics',
      {
        reporting_enabled: false,
        check_for_updates: false,
        check_for_plugin_updates: false,
        feedback_links_enabled: false,
        google_analytics_ua_id: '',
        google_tag_manager_id: '',
        rudderstack_write_key: '',
        rudderstack_data_plane_url: '',
      },
    ],
    ['news', { news_feed_enabled: false }],
    ['snapshots', { enabled: false, external_enabled: false }],
    ['public_dashboards', { enabled: false }],
    ['plugins', { plugin_admin_enabled: false, public_key_retrieval_disabled: true, enable_alpha: false }],
    ['unified_alerting', { enabled: false }],
    ['log', { mode: 'console', level: 'info' }],
    ['log.frontend', { enabled: false }],
  ];
  const body = sections.map(([name, values]) => [`[${name}]`, ...Object.entries(values).map(([k, v]) => `${k} = ${v}`)].join('\n')).join('\n\n');
  return `; Grafana configuration of the ${spec.name} deployment (${namespaceName(spec)}); see src/render/monitoring/grafana.ts for why each setting.\n${body}\n`;
}

/** Provisioning of the one data source: the bundled Prometheus, read-only in the UI. */
export function renderGrafanaDatasources(spec: DeploymentSpec, prometheusUrl: string): string {
  const config = {
    apiVersion: 1,
    datasources: [
      {
        name: 'Prometheus',
        type: 'prometheus',
        uid: GRAFANA_DATASOURCE_UID,
        access: 'proxy',
        url: prometheusUrl,
        isDefault: true,
        editable: false,
        jsonData: { timeInterval: `${DEFAULT_SCRAPE_INTERVALS.scrapeSeconds}s`, httpMethod: 'POST' },
      },
    ],
  };
  return `# Grafana data sources of the ${spec.name} deployment.\n${YAML.stringify(config, { lineWidth: 0 })}`;
}

/**
 * Provisioning of the dashboards: the JSON files of src/render/monitoring/dashboards.ts, as
 * reviewed in code; the UI cannot change or delete them (a change is a new kit version).
 */
export function renderGrafanaDashboardProvider(spec: DeploymentSpec): string {
  const config = {
    apiVersion: 1,
    providers: [
      {
        name: spec.name,
        folder: `Matrix ${spec.name}`,
        type: 'file',
        disableDeletion: true,
        allowUiUpdates: false,
        options: { path: GRAFANA_PATHS.dashboards },
      },
    ],
  };
  return `# Grafana dashboard provider of the ${spec.name} deployment.\n${YAML.stringify(config, { lineWidth: 0 })}`;
}
