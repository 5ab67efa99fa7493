/** The sizing section (src/docs/facts/sizing.ts): the profile's figures, what is deployed, node or cluster capacity. */
import { sizing } from '../../../src/docs/facts/sizing';
import { workloadsOf } from '../../../src/docs/facts/workloads';
import { generateFromSynthesized } from '../../../src/docs/generate';
import { synthesizeForDocs } from '../../../src/docs/read-back';
import { specOf, VALID_YAML } from '../../helpers';
import { alter, generated, manifests } from './helpers';

describe('a change to the stacks that the document must pick up', () => {
  it('other requests of the Synapse container show in the sizing', () => {
    const { synth } = generated('deployments/example.yaml');
    const changed = alter(synth, (stacks) => {
      manifests(stacks)['deployment_matrix-ministry-example_synapse'].manifest.spec.template.spec.containers[0].resources.requests = { cpu: '1500m', memory: '3Gi' };
    });
    const ref = generateFromSynthesized(changed);
    expect(ref.facts.sizing.rows.find(([k]) => k.startsWith('Synapse'))?.[1]).toContain('deployed: 1500m CPU, 3Gi memory requested');
  });
});

describe('sizing', () => {
  const row = (rows: readonly [string, string][], key: string) => rows.find(([k]) => k === key)?.[1];

  it('states the profile, the deployed requests, the node requirement and why the server type was chosen', () => {
    const synth = synthesizeForDocs(specOf(VALID_YAML));
    const facts = sizing(synth, workloadsOf(synth));
    expect(facts).toMatchObject({ profile: 'small', users: '1-500', federation: 'closed' });
    expect(row(facts.rows, 'Users')).toBe('1–500 (profile `small`)');
    expect(row(facts.rows, 'Synapse (Element ESS sizing)')).toBe('2 vCPU, 2 GiB; deployed: 2 CPU, 2Gi memory requested');
    expect(row(facts.rows, 'Node requirement')).toMatch(/^5 vCPU, 11 GiB: /);
    expect(row(facts.rows, 'Hetzner server')).toMatch(/^`cx43` \(8 vCPU shared, 16 GB, x86\): the smallest cost-optimised shared type/);
    expect(row(facts.rows, 'Data volume')).toBe('50 GiB (profile default 50 GiB): PostgreSQL 40 %, media 50 %, the rest headroom');
    expect(row(facts.rows, 'Cluster capacity')).toBeUndefined();
  });

  it('says when target.hetzner.server_type overrides the profile', () => {
    const synth = synthesizeForDocs(specOf(VALID_YAML.replace('    location: fsn1\n', '    location: fsn1\n    server_type: cx53\n')));
    expect(row(sizing(synth, workloadsOf(synth)).rows, 'Hetzner server')).toContain('set by target.hetzner.server_type (the profile would choose `cx43`)');
  });

  it('states the cluster capacity to reserve on an existing cluster, and no server or volume', () => {
    const { synth } = generated('deployments/agency-kubernetes.yaml');
    const rows = sizing(synth, workloadsOf(synth)).rows;
    expect(row(rows, 'Cluster capacity')).toMatch(/^at least [\d.]+ vCPU and [\d.]+ GiB schedulable for this deployment/);
    expect(row(rows, 'Hetzner server')).toBeUndefined();
    expect(row(rows, 'Data volume')).toBeUndefined();
  });
});
