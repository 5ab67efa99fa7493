import type { Construct } from 'constructs';
import type { DeploymentSpec } from '../src/config/spec';
import { DeploymentStack } from './deployment-stack';

/** Hetzner Cloud infrastructure of one deployment (built out by the infrastructure issue). */
export class HetznerInfraStack extends DeploymentStack {
  constructor(scope: Construct, spec: DeploymentSpec) {
    super(scope, spec, 'infra');
  }
}
