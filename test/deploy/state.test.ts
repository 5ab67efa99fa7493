import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { backendConfigArgs, describeState, localStatePath, logDir, stateRoot } from '../../src/deploy/state';
import { deploymentStacks } from '../../src/deploy/stacks';
import { synthesize } from '../../stacks/synth';
import { specOf, tempDir, VALID_YAML, STATE_S3_YAML as S3 } from '../helpers';


describe('state location', () => {
  it('is ./state/<deployment>/<layer>.tfstate, overridable with SOVEREIGN_MATRIX_STATE_DIR', () => {
    expect(stateRoot({}, '/work')).toBe('/work/state');
    expect(stateRoot({ SOVEREIGN_MATRIX_STATE_DIR: '/srv/state' }, '/work')).toBe('/srv/state');
    expect(stateRoot({ SOVEREIGN_MATRIX_STATE_DIR: 'rel' }, '/work')).toBe('/work/rel');
    expect(localStatePath('/srv/state', 'ministry', 'infra')).toBe('/srv/state/ministry/infra.tfstate');
  });

  it('keeps the run logs next to the state, and says where the local state lives', () => {
    expect(logDir('/srv/state', 'ministry')).toBe('/srv/state/ministry/logs');
    expect(describeState(specOf(VALID_YAML), '/srv/state')).toBe('/srv/state/ministry/<layer>.tfstate');
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
});
