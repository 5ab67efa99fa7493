import { LocalBackend, S3Backend, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import type { DeploymentSpec } from '../src/config/spec';
import { PROVIDER_VERSIONS } from '../src/versions';
import { stackName, type Layer } from './naming';

/**
 * Base of every stack: one deployment, one layer. The local backend gets a relative path so the
 * synthesized JSON does not depend on the directory it was synthesized in (cdktf's default is an
 * absolute path); `plan`/`deploy` point it at the deployment's state directory at init time.
 * With `state.s3` in the deployment file the backend is that bucket instead (see `addBackend`).
 */
export abstract class DeploymentStack extends TerraformStack {
  constructor(
    scope: Construct,
    readonly spec: DeploymentSpec,
    readonly layer: Layer,
  ) {
    super(scope, stackName(spec, layer));
    this.addBackend();
  }

  /**
   * The backend comes from the deployment file, so the JSON is complete and reviewable; it holds
   * no secret: the S3 credentials are read by the engine from AWS_ACCESS_KEY_ID and
   * AWS_SECRET_ACCESS_KEY at init. The checks an S3-compatible store cannot answer (AWS account
   * ID, AWS region list, AWS's checksum headers) are skipped; the region is the store's own.
   */
  private addBackend(): void {
    const state = this.spec.state;
    if (state.kind === 'local') {
      new LocalBackend(this, { path: 'terraform.tfstate' });
      return;
    }
    new S3Backend(this, {
      bucket: state.bucket,
      key: `${state.keyPrefix}/${this.layer}.tfstate`,
      region: state.region,
      endpoints: { s3: state.endpoint },
      usePathStyle: true,
      skipCredentialsValidation: true,
      skipRegionValidation: true,
      skipRequestingAccountId: true,
      skipMetadataApiCheck: true,
      skipS3Checksum: true,
    });
  }

  /**
   * Pins every required provider to the exact version in src/versions.ts, whatever version the
   * bindings were generated from, so the JSON names the binaries scripts/tools.sh builds.
   */
  toTerraform(): any {
    const tf = super.toTerraform();
    const required: Record<string, { source?: string; version?: string }> = tf.terraform?.required_providers ?? {};
    for (const [name, requirement] of Object.entries(required)) {
      // `kubernetes` means hashicorp/kubernetes to both engines; say so for the reader.
      if (requirement.source && !requirement.source.includes('/')) requirement.source = `hashicorp/${requirement.source}`;
      const version = PROVIDER_VERSIONS[name];
      if (!version) throw new Error(`provider ${name} has no pinned version in src/versions.ts`);
      requirement.version = version;
    }
    return tf;
  }
}
