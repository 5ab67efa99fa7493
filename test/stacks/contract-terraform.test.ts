/**
 * The contract as Terraform (stacks/contract-terraform.ts), on a bare cdktf stack: the outputs
 * exportContract makes and the variables importContract declares, each named, typed and marked
 * sensitive as the table in stacks/contract.ts says. Both real stacks are checked against each
 * other in contract.test.ts.
 */
import { TerraformOutput, TerraformStack, Testing } from 'cdktf';
import { exportContract, importContract } from '../../stacks/contract-terraform';
import { CLUSTER_CREDENTIALS, CONTRACT, type ContractKey } from '../../stacks/contract';

type Block = { value?: unknown; sensitive?: boolean; type?: string; nullable?: boolean; description?: string };
type Json = { output?: Record<string, Block>; variable?: Record<string, Block> };

const KEYS = Object.keys(CONTRACT) as ContractKey[];
/** A distinct, recognisable value per key, as the infra stack would pass its resources' attributes. */
const VALUES = Object.fromEntries(KEYS.map((key) => [key, `value-of-${key}`])) as Record<ContractKey, string>;

function synthOf(build: (stack: TerraformStack) => void): Json {
  const stack = new TerraformStack(Testing.app(), 'bare');
  build(stack);
  return JSON.parse(Testing.synth(stack)) as Json;
}

describe('exportContract', () => {
  const json = synthOf((stack) => exportContract(stack, VALUES));

  it('makes exactly one output per contract entry, under the entry’s output name, with the value given for its key', () => {
    expect(Object.keys(json.output ?? {}).sort()).toEqual(KEYS.map((key) => CONTRACT[key].output).sort());
    for (const key of KEYS) expect({ key, value: json.output![CONTRACT[key].output].value }).toEqual({ key, value: VALUES[key] });
    // The TURN address is the node's ipv4 output, not an output named after the variable.
    expect(json.output!.ipv4.value).toBe('value-of-turn_public_ipv4');
    expect(json.output!.turn_public_ipv4).toBeUndefined();
  });

  it('masks the client certificate and key only: the operator reads the API address, CA and IPv4 with `tofu output`', () => {
    const sensitive = Object.entries(json.output!).filter(([, o]) => o.sensitive === true).map(([name]) => name).sort();
    expect(sensitive).toEqual(['kube_client_certificate', 'kube_client_key']);
    expect(sensitive).toEqual(KEYS.filter((k) => CONTRACT[k].sensitive.output).map((k) => CONTRACT[k].output).sort());
    for (const name of ['kube_host', 'kube_cluster_ca_certificate', 'ipv4']) expect(json.output![name].sensitive).toBeUndefined();
  });

  it('describes each output as the table does', () => {
    for (const key of KEYS) expect(json.output![CONTRACT[key].output].description).toBe(CONTRACT[key].description.output);
  });
});

describe('importContract', () => {
  it('declares only the keys asked for, as non-nullable string variables named by the key', () => {
    let variables: Record<string, unknown> = {};
    const json = synthOf((stack) => {
      variables = importContract(stack, ['kube_host', 'turn_public_ipv4']);
    });
    expect(Object.keys(variables).sort()).toEqual(['kube_host', 'turn_public_ipv4']);
    expect(Object.keys(json.variable ?? {}).sort()).toEqual(['kube_host', 'turn_public_ipv4']);
    for (const name of ['kube_host', 'turn_public_ipv4'] as const) {
      expect(json.variable![name]).toMatchObject({ type: 'string', nullable: false, description: CONTRACT[name].description.variable });
    }
  });

  it('marks every cluster credential sensitive, so no plan prints how the apps stack reaches the cluster, and the TURN address not', () => {
    const json = synthOf((stack) => importContract(stack, KEYS));
    for (const key of CLUSTER_CREDENTIALS) expect({ key, sensitive: json.variable![key].sensitive }).toEqual({ key, sensitive: true });
    expect(json.variable!.turn_public_ipv4.sensitive).toBeUndefined();
    for (const key of KEYS) expect({ key, sensitive: json.variable![key].sensitive === true }).toEqual({ key, sensitive: CONTRACT[key].sensitive.variable });
  });

  it('gives references the apps stack’s resources can use: var.<key>', () => {
    const json = synthOf((stack) => {
      const { kube_host } = importContract(stack, ['kube_host']);
      new TerraformOutput(stack, 'uses', { value: kube_host.stringValue });
    });
    expect(json.output!.uses.value).toBe('${var.kube_host}');
  });

  it('declares nothing for no keys', () => {
    expect(synthOf((stack) => importContract(stack, [])).variable).toBeUndefined();
  });
});
