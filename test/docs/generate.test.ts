import { generateFromSynthesized, generateReference } from '../../src/docs/generate';
import { synthesizeForDocs } from '../../src/docs/read-back';
import { specOf, VALID_YAML } from '../helpers';
import { generated, specOfFile } from './facts/helpers';

jest.setTimeout(60_000);

describe('generating a reference architecture', () => {
  const spec = specOf(VALID_YAML);
  const reference = generateReference(spec);

  it('writes <name>.md, <name>.html and <name>.svg', () => {
    expect(reference.name).toBe('ministry');
    expect(Object.keys(reference.files).sort()).toEqual(['ministry.html', 'ministry.md', 'ministry.svg']);
  });

  it('links the SVG file from the Markdown and inlines the same SVG in the HTML', () => {
    expect(reference.files['ministry.svg']).toBe(reference.svg);
    expect(reference.files['ministry.md']).toContain('![Architecture diagram](ministry.svg)');
    const inlined = reference.svg.replace(/^<svg /, '<svg role="img" aria-label="Architecture diagram" ');
    expect(reference.files['ministry.html']).toContain(inlined);
    expect(reference.files['ministry.md']).toContain(`# ${reference.document.title}`);
  });

  it('is the same from an already synthesized deployment', () => {
    expect(generateFromSynthesized(synthesizeForDocs(spec)).files).toEqual(reference.files);
  });
});

describe('determinism', () => {
  it('the same deployment gives byte-identical Markdown, HTML and SVG', () => {
    const spec = specOfFile('deployments/example.yaml');
    const first = generateFromSynthesized(synthesizeForDocs(spec)).files;
    const second = generated('deployments/example.yaml').ref.files;
    expect(Object.keys(first)).toEqual(['ministry-example.md', 'ministry-example.html', 'ministry-example.svg']);
    for (const name of Object.keys(first)) expect(first[name]).toBe(second[name]);
  });
});
