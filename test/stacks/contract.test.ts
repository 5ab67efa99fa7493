/**
 * The infra→apps contract (stacks/contract.ts): what the synthesized infra stack exports is what
 * the synthesized apps stack takes, and deploy hands each output to the variable it feeds.
 */
import { join } from 'node:path';
import { Testing } from 'cdktf';
import { loadDeploymentFile } from '../../src/config/load';
import type { DeploymentSpec } from '../../src/config/spec';
import { appsInputs, operatorSecrets } from '../../src/deploy/stacks';
import { TURN_PUBLIC_IPV4_ENV } from '../../src/operations/requirements';
import { AppsStack } from '../../stacks/apps';
import { appsContractKeys, CONTRACT } from '../../stacks/contract';
import { HetznerInfraStack } from '../../stacks/hetzner-infra';
import { OpenStackInfraStack } from '../../stacks/openstack-infra';

const ROOT = join(__dirname, '..', '..');

type Block = { sensitive?: boolean; type?: string; nullable?: boolean; description?: string };
type Json = { output?: Record<string, Block>; variable?: Record<string, Block> };

function synthBoth(spec: DeploymentSpec): { infra: Json; apps: Json } {
  return {
    infra: JSON.parse(Testing.synth(spec.target.kind === 'openstack' ? new OpenStackInfraStack(Testing.app(), spec) : new HetznerInfraStack(Testing.app(), spec))),
    apps: JSON.parse(Testing.synth(new AppsStack(Testing.app(), spec))),
  };
}

/** Each apps variable fed from the infra stack, with the output feeding it and both sides' sensitivity, as synthesized. */
function handOver(spec: DeploymentSpec, { infra, apps }: { infra: Json; apps: Json }) {
  const fromOperator = Object.keys(operatorSecrets(spec));
  return Object.keys(apps.variable ?? {})
    .filter((variable) => !fromOperator.includes(variable))
    .map((variable) => {
      const output = appsInputs(spec)[variable];
      return {
        variable,
        output,
        exported: output !== undefined && infra.output?.[output] !== undefined,
        outputSensitive: Boolean(output && infra.output?.[output]?.sensitive),
        variableSensitive: Boolean(apps.variable![variable].sensitive),
      };
    });
}

describe.each(['deployments/example.yaml', 'deployments/ministry-openstack.yaml'])('the infra stack exports exactly what the apps stack takes (%s)', (file) => {
  const spec = loadDeploymentFile(join(ROOT, file));
  const stacks = synthBoth(spec);

  it('every apps variable not given by the operator is an infra output, secret outputs into sensitive variables', () => {
    expect(handOver(spec, stacks).sort((a, b) => a.variable.localeCompare(b.variable))).toEqual([
      { variable: 'kube_client_certificate', output: 'kube_client_certificate', exported: true, outputSensitive: true, variableSensitive: true },
      { variable: 'kube_client_key', output: 'kube_client_key', exported: true, outputSensitive: true, variableSensitive: true },
      { variable: 'kube_cluster_ca_certificate', output: 'kube_cluster_ca_certificate', exported: true, outputSensitive: false, variableSensitive: true },
      { variable: 'kube_host', output: 'kube_host', exported: true, outputSensitive: false, variableSensitive: true },
      { variable: 'turn_public_ipv4', output: 'ipv4', exported: true, outputSensitive: false, variableSensitive: false },
    ]);
  });

  it('both sides are the contract: names, types and sensitivity', () => {
    for (const [key, entry] of Object.entries(CONTRACT)) {
      const output = stacks.infra.output![entry.output];
      expect({ key, sensitive: Boolean(output.sensitive), description: output.description }).toEqual({ key, sensitive: entry.sensitive.output, description: entry.description.output });
      const variable = stacks.apps.variable![key];
      expect({ key, type: variable.type, nullable: variable.nullable, sensitive: Boolean(variable.sensitive) }).toEqual({ key, type: entry.type, nullable: false, sensitive: entry.sensitive.variable });
    }
  });
});

describe.each(['test/fixtures/valid/minimal-hetzner.yaml', 'test/fixtures/valid/no-turn-allow-list.yaml'])('the hand-over of %s', (file) => {
  const spec = loadDeploymentFile(join(ROOT, file));

  it('feeds every apps variable from an infra output; TURN only where calls.turn is on', () => {
    const handed = handOver(spec, synthBoth(spec));
    expect(handed.map((h) => h.variable).sort()).toEqual([...appsContractKeys(spec)].sort());
    expect(handed.filter((h) => !h.exported)).toEqual([]);
    expect(handed.filter((h) => h.outputSensitive && !h.variableSensitive)).toEqual([]);
    expect(handed.some((h) => h.variable === 'turn_public_ipv4')).toBe(spec.calls.turn);
  });
});

describe('an existing cluster', () => {
  it('takes only the TURN address, from the operator, through the variable the requirement names', () => {
    const spec = loadDeploymentFile(join(ROOT, 'deployments/agency-kubernetes.yaml'));
    const apps = JSON.parse(Testing.synth(new AppsStack(Testing.app(), spec))) as Json;
    const fromOperator = Object.keys(operatorSecrets(spec));
    expect(Object.keys(apps.variable ?? {}).filter((v) => !fromOperator.includes(v))).toEqual(['turn_public_ipv4']);
    expect(TURN_PUBLIC_IPV4_ENV).toBe('TF_VAR_turn_public_ipv4');
  });
});
