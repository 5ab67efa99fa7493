import { Testing, TerraformProvider } from 'cdktf';
import type { Construct } from 'constructs';
import { DeploymentStack } from '../../stacks/deployment-stack';
import type { DeploymentSpec } from '../../src/config/spec';
import { PROVIDER_VERSIONS } from '../../src/versions';
import { specOf, VALID_YAML } from '../helpers';

const S3_STATE = 'state:\n  s3:\n    endpoint: https://fsn1.your-objectstorage.com\n    bucket: ministry-state\n    region: fsn1\n';

/** A provider of the given name, as a generated binding would declare it. */
class SomeProvider extends TerraformProvider {
  constructor(scope: Construct, name: string, source: string) {
    super(scope, name, { terraformResourceType: name, terraformGeneratorMetadata: { providerName: name, providerVersionConstraint: '~> 0.1' }, terraformProviderSource: source });
  }
}

/** The smallest stack: a deployment layer with the given providers. */
class TestStack extends DeploymentStack {
  constructor(scope: Construct, spec: DeploymentSpec, providers: [string, string][] = []) {
    super(scope, spec, 'apps');
    for (const [name, source] of providers) new SomeProvider(this, name, source);
  }
}

const synth = (stack: DeploymentStack) => JSON.parse(Testing.synth(stack));

describe('DeploymentStack', () => {
  it('is named after its deployment and layer', () => {
    const stack = new TestStack(Testing.app(), specOf(VALID_YAML));
    expect(stack.node.id).toBe('ministry-apps');
    expect(stack.layer).toBe('apps');
  });

  it('keeps local state at a relative path, whatever directory it is synthesized in', () => {
    expect(synth(new TestStack(Testing.app(), specOf(VALID_YAML))).terraform.backend).toEqual({ local: { path: 'terraform.tfstate' } });
  });

  it('puts each layer under its own key of the S3 state bucket, with no credentials and the AWS-only checks off', () => {
    const spec = specOf(VALID_YAML + S3_STATE);
    const backend = synth(new TestStack(Testing.app(), spec)).terraform.backend;
    expect(Object.keys(backend)).toEqual(['s3']);
    expect(backend.s3).toMatchObject({
      bucket: 'ministry-state',
      key: 'sovereign-matrix/ministry/apps.tfstate',
      region: 'fsn1',
      endpoints: { s3: 'https://fsn1.your-objectstorage.com' },
      use_path_style: true,
      skip_credentials_validation: true,
      skip_region_validation: true,
      skip_requesting_account_id: true,
    });
    expect(Object.keys(backend.s3).filter((k) => /access|secret|token/.test(k))).toEqual([]);
  });

  it('pins every provider to the exact version in src/versions.ts and names its full source', () => {
    const json = synth(new TestStack(Testing.app(), specOf(VALID_YAML), [['kubernetes', 'kubernetes'], ['hcloud', 'hetznercloud/hcloud']]));
    expect(json.terraform.required_providers).toEqual({
      kubernetes: { source: 'hashicorp/kubernetes', version: PROVIDER_VERSIONS.kubernetes },
      hcloud: { source: 'hetznercloud/hcloud', version: PROVIDER_VERSIONS.hcloud },
    });
  });

  it('refuses a provider that has no pinned version', () => {
    expect(() => synth(new TestStack(Testing.app(), specOf(VALID_YAML), [['unpinned', 'example/unpinned']]))).toThrow(/provider unpinned has no pinned version in src\/versions\.ts/);
  });
});
