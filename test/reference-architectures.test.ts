/**
 * The committed reference architectures under docs/reference-architectures/ are what the kit
 * generates today from the reference deployment files there (three size profiles on Hetzner, and
 * the small profile on an OpenStack cloud). Any change to the stacks,
 * rendered configurations, versions or prices that alters them fails this test until they are
 * regenerated with the command it prints.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDeploymentFiles } from '../src/config/load';
import { generateReference } from '../src/docs/generate';

const DIR = join(__dirname, '..', 'docs', 'reference-architectures');
/** Reference deployment -> its size profile: one per profile on Hetzner, and the small one on OpenStack. */
const REFERENCES: Readonly<Record<string, string>> = { small: 'small', medium: 'medium', large: 'large', openstack: 'small' };
const REGENERATE = 'npx sovereign-matrix docs docs/reference-architectures/reference-*.yaml --out docs/reference-architectures';

describe('committed reference architectures', () => {
  it.each(Object.keys(REFERENCES))('%s is up to date (regenerate with: ' + REGENERATE + ')', (name) => {
    const [{ spec }] = loadDeploymentFiles([join(DIR, `reference-${name}.yaml`)]);
    expect(spec.name).toBe(name);
    expect(spec.size.name).toBe(REFERENCES[name]);
    const reference = generateReference(spec);
    for (const [name, content] of Object.entries(reference.files)) {
      const path = join(DIR, name);
      if (!existsSync(path)) throw new Error(`${path} is missing; run: ${REGENERATE}`);
      if (readFileSync(path, 'utf8') !== content) throw new Error(`${path} is out of date; run: ${REGENERATE}`);
    }
  });

  it('holds nothing but the reference deployment files, their documents and the README', () => {
    const expected = new Set(['README.md', ...Object.keys(REFERENCES).flatMap((p) => [`reference-${p}.yaml`, `${p}.md`, `${p}.html`, `${p}.svg`])]);
    expect(new Set(readdirSync(DIR))).toEqual(expected);
  });
});
