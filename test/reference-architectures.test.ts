/**
 * The committed reference architectures under docs/reference-architectures/ are what the kit
 * generates today from the three reference deployment files there. Any change to the stacks,
 * rendered configurations, versions or prices that alters them fails this test until they are
 * regenerated with the command it prints.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDeploymentFiles } from '../src/config/load';
import { generateReference } from '../src/docs/generate';

const DIR = join(__dirname, '..', 'docs', 'reference-architectures');
const PROFILES = ['small', 'medium', 'large'] as const;
const REGENERATE = 'npx sovereign-matrix docs docs/reference-architectures/reference-*.yaml --out docs/reference-architectures';

describe('committed reference architectures', () => {
  it.each(PROFILES)('%s is up to date (regenerate with: ' + REGENERATE + ')', (profile) => {
    const [{ spec }] = loadDeploymentFiles([join(DIR, `reference-${profile}.yaml`)]);
    expect(spec.name).toBe(profile);
    expect(spec.size.name).toBe(profile);
    const reference = generateReference(spec);
    for (const [name, content] of Object.entries(reference.files)) {
      const path = join(DIR, name);
      if (!existsSync(path)) throw new Error(`${path} is missing; run: ${REGENERATE}`);
      if (readFileSync(path, 'utf8') !== content) throw new Error(`${path} is out of date; run: ${REGENERATE}`);
    }
  });

  it('holds nothing but the reference deployment files, their documents and the README', () => {
    const expected = new Set(['README.md', ...PROFILES.flatMap((p) => [`reference-${p}.yaml`, `${p}.md`, `${p}.html`, `${p}.svg`])]);
    expect(new Set(readdirSync(DIR))).toEqual(expected);
  });
});
