/**
 * Pins every Terraform address of every example deployment, one file per stack:
 * test/terraform-addresses/<deployment file>-<layer>.txt, one address per line, sorted.
 *
 * An address is a resource's identity to Terraform: when it changes (a construct id, a resource
 * type, a name derived from the deployment file), the next `deploy` destroys the resource at the
 * old address and creates a new one, which for a volume, an address or a database means data loss.
 * A refactor must leave these files as they are. A deliberate change regenerates them with
 *
 *   UPDATE_ADDRESSES=1 npx jest test/terraform-addresses.test.ts
 *
 * and is reviewed in the diff of these files, with a `moved` block for every renamed resource.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Testing } from 'cdktf';
import { loadDeploymentFile } from '../src/config/load';
import { addDeploymentStacks } from '../stacks/synth';

const ROOT = join(__dirname, '..');
const PINS = join(__dirname, 'terraform-addresses');
const UPDATE = process.env.UPDATE_ADDRESSES === '1';
/** Every example deployment and valid fixture: a new one gets its pins on the first UPDATE_ADDRESSES run. */
const EXAMPLES = ['deployments', 'test/fixtures/valid'].flatMap((dir) =>
  readdirSync(join(ROOT, dir))
    .filter((name) => name.endsWith('.yaml'))
    .sort()
    .map((name) => `${dir}/${name}`),
);

type Blocks = Record<string, Record<string, unknown>>;

/** Every resource and data source address of a synthesized stack, sorted. */
function addresses(json: { resource?: Blocks; data?: Blocks }): string[] {
  const of = (blocks: Blocks | undefined, prefix: string) =>
    Object.entries(blocks ?? {}).flatMap(([type, byName]) => Object.keys(byName).map((name) => `${prefix}${type}.${name}`));
  return [...of(json.resource, ''), ...of(json.data, 'data.')].sort();
}

describe.each(EXAMPLES)('Terraform addresses of %s', (file) => {
  const spec = loadDeploymentFile(join(ROOT, file));
  const stacks = addDeploymentStacks(Testing.app(), spec);

  it.each(stacks.map((stack) => [stack.layer, stack] as const))('%s stack: every address is the pinned one', (layer, stack) => {
    const actual = addresses(JSON.parse(Testing.synth(stack)));
    expect(actual.length).toBeGreaterThan(0);
    const pin = join(PINS, `${basename(file, '.yaml')}-${layer}.txt`);
    if (UPDATE) {
      mkdirSync(PINS, { recursive: true });
      writeFileSync(pin, `${actual.join('\n')}\n`);
    }
    if (!existsSync(pin)) throw new Error(`${pin} is missing: run UPDATE_ADDRESSES=1 npx jest test/terraform-addresses.test.ts and commit it`);
    const pinned = readFileSync(pin, 'utf8').split('\n').filter(Boolean);
    const gone = pinned.filter((address) => !actual.includes(address));
    const added = actual.filter((address) => !pinned.includes(address));
    if (gone.length > 0 || added.length > 0) {
      throw new Error(
        [
          `The Terraform addresses of ${file} (${layer} stack) changed.`,
          'Terraform destroys the resource at a vanished address and creates one at the new address: for a volume, an IP or a database that is data loss.',
          'Add a `moved` block for every renamed resource, or, when the change is deliberate, regenerate the pins with',
          '  UPDATE_ADDRESSES=1 npx jest test/terraform-addresses.test.ts',
          'and review the diff of test/terraform-addresses/.',
          ...gone.map((address) => `  - ${address} (destroyed)`),
          ...added.map((address) => `  + ${address} (created)`),
        ].join('\n'),
      );
    }
    expect(actual).toEqual(pinned);
  });
});
