import { Testing } from 'cdktf';
import { AppsStack } from '../../stacks/apps';
import { appsEnvironment, appsInputs, deploymentStacks, operatorSecrets } from '../../src/deploy/stacks';
import { CLUSTER_BACKUP_YAML, specOf, VALID_YAML } from '../helpers';

const K8S = VALID_YAML.replace(/target:\n(  .*\n)+/, 'target:\n  kubernetes:\n    context: prod\n    kubeconfig: /nonexistent/kubeconfig\n') + CLUSTER_BACKUP_YAML;

describe('the stacks of a deployment', () => {
  it('runs only the apps stack on an existing cluster', () => {
    expect(deploymentStacks(specOf(K8S), 'out', '/s').map((s) => s.name)).toEqual(['ministry-apps']);
  });
});

describe('what the apps stack takes from infra and from the operator', () => {
  const OIDC = 'identity:\n  mode: oidc\n  oidc:\n    issuer: https://id.example.eu\n    client_id: matrix\n    client_secret_env: MINISTRY_OIDC_SECRET\n';

  it('takes the cluster credentials from infra, and the TURN address only with TURN', () => {
    expect(Object.keys(appsInputs(specOf(VALID_YAML)))).toEqual(['kube_host', 'kube_cluster_ca_certificate', 'kube_client_certificate', 'kube_client_key', 'turn_public_ipv4']);
    expect(appsInputs(specOf(`${VALID_YAML}calls:\n  turn: false\n`)).turn_public_ipv4).toBeUndefined();
  });

  it('names the environment variables of the OIDC secret and the backup credentials', () => {
    expect(operatorSecrets(specOf(VALID_YAML + OIDC))).toEqual({
      oidc_client_secret: 'MINISTRY_OIDC_SECRET',
      backup_access_key_id: 'SOVEREIGN_MATRIX_BACKUP_ACCESS_KEY_ID',
      backup_secret_access_key: 'SOVEREIGN_MATRIX_BACKUP_SECRET_ACCESS_KEY',
      backup_passphrase: 'SOVEREIGN_MATRIX_BACKUP_PASSPHRASE',
    });
    expect(operatorSecrets(specOf(`${VALID_YAML}backup:\n  enabled: false\n`))).toEqual({});
  });

  it("names the alert mail relay's password variable, and only where the bundled Alertmanager logs in", () => {
    const mail = (more: string) => `${VALID_YAML}backup:\n  enabled: false\nmonitoring:\n  alert_email:\n    smarthost: smtp.ministry.example.eu:587\n    from: alerts@ministry.example.eu\n    to: ops@ministry.example.eu\n${more}`;
    expect(operatorSecrets(specOf(mail('    username: alerts\n    password_env: MINISTRY_SMTP\n')))).toEqual({ alert_email_password: 'MINISTRY_SMTP' });
    expect(operatorSecrets(specOf(mail('')))).toEqual({});
    // The synthesized apps stack has exactly this variable, sensitive.
    const json = JSON.parse(Testing.synth(new AppsStack(Testing.app(), specOf(mail('    username: alerts\n')))));
    expect(json.variable.alert_email_password).toMatchObject({ sensitive: true, type: 'string' });
  });

  it('hands the values that are set to OpenTofu as TF_VAR_*, and nothing else of the environment', () => {
    const env = { MINISTRY_OIDC_SECRET: 'oidc-value', SOVEREIGN_MATRIX_BACKUP_PASSPHRASE: 'passphrase-value', HCLOUD_TOKEN: 'token' };
    expect(appsEnvironment(specOf(VALID_YAML + OIDC), env)).toEqual({ TF_VAR_oidc_client_secret: 'oidc-value', TF_VAR_backup_passphrase: 'passphrase-value' });
    const stacks = deploymentStacks(specOf(VALID_YAML + OIDC), 'out', '/s');
    expect(stacks[0].env).toBeUndefined();
  });
});
