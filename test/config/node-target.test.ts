import { nodePlace, nodeTarget, ownsNode } from '../../src/config/node-target';
import type { DeploymentSpec } from '../../src/config/spec';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { specOf } from '../helpers';

const loadSpec = (file: string): DeploymentSpec => specOf(readFileSync(join(__dirname, '..', '..', file), 'utf8'));

describe('ownsNode', () => {
  it('is true where the kit builds the k3s node (Hetzner, OpenStack) and false on an existing cluster', () => {
    expect(ownsNode(loadSpec('deployments/example.yaml').target)).toBe(true);
    expect(ownsNode(loadSpec('deployments/ministry-openstack.yaml').target)).toBe(true);
    expect(ownsNode(loadSpec('deployments/agency-kubernetes.yaml').target)).toBe(false);
  });
});

describe('nodeTarget', () => {
  it('refuses a deployment on an existing cluster', () => {
    const spec = loadSpec('deployments/agency-kubernetes.yaml');
    expect(() => nodeTarget(spec)).toThrow(/builds no node on target kubernetes/);
  });
});

describe('nodePlace', () => {
  it('names cloud, place and size', () => {
    expect(nodePlace(nodeTarget(loadSpec('deployments/ministry-openstack.yaml')))).toMatch(/^openstack ovhcloud GRA11 b3-32$/);
    expect(nodePlace(nodeTarget(loadSpec('deployments/example.yaml')))).toMatch(/^hetzner fsn1 \w+$/);
  });
});
