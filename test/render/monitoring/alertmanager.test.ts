import YAML from 'yaml';
import { ALERT_RECEIVERS, ALERTMANAGER_PATHS, renderAlertmanagerConfig } from '../../../src/render/monitoring/alertmanager';
import { specWith } from '../fixtures';

const MAIL = 'monitoring:\n  alert_email:\n    smarthost: smtp.ministry.example.eu:587\n    from: alerts@ministry.example.eu\n    to: ops@ministry.example.eu\n';
const LOGIN = `${MAIL}    username: alerts\n    password_env: MINISTRY_SMTP\n`;

describe('renderAlertmanagerConfig', () => {
  it('routes every alert to one e-mail receiver: alert_email.to through its relay, STARTTLS required', () => {
    const config = YAML.parse(renderAlertmanagerConfig(specWith(MAIL)));
    expect(config.route.receiver).toBe(ALERT_RECEIVERS.email);
    expect(config.route.routes).toBeUndefined();
    expect(config.receivers).toEqual([
      {
        name: ALERT_RECEIVERS.email,
        email_configs: [{ to: 'ops@ministry.example.eu', from: 'alerts@ministry.example.eu', smarthost: 'smtp.ministry.example.eu:587', require_tls: true, send_resolved: true }],
      },
    ]);
  });

  it('logs in with a password file, so the password is never in the file', () => {
    const text = renderAlertmanagerConfig(specWith(LOGIN));
    const [email] = YAML.parse(text).receivers[0].email_configs;
    expect(email).toMatchObject({ auth_username: 'alerts', auth_password_file: ALERTMANAGER_PATHS.smtpPasswordFile, require_tls: true });
    expect(email.auth_password).toBeUndefined();
    expect(text).not.toContain('MINISTRY_SMTP');
  });

  it('without alert_email: one receiver with no integration, nothing is sent anywhere', () => {
    const config = YAML.parse(renderAlertmanagerConfig(specWith()));
    expect(config.route.receiver).toBe(ALERT_RECEIVERS.none);
    expect(config.receivers).toEqual([{ name: ALERT_RECEIVERS.none }]);
    expect(renderAlertmanagerConfig(specWith())).not.toMatch(/smarthost|email_configs|webhook|http/);
  });

  it("mutes a job's warnings while a critical alert of that job fires", () => {
    expect(YAML.parse(renderAlertmanagerConfig(specWith())).inhibit_rules).toEqual([
      { source_matchers: ['severity="critical"'], target_matchers: ['severity="warning"'], equal: ['job'] },
    ]);
  });
});
