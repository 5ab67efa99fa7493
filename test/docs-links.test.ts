import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\- _]/gu, '')
    .replace(/ /g, '-');
}

function anchorsOf(file: string): Set<string> {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set([...text.matchAll(/^#{1,6} (.*)$/gm)].map((m) => anchor(m[1])).concat([...text.matchAll(/<a id="([^"]+)">/g)].map((m) => m[1])));
}

test('every relative link of the README and docs/ reaches a file, and its #anchor a heading there', () => {
  const root = join(__dirname, '..');
  const pages = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];
  const broken: string[] = [];
  let checked = 0;
  for (const page of pages) {
    const text = readFileSync(join(root, page), 'utf8').replace(/```[\s\S]*?```/g, '');
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target)) continue;
      const [path, hash] = target.split('#');
      const file = path ? resolve(dirname(join(root, page)), path) : join(root, page);
      checked++;
      if (!existsSync(file)) broken.push(`${page}: ${target} (no such file)`);
      else if (hash && file.endsWith('.md') && !anchorsOf(file).has(hash)) broken.push(`${page}: ${target} (no such heading)`);
    }
  }
  expect(checked).toBeGreaterThan(30);
  expect(broken).toEqual([]);
});

test('every repository path a page or a source comment names as text (src/…, test/…, scripts/…) exists', () => {
  // Moves (the layers of #17, tests mirroring src/) leave plain-text paths behind that no link check sees.
  const root = join(__dirname, '..');
  const texts = [
    'README.md',
    ...readdirSync(join(root, 'docs'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.md')).map((f) => join('docs', f)),
    ...['src', 'stacks', 'scripts']
      .flatMap((dir) => readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' }).map((f) => join(dir, f)))
      .filter((f) => /\.(ts|js|sh)$/.test(f) && !f.includes('providers/hcloud/bindings')),
  ];
  const missing: string[] = [];
  let checked = 0;
  for (const file of texts) {
    const text = readFileSync(join(root, file), 'utf8');
    for (const [path] of text.matchAll(/(?<![\w./-])(?:src|test|stacks|scripts)\/[\w./-]+\.(?:ts|js|sh|json|md)\b/g)) {
      // Synthesized output (stacks/<name>-<layer>/cdk.tf.json) is no repository path.
      if (path.endsWith('/cdk.tf.json')) continue;
      checked++;
      // A compiled path (dist/src/…/x.js) names its source x.ts.
      const exists = existsSync(join(root, path)) || (path.endsWith('.js') && existsSync(join(root, path.replace(/\.js$/, '.ts'))));
      if (!exists) missing.push(`${file}: ${path}`);
    }
  }
  expect(checked).toBeGreaterThan(50);
  expect(missing).toEqual([]);
});
