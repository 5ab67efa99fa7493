/** deriveFacts (src/docs/facts/reference-facts.ts): every family of facts, and the summary. */
import { deriveFacts } from '../../../src/docs/facts/reference-facts';
import { firewall } from '../../../src/docs/facts/network-exposure';
import { synthesizeForDocs } from '../../../src/docs/read-back';
import { specOf, VALID_YAML } from '../../helpers';
import { generated } from './helpers';

describe('deriveFacts', () => {
  const synth = synthesizeForDocs(specOf(VALID_YAML));
  const facts = deriveFacts(synth);
  const summary = Object.fromEntries(facts.summary);

  it('summarises where the deployment runs, from the server in the JSON', () => {
    expect(facts).toMatchObject({ name: 'ministry', serverName: 'ministry.example.eu', target: 'hetzner' });
    expect(summary['Runs on']).toBe('Hetzner Cloud, fsn1 (Falkenstein, Germany), one `cx43` server with k3s');
    expect(summary['Federation']).toBe('`closed`');
    expect(summary['Calls (TURN)']).toBe('on, relay ports 49160-49259/udp');
    expect(summary['Stacks']).toBe('`ministry-infra`, `ministry-apps`');
    expect(summary['Container images']).toBeUndefined();
  });

  it('derives every family from the same JSON', () => {
    expect(facts.firewall).toEqual(firewall(synth));
    expect(facts.workloads.length).toBeGreaterThan(0);
    expect(facts.flows.length).toBeGreaterThan(0);
    expect(facts.state).toHaveLength(2);
    expect(facts.cost?.total).toBeGreaterThan(0);
  });

  it('says calls are off, and where an existing cluster is reached and images are pulled from', () => {
    const noTurn = deriveFacts(synthesizeForDocs(specOf(`${VALID_YAML}calls:\n  turn: false\n`)));
    expect(Object.fromEntries(noTurn.summary)['Calls (TURN)']).toBe('off');
    const { synth: cluster } = generated('deployments/agency-kubernetes.yaml');
    const k8s = Object.fromEntries(deriveFacts(cluster).summary);
    expect(k8s['Runs on']).toMatch(/^an existing Kubernetes cluster \(kubeconfig context `[^`]+`\)$/);
    expect(k8s['Container images']).toBe('pulled through the registry mirror `registry.agency.example.eu/mirror` (`registry_mirror`)');
  });
});
