import { buildDocument, regenerateCommand } from '../../src/docs/document';
import { deriveFacts } from '../../src/docs/facts/reference-facts';
import { synthesizeForDocs } from '../../src/docs/read-back';
import { generateFromSynthesized } from '../../src/docs/generate';
import { specOf, VALID_YAML } from '../helpers';
import { alter, generated, manifests } from './facts/helpers';

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

describe('the cost section of a deployment on an existing cluster', () => {
  it('asks the cluster for the claims of the PersistentVolumeClaims and StatefulSet volume claim templates in the JSON', () => {
    const { synth, ref } = generated('deployments/agency-kubernetes.yaml');
    expect(ref.files['agency-k8s.md']).toContain('| PersistentVolumeClaim synapse-data | 100Gi | `kubernetes_manifest.persistentvolumeclaim_matrix-agency-k8s_synapse-data` (agency-k8s-apps) |');
    const changed = alter(synth, (stacks) => {
      const postgres = manifests(stacks)['statefulset_matrix-agency-k8s_postgres'].manifest;
      postgres.spec.volumeClaimTemplates[0].spec.resources.requests.storage = '123Gi';
    });
    expect(generateFromSynthesized(changed).files['agency-k8s.md']).toContain('| Volume claim template postgres/data | 123Gi | `kubernetes_manifest.statefulset_matrix-agency-k8s_postgres` (agency-k8s-apps) |');
    expect(ref.files['agency-k8s.md']).toContain('| Volume claim template postgres/data | 80Gi |');
  });
});
