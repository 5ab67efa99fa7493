import { TerraformOutput, TerraformVariable } from 'cdktf';
import type { Construct } from 'constructs';
import { CONTRACT, type ContractKey } from './contract';

/**
 * The infra→apps contract (stacks/contract.ts) as Terraform: the infra stack's outputs and the
 * apps stack's variables are both made here from the one table, so a name, type or sensitivity
 * cannot differ between the side that exports a value and the side that takes it.
 */

/** Creates one output per contract entry on the infra stack. */
export function exportContract(stack: Construct, values: Readonly<Record<ContractKey, string>>): void {
  for (const key of Object.keys(CONTRACT) as ContractKey[]) {
    const entry = CONTRACT[key];
    new TerraformOutput(stack, entry.output, {
      value: values[key],
      ...(entry.sensitive.output ? { sensitive: true } : {}),
      description: entry.description.output,
    });
  }
}

/** Declares the given contract entries as variables of the apps stack. */
export function importContract<K extends ContractKey>(stack: Construct, keys: readonly K[]): Record<K, TerraformVariable> {
  const variables = {} as Record<K, TerraformVariable>;
  for (const key of keys) {
    const entry = CONTRACT[key];
    variables[key] = new TerraformVariable(stack, key, {
      type: entry.type,
      ...(entry.sensitive.variable ? { sensitive: true } : {}),
      nullable: false,
      description: entry.description.variable,
    });
  }
  return variables;
}
