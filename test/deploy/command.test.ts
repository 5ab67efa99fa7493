import { printDeploySummary } from '../../src/deploy/command';
import { KEYCLOAK_CREATE_USER } from '../../src/render/keycloak';
import { specOf, VALID_YAML } from '../helpers';

/** What `deploy` prints at its end, per identity mode: above all, how the first administrator is made. */
function summary(extraYaml = ''): string[] {
  const lines: string[] = [];
  printDeploySummary(specOf(VALID_YAML + extraYaml), '/tmp/root', '/tmp/deploy.log', { ipv4: { value: '203.0.113.7' } }, { out: (l) => lines.push(l), err: (l) => lines.push(`ERR ${l}`) });
  return lines;
}

/** The lines of the first-administrator block: from its heading to the line before the cluster credentials. */
function firstAdministrator(lines: string[]): string[] {
  const start = lines.findIndex((l) => l.startsWith('First administrator'));
  expect(start).toBeGreaterThan(0);
  const end = lines.findIndex((l, i) => i > start && /^ {2}\((kubectl needs the node|with kubeconfig context)/.test(l));
  expect(end).toBeGreaterThan(start);
  return lines.slice(start, end);
}

const NS = 'matrix-ministry';
const MAS = `kubectl --namespace ${NS} exec -it deploy/mas -- mas-cli manage`;
const OIDC = 'identity:\n  mode: oidc\n  oidc:\n    issuer: https://id.example.eu/realms/gov\n    client_id: matrix\n    client_secret_env: OIDC_SECRET\n    display_name: Gov ID\n';

describe('deploy summary: the first administrator', () => {
  test('identity mode local: register-user --admin in MAS, as before', () => {
    const block = firstAdministrator(summary());
    expect(block).toEqual(['First administrator (accounts live in Matrix Authentication Service):', `  ${MAS} register-user --admin <username>`]);
  });

  test('identity mode oidc: log in once through the provider, then promote-admin; never register-user (MAS has no password login)', () => {
    const block = firstAdministrator(summary(OIDC));
    expect(block[0]).toBe('First administrator (accounts come from Gov ID, https://id.example.eu/realms/gov; MAS creates the Matrix account at the first login):');
    expect(block[1]).toBe("  1. Log in once at https://chat.ministry.example.eu/ through Gov ID; <username> is the provider's preferred_username.");
    expect(block[2]).toBe(`  2. ${MAS} promote-admin <username>`);
    expect(block).toHaveLength(3);
    expect(block.join('\n')).not.toMatch(/register-user|create-user/);
  });

  test('identity mode keycloak: create-user.sh in the Keycloak pod, log in (new password), then promote-admin', () => {
    const block = firstAdministrator(summary('identity:\n  mode: keycloak\n'));
    expect(block[0]).toBe('First administrator (accounts live in Keycloak, realm matrix; MAS creates the Matrix account at the first login):');
    expect(block[1]).toBe(`  1. kubectl --namespace ${NS} exec -it deploy/keycloak -c realm-reconcile -- bash /config/create-user.sh <username> <email>`);
    expect(block[1]).toContain(`${KEYCLOAK_CREATE_USER.configDir}/${KEYCLOAK_CREATE_USER.script}`);
    expect(block[2]).toMatch(/temporary password, once/);
    expect(block[3]).toBe("  2. Log in at https://chat.ministry.example.eu/ as <username> with that password; Keycloak asks for a new password and the person's name.");
    expect(block[4]).toBe(`  3. ${MAS} promote-admin <username>`);
    expect(block).toHaveLength(5);
    expect(block.join('\n')).not.toMatch(/register-user/);
  });

  test('the rest of the summary is the same in every mode, Keycloak\u2019s URL in mode keycloak only', () => {
    const local = summary();
    const keycloak = summary('identity:\n  mode: keycloak\n');
    expect(local).toContain('  Element Web:     https://chat.ministry.example.eu/');
    expect(local).toContain('  Node address:    203.0.113.7');
    expect(keycloak).toContain('  Keycloak:        https://sso.ministry.example.eu/');
    expect(local.join('\n')).not.toMatch(/Keycloak/);
    const rest = (lines: string[]) => lines.filter((l) => !firstAdministrator(lines).includes(l) && !l.startsWith('  Keycloak:'));
    expect(rest(keycloak)).toEqual(rest(local));
    expect(rest(summary(OIDC))).toEqual(rest(local));
  });
});
