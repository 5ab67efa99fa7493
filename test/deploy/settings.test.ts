import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { engineError, Redactor } from '../../src/deploy/runner';
import { backendConfigArgs, describeState, localStatePath, stateRoot } from '../../src/deploy/state';
import { deploymentStacks } from '../../src/deploy/stacks';
import { synthesize } from '../../stacks/synth';
import { CLUSTER_BACKUP_YAML, problemsOf, specOf, tempDir, VALID_YAML } from '../helpers';

const S3 = `state:
  s3:
    endpoint: https://fsn1.your-objectstorage.com
    bucket: ministry-state
    region: fsn1
`;
const K8S = VALID_YAML.replace(/target:\n(  .*\n)+/, 'target:\n  kubernetes:\n    context: prod\n    kubeconfig: /nonexistent/kubeconfig\n') + CLUSTER_BACKUP_YAML;

describe('state location', () => {
  it('is ./state/<deployment>/<layer>.tfstate, overridable with SOVEREIGN_MATRIX_STATE_DIR', () => {
    expect(stateRoot({}, '/work')).toBe('/work/state');
    expect(stateRoot({ SOVEREIGN_MATRIX_STATE_DIR: '/srv/state' }, '/work')).toBe('/srv/state');
    expect(stateRoot({ SOVEREIGN_MATRIX_STATE_DIR: 'rel' }, '/work')).toBe('/work/rel');
    expect(localStatePath('/srv/state', 'ministry', 'infra')).toBe('/srv/state/ministry/infra.tfstate');
  });

  it('is chosen at init for the local backend; the JSON keeps its relative default', () => {
    const spec = specOf(VALID_YAML);
    expect(backendConfigArgs(spec, 'apps', '/srv/state')).toEqual(['-backend-config=path=/srv/state/ministry/apps.tfstate']);
    const stacks = deploymentStacks(spec, 'out', '/srv/state');
    expect(stacks.map((s) => [s.name, s.dir, s.inputs?.from])).toEqual([
      ['ministry-infra', 'out/stacks/ministry-infra', undefined],
      ['ministry-apps', 'out/stacks/ministry-apps', 'ministry-infra'],
    ]);
    expect(stacks[1].inputs!.variables).toEqual({
      kube_host: 'kube_host',
      kube_cluster_ca_certificate: 'kube_cluster_ca_certificate',
      kube_client_certificate: 'kube_client_certificate',
      kube_client_key: 'kube_client_key',
      turn_public_ipv4: 'ipv4',
    });
    const out = tempDir();
    synthesize([spec], out);
    const json = JSON.parse(readFileSync(join(out, 'stacks/ministry-infra/cdk.tf.json'), 'utf8'));
    expect(json.terraform.backend).toEqual({ local: { path: 'terraform.tfstate' } });
  });

  it('runs only the apps stack on an existing cluster', () => {
    expect(deploymentStacks(specOf(K8S), 'out', '/s').map((s) => s.name)).toEqual(['ministry-apps']);
  });
});

describe('deployment file: state.s3', () => {
  it('synthesizes an S3 backend per layer with no credentials in the JSON', () => {
    const spec = specOf(VALID_YAML + S3);
    expect(spec.state).toEqual({ kind: 's3', endpoint: 'https://fsn1.your-objectstorage.com', bucket: 'ministry-state', keyPrefix: 'sovereign-matrix/ministry', region: 'fsn1' });
    expect(backendConfigArgs(spec, 'infra', '/s')).toEqual([]);
    expect(describeState(spec, '/s')).toBe('s3://ministry-state/sovereign-matrix/ministry/<layer>.tfstate at https://fsn1.your-objectstorage.com (region fsn1)');
    const out = tempDir();
    synthesize([spec], out);
    for (const layer of ['infra', 'apps']) {
      const text = readFileSync(join(out, `stacks/ministry-${layer}/cdk.tf.json`), 'utf8');
      const backend = JSON.parse(text).terraform.backend;
      expect(backend.s3).toMatchObject({ bucket: 'ministry-state', key: `sovereign-matrix/ministry/${layer}.tfstate`, region: 'fsn1', endpoints: { s3: 'https://fsn1.your-objectstorage.com' }, use_path_style: true });
      expect(Object.keys(backend.s3).filter((k) => /access|secret|token/.test(k))).toEqual([]);
    }
  });

  it('takes a key prefix', () => {
    expect(specOf(`${VALID_YAML + S3}    key_prefix: gov/ministry\n`).state).toMatchObject({ keyPrefix: 'gov/ministry' });
  });

  it.each([
    ['region: us-east-1', 'region', /'us-east-1' is not valid \(expected an EU region/],
    ['region: ap-southeast-1', 'region', /expected an EU region/],
    ['endpoint: https://s3.us-west-2.amazonaws.com', 'endpoint', /expected an https:\/\/ S3 endpoint in the EU/],
    ['endpoint: https://us-east-1.linodeobjects.com', 'endpoint', /in the EU/],
    ['endpoint: https://nyc3.digitaloceanspaces.com', 'endpoint', /in the EU/],
    ['endpoint: http://fsn1.your-objectstorage.com', 'endpoint', /in the EU/],
  ])('refuses %s', (line, field, message) => {
    const [key] = line.split(':');
    const text = VALID_YAML + S3.replace(new RegExp(`    ${key}: .*`), `    ${line}`);
    const problems = problemsOf(text);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`state.s3.${field}:`);
    expect(problems[0]).toMatch(message);
  });

  it.each(['https://s3.eu-central-1.amazonaws.com', 'https://s3.fr-par.scw.cloud', 'https://s3.gra.io.cloud.ovh.net', 'https://s3.eu-central-2.ionoscloud.com'])('accepts %s', (endpoint) => {
    expect(problemsOf(VALID_YAML + S3.replace(/endpoint: .*/, `endpoint: ${endpoint}`))).toEqual([]);
  });

  it('refuses credentials in the file', () => {
    expect(problemsOf(`${VALID_YAML + S3}    access_key: AKIA\n`)[0]).toMatch(/state.s3.access_key: unknown field/);
  });
});

describe('engine', () => {
  it('extracts the engine error and redacts known secrets', () => {
    const r = new Redactor();
    r.add('hunter2-secret');
    const text = 'Plan: 1 to add\n╷\n│ Error: local-exec provisioner error\n│ \n│ token hunter2-secret rejected\n╵\n';
    expect(r.redact(engineError(text))).toBe('Error: local-exec provisioner error\n\ntoken *** rejected');
  });
});
