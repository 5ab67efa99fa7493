import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import schema from '../../src/config/deployment.schema.json';
import { fieldReference } from '../../src/docs/field-reference';

const PAGE = join(__dirname, '..', '..', 'docs', 'deployment-file.md');

test('docs/deployment-file.md is generated from the schema and up to date (regenerate with: npm run docs:fields)', () => {
  expect(readFileSync(PAGE, 'utf8')).toBe(fieldReference());
});

test('the reference lists every field of the schema, nested ones by their dotted path, with required ones marked', () => {
  const page = fieldReference();
  const paths: string[] = [];
  const walk = (node: any, prefix: string) => {
    for (const [key, child] of Object.entries<any>(node.properties ?? {})) {
      const path = prefix ? `${prefix}.${key}` : key;
      paths.push(path);
      const resolved = child.$ref ? (schema as any).definitions[child.$ref.replace('#/definitions/', '')] : child;
      if (resolved.properties) walk(resolved, path);
    }
  };
  walk(schema, '');
  expect(paths.length).toBeGreaterThan(60);
  for (const path of paths) expect(page).toContain(`| \`${path}\` |`);
  for (const required of (schema as any).required) expect(page).toContain(`| \`${required}\` | yes |`);
  // Allowed values and the schema's own explanations of a pattern reach the page.
  expect(page).toContain('| `size` |  | `small`, `medium`, `large` |');
  expect(page).toContain('Default: `small`.');
  expect(page).toMatch(/\| `backup\.s3\.endpoint` \| yes \| string: an https:\/\/ S3 endpoint in the EU/);
});
