import type { Block, ReferenceDocument } from './document';

/** Markdown (GitHub flavour). The diagram is the SVG file written next to it. */
export function toMarkdown(doc: ReferenceDocument, svgFile: string): string {
  const out: string[] = [`# ${doc.title}`, ''];
  const blocks = (list: readonly Block[]) => {
    for (const block of list) {
      switch (block.kind) {
        case 'p':
          out.push(block.text, '');
          break;
        case 'list':
          out.push(...block.items.map((item) => `- ${item}`), '');
          break;
        case 'table':
          out.push(`| ${block.head.map(mdCell).join(' | ')} |`, `|${block.head.map(() => '---').join('|')}|`);
          out.push(...block.rows.map((row) => `| ${row.map(mdCell).join(' | ')} |`), '');
          break;
        case 'diagram':
          out.push(`![Architecture diagram](${svgFile})`, '', `*${block.caption}*`, '');
          break;
      }
    }
  };
  blocks(doc.intro);
  out.push('## Contents', '', ...doc.sections.map((s) => `- [${s.title}](#${s.id})`), '');
  for (const section of doc.sections) {
    out.push(`<a id="${section.id}"></a>`, '', `## ${section.title}`, '');
    blocks(section.blocks);
  }
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}

function mdCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, '<br>');
}

const CSS = `
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #1a202c; margin: 0; line-height: 1.45; background: #fff; }
main { max-width: 72rem; margin: 0 auto; padding: 1.5rem 2rem 4rem; }
h1 { font-size: 1.7rem; margin: 0.5rem 0 1rem; }
h2 { font-size: 1.3rem; margin-top: 2.2rem; padding-bottom: 0.25rem; border-bottom: 2px solid #e2e8f0; }
p { margin: 0.6rem 0; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.86em; background: #f1f5f9; padding: 0.05em 0.3em; border-radius: 3px; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; margin: 0.8rem 0 1.2rem; font-size: 0.88rem; }
th, td { border: 1px solid #e2e8f0; padding: 0.35rem 0.5rem; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
th { background: #f7fafc; }
tr:nth-child(even) td { background: #fbfdff; }
nav ol { columns: 2; font-size: 0.92rem; }
figure { margin: 1rem 0; }
figure .diagram { overflow-x: auto; border: 1px solid #e2e8f0; border-radius: 6px; padding: 0.5rem; }
figure svg { max-width: none; height: auto; }
figcaption { font-size: 0.85rem; color: #4a5568; margin-top: 0.4rem; }
a { color: #2b6cb0; }
@media print { main { max-width: none; padding: 0; } h2 { break-after: avoid; } table, figure { break-inside: avoid; } figure svg { max-width: 100%; } }
`.trim();

/** A self-contained HTML page: inline CSS, the diagram as inline SVG, no scripts, no external resources. */
export function toHtml(doc: ReferenceDocument, svg: string): string {
  const out: string[] = [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    // No request may leave the page: no scripts, no external fetches of any kind.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    `<title>${escapeHtml(doc.title)}</title>`,
    `<style>\n${CSS}\n</style>`,
    '</head>',
    '<body>',
    '<main>',
    `<h1>${escapeHtml(doc.title)}</h1>`,
  ];
  const blocks = (list: readonly Block[]) => {
    for (const block of list) {
      switch (block.kind) {
        case 'p':
          out.push(`<p>${inline(block.text)}</p>`);
          break;
        case 'list':
          out.push('<ul>', ...block.items.map((item) => `<li>${inline(item)}</li>`), '</ul>');
          break;
        case 'table': {
          const headless = block.head.every((h) => h === '');
          out.push('<table>');
          if (!headless) out.push(`<thead><tr>${block.head.map((h) => `<th>${inline(h)}</th>`).join('')}</tr></thead>`);
          out.push('<tbody>');
          for (const row of block.rows) {
            out.push(`<tr>${row.map((cell, i) => (headless && i === 0 ? `<th>${inline(cell)}</th>` : `<td>${inline(cell)}</td>`)).join('')}</tr>`);
          }
          out.push('</tbody>', '</table>');
          break;
        }
        case 'diagram':
          out.push('<figure>', `<div class="diagram">\n${htmlSvg(svg)}</div>`, `<figcaption>${inline(block.caption)}</figcaption>`, '</figure>');
          break;
      }
    }
  };
  blocks(doc.intro);
  out.push('<nav aria-label="Contents"><ol>', ...doc.sections.map((s) => `<li><a href="#${s.id}">${escapeHtml(s.title)}</a></li>`), '</ol></nav>');
  for (const section of doc.sections) {
    out.push(`<section id="${section.id}">`, `<h2>${escapeHtml(section.title)}</h2>`);
    blocks(section.blocks);
    out.push('</section>');
  }
  out.push('</main>', '</body>', '</html>', '');
  return out.join('\n');
}

/**
 * The SVG as an inline element at its own size, labelled for screen readers. Scaled down to the
 * page width, a deployment's diagram (about 2,300 pt wide) would set its labels at 4 px; at its own
 * size the page scrolls it sideways instead, and only print scales it to fit.
 */
function htmlSvg(svg: string): string {
  return svg.replace(/^<svg /, '<svg role="img" aria-label="Architecture diagram" ');
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** `code`, **bold** and bare URLs; everything else is escaped text. */
function inline(text: string): string {
  return text
    .split(/(`[^`]*`)/)
    .map((part) => {
      if (part.startsWith('`') && part.endsWith('`') && part.length >= 2) return `<code>${escapeHtml(part.slice(1, -1))}</code>`;
      return escapeHtml(part)
        .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
        .replace(/\bhttps:\/\/[a-z0-9-]+\.[^\s<>"()]*[^\s<>"().,;:]/g, (url) => `<a href="${url}">${url}</a>`);
    })
    .join('');
}
