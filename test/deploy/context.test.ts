import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { createRunContext } from '../../src/deploy/context';
import { tempDir } from '../helpers';

describe('the context of a run', () => {
  const engine = { name: 'tofu' as const, path: '/usr/bin/tofu', version: '1.10.0' };
  const output = { out: () => undefined, err: () => undefined };
  const env = {
    PATH: '/usr/bin',
    TF_LOG: 'TRACE',
    TF_LOG_PATH: '/tmp/tf.log',
    HCLOUD_TOKEN: 'hcloud-token-value',
    SOVEREIGN_MATRIX_STATE_PASSPHRASE: 'a long state passphrase',
    MINISTRY_OIDC_SECRET: 'oidc-secret-value',
  };

  it('runs the engine in automation mode, without debug logs, with state encryption', () => {
    const ctx = createRunContext({ engine, deployment: 'ministry', command: 'plan', root: tempDir(), output, verbose: false, stateEncryption: true, env });
    expect(ctx.env).toMatchObject({ PATH: '/usr/bin', TF_IN_AUTOMATION: '1', TF_INPUT: '0', CHECKPOINT_DISABLE: '1' });
    expect(Object.keys(ctx.env).filter((k) => k.startsWith('TF_LOG'))).toEqual([]);
    expect(ctx.env.TF_ENCRYPTION).toContain('key_provider "pbkdf2"');
    const plain = createRunContext({ engine, deployment: 'ministry', command: 'plan', root: tempDir(), output, verbose: false, stateEncryption: false, env });
    expect(plain.env.TF_ENCRYPTION).toBeUndefined();
  });

  it('redacts the known secrets and the ones named by the run', () => {
    const ctx = createRunContext({ engine, deployment: 'ministry', command: 'deploy', root: tempDir(), output, verbose: false, stateEncryption: false, env, secretEnv: ['MINISTRY_OIDC_SECRET'] });
    expect(ctx.redactor.redact('hcloud-token-value a long state passphrase oidc-secret-value /usr/bin')).toBe('*** *** *** /usr/bin');
  });

  it('redacts OpenStack passwords, application credential secrets and tokens', () => {
    const os = { ...env, OS_PASSWORD: 'os-password-value', OS_APPLICATION_CREDENTIAL_SECRET: 'app-credential-secret', OS_TOKEN: 'os-token-value' };
    const ctx = createRunContext({ engine, deployment: 'ministry', command: 'deploy', root: tempDir(), output, verbose: false, stateEncryption: false, env: os });
    expect(ctx.redactor.redact('os-password-value app-credential-secret os-token-value')).toBe('*** *** ***');
  });

  it('logs to <root>/<deployment>/logs/<time>-<command>.log, and plans into a fresh directory', () => {
    const root = tempDir();
    const ctx = createRunContext({ engine, deployment: 'ministry', command: 'destroy', root, output, verbose: false, stateEncryption: false, env });
    expect(dirname(ctx.log.path)).toBe(`${root}/ministry/logs`);
    expect(ctx.log.path).toMatch(/\/\d{4}-\d{2}-\d{2}T[\d-]+Z-destroy\.log$/);
    expect(readFileSync(ctx.log.path, 'utf8')).toBe('');
    expect(statSync(`${root}/ministry`).mode & 0o777).toBe(0o700);
    expect(existsSync(ctx.planDir)).toBe(true);
    expect(ctx.planDir).toContain('sovereign-matrix-ministry-');
  });
});
