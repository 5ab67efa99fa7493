/** Security controls (src/docs/facts/security-controls.ts): each control as the JSON or a rendered file states it. */
import { controls } from '../../../src/docs/facts/security-controls';
import { routes } from '../../../src/docs/facts/network-exposure';
import { workloadsOf } from '../../../src/docs/facts/workloads';
import { generateFromSynthesized, type ReferenceArchitecture } from '../../../src/docs/generate';
import { renderedFromJson, synthesizeForDocs, type Synthesized } from '../../../src/docs/read-back';
import { renderAll } from '../../../src/render';
import { specOf, VALID_YAML } from '../../helpers';
import { alter, generated, HETZNER_FILES, manifests } from './helpers';

describe.each(HETZNER_FILES)('security controls of %s', (file) => {
  it('reads the security controls from the rendered files inside the JSON, which are the files render writes', () => {
    const { synth, ref } = generated(file);
    for (const rendered of renderAll(synth.spec)) {
      const [service, name] = rendered.path.split('/');
      const fromJson = renderedFromJson(synth, service, name);
      if (fromJson !== undefined) expect(fromJson).toBe(rendered.content);
    }
    const federation = ref.facts.controls.find((c) => c.area === 'Federation')!.control;
    const mode = synth.spec.federation;
    if (mode.mode === 'closed') expect(federation).toContain('Closed');
    if (mode.mode === 'open') expect(federation).toContain('Open');
    if (mode.mode === 'allow_list') for (const server of mode.allow) expect(federation).toContain(server);
    const controls = ref.facts.controls.map((c) => c.control).join('\n');
    expect(controls).toContain('Registration in Synapse: off');
    expect(controls).toContain('Guest access: off');
    expect(controls).toContain('URL previews: off');
    expect(controls).toContain('No trusted key servers');
    expect(controls).toContain('No secret in homeserver.yaml');
    expect(controls).toContain('Pod Security Admission `restricted`');
    expect(ref.files[`${ref.name}.md`]).not.toMatch(/not implemented|not automated/);
    expect(ref.files[`${ref.name}.md`]).toContain('point-in-time recovery');
    // Where the backups are: data residency, third parties and the diagram, all from the rendered agent configuration.
    if (synth.spec.backup.enabled) {
      const { s3 } = synth.spec.backup;
      expect(ref.facts.backupResidency).toContain(`\`${s3.bucket}\` at ${s3.endpoint} (region \`${s3.region}\``);
      expect(ref.facts.endpoints.find((e) => e.purpose.startsWith('Backup bucket'))?.endpoint).toBe(`${s3.endpoint}/${s3.bucket}`);
      expect(ref.facts.flows.filter((f) => f.to === 'backup_bucket').map((f) => f.from).sort()).toEqual(['w_postgres', 'w_synapse']);
    }
  });
});

describe('a change to the stacks that the document must pick up', () => {
  const FILE = 'deployments/example.yaml';

  it('a TLS setting changed in the rendered homeserver.yaml inside the JSON shows in the controls', () => {
    const { synth } = generated(FILE);
    const changed = alter(synth, (stacks) => {
      const cm = manifests(stacks)['configmap_matrix-ministry-example_synapse-config'].manifest;
      cm.data['homeserver.yaml'] = cm.data['homeserver.yaml'].replace('url_preview_enabled: false', 'url_preview_enabled: true');
    });
    const ref = generateFromSynthesized(changed);
    expect(ref.facts.controls.map((c) => c.control).join('\n')).toContain('URL previews: on');
  });

  // The same alteration's other requests, in the sizing section, are tested in sizing.test.ts.
  it('a weaker container security context, Pod Security level or token mount and another Secret show in the controls', () => {
    const { synth, ref: before } = generated(FILE);
    const controls = (ref: ReferenceArchitecture) => ref.facts.controls.map((c) => c.control).join('\n');
    expect(controls(before)).toContain('17 of 17 containers run as non-root');
    expect(controls(before)).toContain('service account tokens not mounted in 9 of 9 workloads');
    expect(controls(before)).toContain('and 10 Kubernetes Secrets');
    const changed = alter(synth, (stacks) => {
      const m = manifests(stacks);
      const coturn = m['deployment_matrix-ministry-example-turn_coturn'].manifest.spec.template.spec;
      coturn.containers[0].securityContext.readOnlyRootFilesystem = false;
      coturn.automountServiceAccountToken = true;
      m['namespace_matrix-ministry-example'].manifest.metadata.labels['pod-security.kubernetes.io/enforce'] = 'baseline';
      m['secret_matrix-ministry-example_test-only'] = {
        manifest: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'test-only', namespace: 'matrix-ministry-example' }, data: { value: 'dGVzdA==' } },
      };
    });
    const ref = generateFromSynthesized(changed);
    expect(controls(ref)).toContain('16 of 17 containers run as non-root');
    expect(controls(ref)).toContain('service account tokens not mounted in 8 of 9 workloads');
    expect(controls(ref)).toContain('Pod Security Admission `baseline` enforced in namespace matrix-ministry-example');
    expect(controls(ref)).not.toContain('Pod Security Admission `restricted`');
    expect(controls(ref)).toContain('and 11 Kubernetes Secrets');
  });
});

describe('kubernetes target', () => {
  it('states certificates from the cert-manager Issuer the JSON names', () => {
    expect(generated('deployments/agency-kubernetes.yaml').ref.files['agency-k8s.md']).toContain('certificates from the cert-manager Issuer `sovereign-matrix-acme`');
  });
});

describe('controls', () => {
  const synth = synthesizeForDocs(specOf(VALID_YAML));
  const of = (s: Synthesized) => controls(s, workloadsOf(s), routes(s));

  it('reports a secret written inline into homeserver.yaml, by its key', () => {
    const changed = alter(synth, (stacks) => {
      const cm = manifests(stacks)['configmap_matrix-ministry_synapse-config'].manifest;
      cm.data['homeserver.yaml'] = `${cm.data['homeserver.yaml']}macaroon_secret_key: inline-value\n`;
    });
    const secrets = of(changed).filter((c) => c.area === 'Secrets').map((c) => c.control);
    expect(secrets).toContain('homeserver.yaml contains secret settings: macaroon_secret_key');
    expect(of(synth).find((c) => c.area === 'Secrets')?.control).toMatch(/^No secret in homeserver\.yaml/);
  });

  it('names the ports restricted to the administration networks in the firewall control', () => {
    const network = of(synth).find((c) => c.control.startsWith('Cloud firewall'));
    expect(network?.control).toContain('tcp/22, tcp/6443 only from 198.51.100.0/24');
    expect(network?.where).toBe('`hcloud_firewall.firewall` (ministry-infra)');
  });

  it('states open federation when homeserver.yaml has no whitelist', () => {
    const open = synthesizeForDocs(specOf(`${VALID_YAML}federation:\n  mode: open\n`));
    expect(of(open).find((c) => c.area === 'Federation')?.control).toMatch(/^Open: any Matrix server may federate/);
  });
});
