import { deriveFacts } from '../../src/docs/facts/reference-facts';
import { architectureDot } from '../../src/docs/graph';
import { synthesizeForDocs } from '../../src/docs/read-back';
import { specOf, VALID_YAML } from '../helpers';

describe('the architecture diagram as DOT', () => {
  const synth = synthesizeForDocs(specOf(VALID_YAML));
  const facts = deriveFacts(synth);
  const dot = architectureDot(synth, facts);

  it('is one directed graph, laid out left to right', () => {
    expect(dot.startsWith('digraph architecture {\n')).toBe(true);
    expect(dot.trimEnd().endsWith('}')).toBe(true);
    expect(dot).toMatch(/graph \[.*rankdir="?LR"?/);
  });

  it('draws every flow of the facts as an edge, in the order of the facts', () => {
    expect(facts.flows.length).toBeGreaterThan(0);
    const edges = dot.split('\n').filter((l) => l.includes(' -> '));
    expect(edges).toHaveLength(facts.flows.length);
    facts.flows.forEach((flow, i) => {
      expect(edges[i]).toContain(`${JSON.stringify(flow.from)} -> ${JSON.stringify(flow.to)}`);
    });
  });

  it('declares a node for every end of a flow', () => {
    const declared = new Set([...dot.matchAll(/^\s+"([^"]+)" \[/gm)].map((m) => m[1]));
    for (const flow of facts.flows) {
      expect(declared).toContain(flow.from);
      expect(declared).toContain(flow.to);
    }
  });

  it('names the administration networks of the deployment file', () => {
    expect(dot).toContain('198.51.100.0/24');
  });

  it('is the same for the same deployment', () => {
    expect(architectureDot(synth, deriveFacts(synth))).toBe(dot);
  });
});
