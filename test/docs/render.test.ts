import type { ReferenceDocument } from '../../src/docs/document';
import { escapeHtml, toHtml, toMarkdown } from '../../src/docs/render';
import { generated } from './facts/helpers';

const DOC: ReferenceDocument = {
  title: 'Reference architecture: a <b> & "c"',
  intro: [{ kind: 'p', text: 'Runs `synapse` at **one** node, see https://example.eu/docs.' }],
  sections: [
    {
      id: 'cost',
      title: 'Cost',
      blocks: [
        { kind: 'table', head: ['item', 'EUR'], rows: [['server | cx33', '6.49'], ['line\nbreak', '1.00']] },
        { kind: 'list', items: ['first', 'second <script>'] },
      ],
    },
    { id: 'diagram', title: 'Diagram', blocks: [{ kind: 'diagram', caption: 'The stacks' }, { kind: 'table', head: ['', ''], rows: [['key', 'value']] }] },
  ],
};

describe('Markdown', () => {
  const md = toMarkdown(DOC, 'a.svg');

  it('has the title, a table of contents linking each section, and each section with its anchor', () => {
    expect(md.startsWith('# Reference architecture: a <b> & "c"\n\n')).toBe(true);
    expect(md).toContain('## Contents\n\n- [Cost](#cost)\n- [Diagram](#diagram)\n');
    expect(md).toContain('<a id="cost"></a>\n\n## Cost\n');
  });

  it('escapes pipes and line breaks inside table cells', () => {
    expect(md).toContain('| item | EUR |\n|---|---|\n| server \\| cx33 | 6.49 |\n| line<br>break | 1.00 |');
  });

  it('points at the SVG file written next to it, with the caption', () => {
    expect(md).toContain('![Architecture diagram](a.svg)\n\n*The stacks*');
  });

  it('never has more than one blank line in a row and ends with one newline', () => {
    expect(md).not.toMatch(/\n\n\n/);
    expect(md.endsWith('\n')).toBe(true);
    expect(md.endsWith('\n\n')).toBe(false);
  });
});

describe('HTML', () => {
  const svg = '<svg width="10pt"><g/></svg>\n';
  const html = toHtml(DOC, svg);

  it('escapes text, everywhere', () => {
    expect(escapeHtml('<a href="x">&</a>')).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;');
    expect(html).toContain('<title>Reference architecture: a &lt;b&gt; &amp; &quot;c&quot;</title>');
    expect(html).toContain('<li>second &lt;script&gt;</li>');
    expect(html).not.toContain('<script');
  });

  it('forbids every external request and loads nothing', () => {
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`);
    expect(html).not.toMatch(/<link |src="http/);
  });

  it('renders code, bold and bare URLs inline', () => {
    expect(html).toContain('<p>Runs <code>synapse</code> at <strong>one</strong> node, see <a href="https://example.eu/docs">https://example.eu/docs</a>.</p>');
  });

  it('inlines the diagram labelled for screen readers, with its caption', () => {
    expect(html).toContain('<figure>\n<div class="diagram">\n<svg role="img" aria-label="Architecture diagram" width="10pt"><g/></svg>\n</div>\n<figcaption>The stacks</figcaption>\n</figure>');
  });

  it('writes a table with an empty head as rows with a header cell', () => {
    expect(html).toContain('<thead><tr><th>item</th><th>EUR</th></tr></thead>');
    expect(html).toContain('<tbody>\n<tr><th>key</th><td>value</td></tr>\n</tbody>');
  });

  it('links each section from the navigation', () => {
    expect(html).toContain('<nav aria-label="Contents"><ol>\n<li><a href="#cost">Cost</a></li>\n<li><a href="#diagram">Diagram</a></li>\n</ol></nav>');
    expect(html).toContain('<section id="cost">\n<h2>Cost</h2>');
  });
});

describe('the HTML of a generated reference architecture', () => {
  it('the HTML has no script and loads nothing: inline CSS, inline SVG, a CSP that forbids fetches', () => {
    const html = generated('deployments/example.yaml').ref.files['ministry-example.html'];
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(|\ssrc=/i);
    expect(html).toContain("default-src 'none'");
    expect(html).toContain('<svg role="img"');
    for (const [, href] of html.matchAll(/href="([^"]*)"/g)) expect(href).toMatch(/^(#|https:\/\/)/);
    expect(html).not.toMatch(/<!DOCTYPE svg|<\?xml/);
  });
});
