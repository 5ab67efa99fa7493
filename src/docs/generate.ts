import type { DeploymentSpec } from '../config/spec';
import { buildDocument, type ReferenceDocument } from './document';
import { deriveFacts, type ReferenceFacts } from './facts/reference-facts';
import { architectureDot } from './graph';
import { layoutDot } from './graphviz';
import type { LivePrices } from './pricing-api';
import { synthesizeForDocs, type Synthesized } from './read-back';
import { toHtml, toMarkdown } from './render';

/** The files of one reference architecture, and what they were made from. */
export interface ReferenceArchitecture {
  readonly name: string;
  /** File name -> content: `<name>.md`, `<name>.html`, `<name>.svg`. */
  readonly files: Readonly<Record<string, string>>;
  readonly facts: ReferenceFacts;
  readonly document: ReferenceDocument;
  readonly dot: string;
  readonly svg: string;
}

export interface GenerateOptions {
  /** Prices read from the Hetzner API (`--refresh-prices`); default: the dated table. */
  readonly live?: LivePrices;
}

/** Synthesizes the deployment, reads the JSON back and writes the documents from it. */
export function generateReference(spec: DeploymentSpec, options: GenerateOptions = {}): ReferenceArchitecture {
  return generateFromSynthesized(synthesizeForDocs(spec), options);
}

/** The documents of an already synthesized deployment (tests pass altered stacks here). */
export function generateFromSynthesized(synth: Synthesized, options: GenerateOptions = {}): ReferenceArchitecture {
  const facts = deriveFacts(synth, { live: options.live });
  const dot = architectureDot(synth, facts);
  const layout = layoutDot(dot);
  const document = buildDocument(synth, facts, layout.version);
  const name = synth.spec.name;
  return {
    name,
    facts,
    document,
    dot,
    svg: layout.svg,
    files: {
      [`${name}.md`]: toMarkdown(document, `${name}.svg`),
      [`${name}.html`]: toHtml(document, layout.svg),
      [`${name}.svg`]: layout.svg,
    },
  };
}
