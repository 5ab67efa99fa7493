import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Construct } from 'constructs';
import { KubeSecret } from '../../src/components/k8s/kube-object';
import { secretsGuide, secretsScript } from '../../src/manifests/secrets-script';
import { specOf, tempDir, VALID_YAML } from '../helpers';

/** Three Secrets: a password shared by two of them, a hex value, an RSA key, an operator input and a literal. */
function secrets(): KubeSecret[] {
  const scope = new Construct(undefined as unknown as Construct, 'test');
  const labels = { 'sovereign-matrix/deployment': 'ministry' };
  return [
    new KubeSecret(scope, 'a', { name: 'db', namespace: 'matrix-ministry', labels, data: { password: { kind: 'password', id: 'db-password', length: 24 }, username: { kind: 'literal', value: 'synapse' } } }),
    new KubeSecret(scope, 'b', { name: 'app', namespace: 'matrix-ministry', labels, data: { 'db-password': { kind: 'password', id: 'db-password', length: 24 }, key: { kind: 'hex', id: 'app-key', bytes: 8 }, signing: { kind: 'rsa-key', id: 'app-signing', bits: 1024 } } }),
    new KubeSecret(scope, 'c', { name: 'oidc', namespace: 'matrix-ministry-turn', labels, data: { secret: { kind: 'input', id: 'oidc', environment: 'MINISTRY_OIDC_SECRET', description: 'the OIDC client secret' } } }),
  ];
}

/**
 * A kubectl holding Secrets as files (store/<namespace>.<name>.json): `get secret` answers from
 * them, `create -f -` adds one. Every call's arguments go to calls.log.
 */
function fakeCluster(): { dir: string; env: NodeJS.ProcessEnv; secret: (ns: string, name: string) => Record<string, any> | undefined; calls: () => string[] } {
  const dir = tempDir('sm-secrets-');
  mkdirSync(join(dir, 'store'));
  const kubectl = join(dir, 'kubectl.js');
  writeFileSync(
    kubectl,
    `#!/usr/bin/env node
const fs = require('fs');
const args = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(join(dir, 'calls.log'))}, args.join(' ') + '\\n');
const store = ${JSON.stringify(join(dir, 'store'))};
if (args[0] === 'get') {
  const file = store + '/' + args[3] + '.' + args[4] + '.json';
  const exists = fs.existsSync(file);
  if (args.includes('--ignore-not-found')) { if (exists) process.stdout.write('secret/' + args[4] + '\\n'); process.exit(0); }
  const key = args[args.indexOf('-o') + 1].replace('jsonpath={.data.', '').replace('}', '');
  process.stdout.write(JSON.parse(fs.readFileSync(file, 'utf8')).data[key] || '');
} else if (args[0] === 'create') {
  const secret = JSON.parse(fs.readFileSync(0, 'utf8'));
  fs.writeFileSync(store + '/' + secret.metadata.namespace + '.' + secret.metadata.name + '.json', JSON.stringify(secret));
}
`,
  );
  chmodSync(kubectl, 0o755);
  const secret = (ns: string, name: string) => {
    const file = join(dir, 'store', `${ns}.${name}.json`);
    if (!readdirSync(join(dir, 'store')).includes(`${ns}.${name}.json`)) return undefined;
    const s = JSON.parse(readFileSync(file, 'utf8'));
    return { ...s, decoded: Object.fromEntries(Object.entries(s.data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')])) };
  };
  const calls = () => readFileSync(join(dir, 'calls.log'), 'utf8').trim().split('\n');
  return { dir, env: { PATH: process.env.PATH, KUBECTL: kubectl }, secret, calls };
}

describe('secretsGuide', () => {
  const guide = secretsGuide(specOf(VALID_YAML), secrets());

  it('lists every key of every Secret with where its value comes from, marking shared values', () => {
    expect(guide).toContain('| matrix-ministry | db | password | 24 random letters and digits (the same value as the other keys marked shared) |');
    expect(guide).toContain('| matrix-ministry | db | username | the fixed value `synapse` |');
    expect(guide).toContain('| matrix-ministry | app | key | 8 random bytes as 16 hex characters; must never change |');
    expect(guide).toContain('| matrix-ministry | app | signing | RSA 1024-bit private key, PEM |');
    expect(guide).toContain('| matrix-ministry-turn | oidc | secret | the OIDC client secret, from $MINISTRY_OIDC_SECRET |');
    expect(guide).not.toMatch(/\| key \|.*shared/);
  });

  it('tells the operator which variables to export before running the script', () => {
    expect(guide).toContain('export MINISTRY_OIDC_SECRET=...   # given by the operator');
  });
});

describe('create-secrets.sh', () => {
  const script = secretsScript(specOf(VALID_YAML), secrets());
  const write = () => {
    const path = join(tempDir(), 'create-secrets.sh');
    writeFileSync(path, script);
    return path;
  };

  it('is valid bash', () => {
    execFileSync('bash', ['-n', write()]);
  });

  it('creates every Secret with generated values, a shared value the same everywhere, and passes its arguments to kubectl', () => {
    const cluster = fakeCluster();
    const result = spawnSync('bash', [write(), '--context', 'prod'], { encoding: 'utf8', env: { ...cluster.env, MINISTRY_OIDC_SECRET: "it's secret" } });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout.split('\n').filter(Boolean)).toEqual(['  created  secret/db in matrix-ministry', '  created  secret/app in matrix-ministry', '  created  secret/oidc in matrix-ministry-turn']);
    const db = cluster.secret('matrix-ministry', 'db')!;
    const app = cluster.secret('matrix-ministry', 'app')!;
    expect(db.metadata.labels).toEqual({ 'sovereign-matrix/deployment': 'ministry' });
    expect(db.decoded.password).toMatch(/^[A-Za-z0-9]{24}$/);
    expect(db.decoded.username).toBe('synapse');
    expect(app.decoded['db-password']).toBe(db.decoded.password);
    expect(app.decoded.key).toMatch(/^[0-9a-f]{16}$/);
    expect(app.decoded.signing).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(cluster.secret('matrix-ministry-turn', 'oidc')!.decoded.secret).toBe("it's secret");
    for (const call of cluster.calls()) expect(call.endsWith(' --context prod')).toBe(true);
    // No value is ever printed.
    expect(result.stdout).not.toContain(db.decoded.password);
  });

  it('keeps the Secrets that exist, and reuses a shared value from them', () => {
    const cluster = fakeCluster();
    const env = { ...cluster.env, MINISTRY_OIDC_SECRET: 'x' };
    expect(spawnSync('bash', [write()], { env }).status).toBe(0);
    const before = cluster.secret('matrix-ministry', 'db')!;
    // The app Secret is lost; its shared password must come back as db holds it.
    require('node:fs').rmSync(join(cluster.dir, 'store', 'matrix-ministry.app.json'));
    const again = spawnSync('bash', [write()], { encoding: 'utf8', env });
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('  kept     secret/db in matrix-ministry');
    expect(again.stdout).toContain('  created  secret/app in matrix-ministry');
    expect(cluster.secret('matrix-ministry', 'db')).toEqual(before);
    expect(cluster.secret('matrix-ministry', 'app')!.decoded['db-password']).toBe(before.decoded.password);
  });

  it('stops, naming the variable, when an operator input is not set', () => {
    const cluster = fakeCluster();
    const result = spawnSync('bash', [write()], { encoding: 'utf8', env: cluster.env });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('create-secrets: set MINISTRY_OIDC_SECRET (see SECRETS.md)');
    expect(cluster.secret('matrix-ministry-turn', 'oidc')).toBeUndefined();
  });
});
