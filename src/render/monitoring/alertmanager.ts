import YAML from 'yaml';
import type { DeploymentSpec } from '../../config/spec';
import { namespaceName } from '../namespace';

/** Where the bundled Alertmanager's container finds its files. */
export const ALERTMANAGER_PATHS = {
  configDir: '/etc/alertmanager',
  config: '/etc/alertmanager/alertmanager.yml',
  /** The relay's password, a file of a mounted Secret (never in the rendered file). */
  smtpPasswordFile: '/etc/alertmanager/secrets/smtp-password',
  data: '/alertmanager',
} as const;

/** The receiver every alert goes to: the e-mail one, or one without integrations. */
export const ALERT_RECEIVERS = { email: 'admin-email', none: 'not-sent' } as const;

/**
 * alertmanager.yml of the bundled Alertmanager: one route, one receiver. With
 * monitoring.alert_email that receiver mails alert_email.to through the relay, STARTTLS required
 * (a relay that does not offer it is refused, so alerts never cross the network in clear text),
 * logging in with the password file when a username is set. Without it the receiver has no
 * integration: alerts are listed in Alertmanager and Grafana and not sent anywhere, and deploy
 * says so.
 */
export function renderAlertmanagerConfig(spec: DeploymentSpec): string {
  const email = spec.monitoring.alertEmail;
  const receiver = email
    ? {
        name: ALERT_RECEIVERS.email,
        email_configs: [
          {
            to: email.to,
            from: email.from,
            smarthost: email.smarthost,
            require_tls: true,
            ...(email.auth ? { auth_username: email.auth.username, auth_password_file: ALERTMANAGER_PATHS.smtpPasswordFile } : {}),
            // A resolved mail ends the incident for whoever got the firing one.
            send_resolved: true,
          },
        ],
      }
    : { name: ALERT_RECEIVERS.none };
  const config = {
    route: {
      receiver: receiver.name,
      // One mail per alert and target, not one per series; the same alert again after 4 hours while
      // it keeps firing, so a forgotten alert is not forgotten for good.
      group_by: ['alertname', 'job'],
      group_wait: '30s',
      group_interval: '5m',
      repeat_interval: '4h',
    },
    // A critical alert of a job mutes its warnings: HomeserverDown says it all, no mail per symptom.
    inhibit_rules: [
      {
        source_matchers: ['severity="critical"'],
        target_matchers: ['severity="warning"'],
        equal: ['job'],
      },
    ],
    receivers: [receiver],
  };
  return `# Alertmanager configuration of the ${spec.name} deployment (${namespaceName(spec)}).\n${YAML.stringify(config, { lineWidth: 0 })}`;
}
