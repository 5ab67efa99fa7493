/**
 * No secret reaches any output format: a secret-looking setting changed on one side, sensitive
 * Terraform outputs and variables, and private keys are masked in terminal, Markdown and JSON.
 */
import { compareSnapshots } from '../../src/diff/compare';
import { format, FORMATS } from '../../src/diff/format';
import type { SideSnapshot } from '../../src/diff/model';
import { isSecretKey, maskTextLines, MASK } from '../../src/diff/sensitive';

jest.setTimeout(60_000);

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

test("a Secret object's data never appears, whatever its keys; env values with secret names neither; references to Secrets do", () => {
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  const secret = (n: string, extra: Record<string, string> = {}) => ({
    depends_on: ['kubernetes_manifest.namespace_ns'],
    manifest: {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', namespace: 'ns' },
      type: 'Opaque',
      data: { 'config.yaml': b64(`lit-${n}-value`), 'database-password': `${'$'}{base64encode(random_password.db_${n}.result)}`, ...extra },
      stringData: { 'notes.txt': `sd-${n}-value` },
    },
  });
  const deployment = (n: string) => ({
    manifest: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd', namespace: 'ns' },
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: 'c',
                image: `img:${n}`,
                env: [
                  { name: 'API_TOKEN', value: `env-${n}-value` },
                  { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: `db-secret-${n}`, key: 'password' } } },
                ],
              },
            ],
            volumes: [{ name: 'keys', secret: { secretName: `keys-${n}` } }],
          },
        },
      },
    },
  });
  const tf = (n: string, added: boolean) => ({
    resource: {
      kubernetes_manifest: {
        secret_ns_s: secret(n),
        deployment_ns_d: deployment(n),
        ...(added ? { 'secret_ns_new': { manifest: { ...secret(`ADDED${n}`).manifest, metadata: { name: 'new', namespace: 'ns' } } } } : {}),
        configmap_ns_c: { manifest: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'ns' }, data: { 'app.conf': `listen=80\napi_token=cm-${n}-value\n` } } },
      },
    },
  });
  const result = compareSnapshots(side('old', tf('OLDX', false)), side('new', tf('NEWX', true)));
  for (const form of FORMATS) {
    const text = format(result, form, false);
    for (const n of ['OLDX', 'NEWX', 'ADDEDNEWX']) {
      for (const leaked of [`lit-${n}`, b64(`lit-${n}-value`), `sd-${n}`, `env-${n}`, `cm-${n}`]) {
        expect({ form, leaked: text.includes(leaked) ? leaked : undefined }).toEqual({ form, leaked: undefined });
      }
    }
    // A Secret's data shows which secret it takes; a pod shows which Secret it reads.
    expect(text).toContain('random_password.db_NEWX.result');
    expect(text).toContain('db-secret-NEWX');
    expect(text).toContain('keys-NEWX');
    expect(text).toContain('img:NEWX');
  }
  const json = JSON.parse(format(result, 'json', false));
  const changes = json.deployments[0].stacks[0].changes as { address: string; kubernetes: { kind: string }; attributes: { path: string; old: unknown; new: unknown }[] }[];
  const secretChange = changes.find((c) => c.address === 'kubernetes_manifest.secret_ns_s')!;
  expect(secretChange.kubernetes.kind).toBe('Secret');
  expect(secretChange.attributes).toEqual([
    { path: 'data["config.yaml"]', action: 'change', old: MASK, new: MASK },
    { path: 'data.database-password', action: 'change', old: '${base64encode(random_password.db_OLDX.result)}', new: '${base64encode(random_password.db_NEWX.result)}' },
    { path: 'stringData["notes.txt"]', action: 'change', old: MASK, new: MASK },
  ]);
  const env = changes.find((c) => c.address === 'kubernetes_manifest.deployment_ns_d')!.attributes.find((a) => a.path === 'spec.template.spec.containers[0].env[0].value');
  expect(env).toEqual({ path: 'spec.template.spec.containers[0].env[0].value', action: 'change', old: MASK, new: MASK });
});

test('what counts as a secret key', () => {
  for (const key of ['password', 'client_secret', 'static-auth-secret', 'macaroon_secret_key', 'private_key_pem', 'kube_client_key', 'access_token', 'api_key', 'smtp_pass']) {
    expect({ key, secret: isSecretKey(key) }).toEqual({ key, secret: true });
  }
  for (const key of ['clientSecret', 'privateKeyPem', 'POSTGRES_PASSWORD']) {
    expect({ key, secret: isSecretKey(key) }).toEqual({ key, secret: true });
  }
  // camelCase reads like snake_case: Kubernetes' references to Secrets name them, they are not one.
  for (const key of ['secretKeyRef', 'secretRef', 'secretName', 'privateKeySecretRef']) {
    expect({ key, secret: isSecretKey(key) }).toEqual({ key, secret: false });
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
