import { Secrets, TURN_SHARED_SECRET } from '../../../src/components/k8s/secrets';
import { specOf, VALID_YAML } from '../../helpers';
import { componentObjects } from './helpers';

const secretsOf = (yaml: string) => componentObjects(specOf(yaml), (scope, context) => new Secrets(scope, 'secrets', { context })).secrets;
const names = (yaml: string) => secretsOf(yaml).map((s) => s.props.name);

describe('Secrets', () => {
  it("are made for the deployment's components only", () => {
    expect(names(VALID_YAML)).toEqual(['postgres-superuser', 'synapse-database', 'synapse-secrets', 'mas-synapse-shared-secret', 'mas-database', 'mas-secrets', 'turn-shared-secret', 'backup-credentials']);
    const without = names(`${VALID_YAML}calls:\n  turn: false\nbackup:\n  enabled: false\n`);
    expect(without).not.toContain('turn-shared-secret');
    expect(without).not.toContain('backup-credentials');
    expect(names(`${VALID_YAML}identity:\n  mode: keycloak\n`)).toEqual(expect.arrayContaining(['keycloak-database', 'keycloak-admin', 'keycloak-mas-client']));
  });

  it('share one value where two programs must agree on it', () => {
    const secrets = secretsOf(`${VALID_YAML}identity:\n  mode: keycloak\n`);
    const value = (name: string, key: string) => secrets.find((s) => s.props.name === name)!.props.data[key];
    expect(value('mas-secrets', 'synapse-shared-secret')).toEqual(value('mas-synapse-shared-secret', 'synapse-shared-secret'));
    expect(value('mas-secrets', 'database-password')).toEqual(value('mas-database', 'password'));
    expect(value('keycloak-mas-client', 'secret')).toEqual(value('mas-secrets', 'upstream-client-secret'));
    expect(value('turn-shared-secret', 'shared-secret')).toEqual(TURN_SHARED_SECRET);
  });

  it('generate long passwords, and take from the operator what must outlive the cluster', () => {
    const secrets = secretsOf(VALID_YAML);
    for (const s of secrets) for (const v of Object.values(s.props.data)) if (v.kind === 'password') expect(v.length).toBeGreaterThanOrEqual(32);
    const backup = secrets.find((s) => s.props.name === 'backup-credentials')!.props.data;
    expect(Object.values(backup).map((v) => v.kind)).toEqual(['input', 'input', 'input']);
  });

  it("take the OIDC client secret from the operator's variable, never generated", () => {
    const oidc = `${VALID_YAML}identity:\n  mode: oidc\n  oidc:\n    issuer: https://id.example.eu\n    client_id: matrix\n    client_secret_env: MINISTRY_OIDC_SECRET\n`;
    const mas = secretsOf(oidc).find((s) => s.props.name === 'mas-secrets')!.props.data;
    expect(mas['upstream-client-secret']).toMatchObject({ kind: 'input', environment: 'MINISTRY_OIDC_SECRET' });
  });
});
