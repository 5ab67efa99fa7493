import { buildDocument, regenerateCommand } from '../../src/docs/document';
import { deriveFacts } from '../../src/docs/facts/reference-facts';
import { synthesizeForDocs } from '../../src/docs/read-back';
import { specOf, VALID_YAML } from '../helpers';

describe('the reference document', () => {
  const synth = synthesizeForDocs(specOf(VALID_YAML));
  const facts = deriveFacts(synth);
  const doc = buildDocument(synth, facts, '9.8.7');
  const text = JSON.stringify(doc);

  it('is titled with the deployment and its server name', () => {
    expect(doc.title).toBe('Reference architecture: ministry (ministry.example.eu)');
  });

  it('has sections with unique ids, the diagram first, captioned with the Graphviz version', () => {
    const ids = doc.sections.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids[0]).toBe('diagram');
    expect(doc.sections[0].blocks[0]).toMatchObject({ kind: 'diagram', caption: expect.stringContaining('Graphviz 9.8.7') });
  });

  it('states how to regenerate it', () => {
    expect(regenerateCommand(facts)).toBe('npx sovereign-matrix docs <deployment file of ministry> --out <dir>');
    expect(text).toContain(regenerateCommand(facts).replace(/"/g, '\\"'));
  });

  it('has tables whose rows are as wide as their head', () => {
    const blocks = [...doc.intro, ...doc.sections.flatMap((s) => s.blocks)];
    for (const block of blocks) {
      if (block.kind !== 'table') continue;
      for (const row of block.rows) expect({ head: block.head, width: row.length }).toEqual({ head: block.head, width: block.head.length });
    }
  });
});
