/**
 * No secret reaches any output format: a secret-looking setting changed on one side, sensitive
 * Terraform outputs and variables, and private keys are masked in terminal, Markdown and JSON.
 */
import { cli } from '../helpers';
import { compareSnapshots } from '../../src/diff/compare';
import { format, FORMATS } from '../../src/diff/format';
import type { SideSnapshot } from '../../src/diff/model';
import { isSecretKey, maskTextLines, MASK } from '../../src/diff/sensitive';
import { pair } from './helpers';

jest.setTimeout(60_000);

const BASE_SECRET = 'tok-BASE-7f3a9c';
const HEAD_SECRET = 'tok-HEAD-91be04';

test('a secret changed on one side never appears in terminal, Markdown or JSON output', async () => {
  const { base, head } = pair('secret');
  for (const form of ['terminal', 'markdown', 'json']) {
    const result = await cli('diff', '--base', base, '--head', head, '--format', form);
    expect(result.code).toBe(0);
    const everything = result.stdout + result.stderr;
    expect(everything).not.toContain(BASE_SECRET);
    expect(everything).not.toContain(HEAD_SECRET);
    expect(everything).not.toMatch(/7f3a9c|91be04/);
    // The change itself is still visible: the line changed, its value is hidden.
    expect(everything).toContain(`push_gateway_token: ${MASK}`);
  }
});

function side(label: string, tf: unknown, files: Record<string, string> = {}): SideSnapshot {
  return {
    label,
    deployments: new Map([['d', { name: 'd', file: 'deployments/d.yaml', stacks: new Map([['d-apps', tf]]), files: new Map(Object.entries(files)) }]]),
  };
}

test('sensitive outputs, sensitive variable defaults, secret-named attributes and private keys are masked', () => {
  const pem = (n: string) => `-----BEGIN PRIVATE KEY-----\nMIIB${n}Q\n-----END PRIVATE KEY-----\n`;
  const tf = (n: string) => ({
    '//': { metadata: { version: n } },
    variable: { admin: { type: 'string', sensitive: true, default: `var-${n}-value` } },
    output: { client_key: { value: `out-${n}-value`, sensitive: true }, plain: { value: `plain-${n}` } },
    resource: {
      kubernetes_secret_v1: { s: { data: { password: `pw-${n}-value`, ref: `${'$'}{random_password.p_${n}.result}` } } },
      kubernetes_config_map_v1: { c: { data: { 'app.conf': `listen=80\napi_token=tk-${n}-value\n`, 'key.pem': pem(n) } } },
      hcloud_server: { node: { user_data: `#cloud-config\n{"write_files":[{"content":"client_secret: cs-${n}-value"}]}` } },
    },
  });
  const files = (n: string) => ({
    'svc/config.yaml': `a: 1\nsigning_key: sk-${n}-value\nblock_secret: |\n  bs-${n}-value\n  more-${n}-value\nend: true\nstatic-auth-secret=@@TURN_SECRET@@\n`,
    'svc/tls.pem': pem(n),
  });
  const result = compareSnapshots(side('old', tf('OLDX'), files('OLDX')), side('new', tf('NEWX'), files('NEWX')));
  for (const form of FORMATS) {
    const text = format(result, form, false);
    for (const n of ['OLDX', 'NEWX']) {
      for (const secret of [`var-${n}`, `out-${n}`, `pw-${n}`, `tk-${n}`, `MIIB${n}`, `cs-${n}`, `sk-${n}`, `bs-${n}`, `more-${n}`]) {
        expect({ form, leaked: text.includes(secret) ? secret : undefined }).toEqual({ form, leaked: undefined });
      }
    }
    // What names a secret without being one stays visible.
    expect(text).toContain('random_password.p_NEWX.result');
    expect(text).toContain('@@TURN_SECRET@@');
    expect(text).toContain('plain-NEWX');
  }
});

test('what counts as a secret key', () => {
  for (const key of ['password', 'client_secret', 'static-auth-secret', 'macaroon_secret_key', 'private_key_pem', 'kube_client_key', 'access_token', 'api_key', 'smtp_pass']) {
    expect({ key, secret: isSecretKey(key) }).toEqual({ key, secret: true });
  }
  for (const key of ['signing_key_path', 'client_secret_env', 'secret_path', 'ssh_keys', 'keycloak', 'server_name', 'token_id', 'key']) {
    expect({ key, secret: isSecretKey(key) }).toEqual({ key, secret: false });
  }
  expect(maskTextLines('password: hunter2\npassword: @@DB_PASSWORD@@\n# password: in a comment')).toEqual([
    `password: ${MASK}`,
    'password: @@DB_PASSWORD@@',
    '# password: in a comment',
  ]);
});
