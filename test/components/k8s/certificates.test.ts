import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { namespaceName } from '../../../src/render/namespace';
import { specOf, VALID_YAML } from '../../helpers';
import { type Json, manifests, objects, ROOT, synth } from './helpers';

describe('certificates', () => {
  const agency = readFileSync(join(ROOT, 'deployments/agency-kubernetes.yaml'), 'utf8');
  const ingressOf = (json: Json) => Object.values(objects(json, 'Ingress'))[0];

  it("on k3s: Traefik's ACME resolver, no cert-manager objects", () => {
    const json = synth(specOf(VALID_YAML));
    const ingress = ingressOf(json);
    expect(ingress.metadata.annotations['traefik.ingress.kubernetes.io/router.tls.certresolver']).toBe('sovereign-matrix');
    expect(ingress.spec.tls[0].secretName).toBeUndefined();
    expect(manifests(json).map((m) => m.apiVersion)).not.toContain('cert-manager.io/v1');
  });

  it('on an existing cluster: a cert-manager ACME Issuer with the deployment ACME server, solving through its IngressClass', () => {
    const spec = specOf(agency);
    const json = synth(spec);
    const issuer = manifests(json).find((m) => m.kind === 'Issuer');
    expect(issuer).toMatchObject({
      apiVersion: 'cert-manager.io/v1',
      metadata: { name: 'sovereign-matrix-acme', namespace: namespaceName(spec) },
      spec: {
        acme: {
          server: 'https://acme.example-eu-ca.eu/directory',
          email: 'it-operations@agency.example.eu',
          solvers: [{ http01: { ingress: { ingressClassName: 'traefik' } } }],
        },
      },
    });
    const ingress = ingressOf(json);
    expect(ingress.metadata.annotations).toEqual({ 'cert-manager.io/issuer': 'sovereign-matrix-acme' });
    expect(ingress.spec.tls).toEqual([{ hosts: ingress.spec.rules.map((r: Json) => r.host), secretName: 'matrix-tls' }]);
    // No TURNS certificate from an HTTP-01 issuer: the challenge would not reach coturn's node.
    expect(manifests(json).find((m) => m.kind === 'Certificate')).toBeUndefined();
  });

  it("on an existing cluster with a ClusterIssuer: every certificate from it, TURN's included", () => {
    const text = agency.replace(/tls:\n  acme_server: .*\n/, 'tls:\n  cluster_issuer: agency-internal-ca\n');
    expect(text).not.toBe(agency);
    const spec = specOf(text);
    const json = synth(spec);
    expect(manifests(json).find((m) => m.kind === 'Issuer')).toBeUndefined();
    expect(ingressOf(json).metadata.annotations).toEqual({ 'cert-manager.io/cluster-issuer': 'agency-internal-ca' });
    const certificate = manifests(json).find((m) => m.kind === 'Certificate');
    expect(certificate).toMatchObject({
      metadata: { name: 'turn-tls', namespace: `${namespaceName(spec)}-turn` },
      spec: { secretName: 'turn-tls', dnsNames: [spec.hostnames.turn], issuerRef: { kind: 'ClusterIssuer', name: 'agency-internal-ca' } },
    });
    // The Secret the Certificate fills is the one coturn mounts.
    const coturn = objects(json, 'Deployment').coturn.spec.template.spec;
    expect(coturn.volumes.find((v: Json) => v.name === 'tls').secret.secretName).toBe('turn-tls');
  });

});
