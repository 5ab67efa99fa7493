/** Third-party endpoints (src/docs/facts/third-party-endpoints.ts): everything outside the deployment it contacts. */
import { acmeServerOf } from '../../../src/docs/facts/platform';
import { endpoints } from '../../../src/docs/facts/third-party-endpoints';
import { workloadsOf } from '../../../src/docs/facts/workloads';
import { synthesizeForDocs } from '../../../src/docs/read-back';
import { images } from '../../../src/versions';
import { specOf, VALID_YAML } from '../../helpers';
import { FOREIGN_HOSTS } from '../../render/fixtures';
import { generated, HETZNER_FILES } from './helpers';

describe.each(HETZNER_FILES)('third-party endpoints of %s', (file) => {
  it('lists the ACME server, the k3s installer, every registry and the Hetzner API as third-party endpoints', () => {
    const { synth, ref } = generated(file);
    const endpoints = ref.facts.endpoints.map((e) => e.endpoint);
    expect(acmeServerOf(synth)).toBe(synth.spec.tls.acmeServer);
    expect(endpoints).toContain(synth.spec.tls.acmeServer);
    expect(endpoints).toContain(`https://raw.githubusercontent.com/k3s-io/k3s/${synth.spec.versions.k3s}/install.sh`);
    for (const image of Object.values(images(synth.spec.versions))) {
      if (ref.facts.workloads.some((w) => w.images.includes(image))) expect(endpoints).toContain(image.split('/')[0]);
    }
    expect(endpoints).toContain('https://api.hetzner.cloud/v1');
    expect(ref.files[`${ref.name}.md`]).toContain(synth.spec.tls.acmeServer);
  });
});

describe('kubernetes target', () => {
  it('takes the ACME server from the cert-manager Issuer in the JSON, not from the deployment file, and names the OIDC issuer', () => {
    const { ref } = generated('deployments/agency-kubernetes.yaml');
    const md = ref.files['agency-k8s.md'];
    expect(md).toContain('| https://acme.example-eu-ca.eu/directory | ACME certificate authority: TLS certificates for every public hostname (HTTP-01 challenge through the IngressClass) | cert-manager in the operator’s cluster | `kubernetes_manifest.issuer_matrix-agency-k8s_sovereign-matrix-acme` (spec.acme.server) |');
    expect(md).toContain('https://login.agency.example.eu/realms/staff');
  });
});

describe('endpoints of the default deployment', () => {
  const synth = synthesizeForDocs(specOf(VALID_YAML));
  const list = endpoints(synth, workloadsOf(synth));

  it('lists the backup bucket, contacted by the backup agents, as read from the rendered configuration', () => {
    const bucket = list.filter((e) => e.purpose.startsWith('Backup bucket'));
    expect(bucket).toEqual([
      expect.objectContaining({
        endpoint: 'https://fsn1.your-objectstorage.com/ministry-backups',
        contactedBy: 'the backup agents beside PostgreSQL and Synapse',
        derivedFrom: '`kubernetes_manifest.configmap_matrix-ministry_backup-config` (pgbackrest.conf, backup.env)',
      }),
    ]);
  });

  it('contacts nothing foreign: no matrix.org, Element or analytics host, and every URL is the CA, k3s, Hetzner or the bucket', () => {
    const named = list.map((e) => e.endpoint).join('\n');
    for (const host of FOREIGN_HOSTS) expect(named).not.toContain(host);
    const hosts = list.filter((e) => /^https?:\/\//.test(e.endpoint)).map((e) => new URL(e.endpoint).hostname);
    expect(new Set(hosts)).toEqual(new Set(['acme-v02.api.letsencrypt.org', 'raw.githubusercontent.com', 'github.com', 'api.hetzner.cloud', 'fsn1.your-objectstorage.com']));
    // Federation is closed by default: no other homeserver is contacted.
    expect(list.find((e) => e.contactedBy === 'Synapse')?.endpoint).toBe('none (federation closed)');
  });

  it('names each endpoint once: the restic repository under the bucket is the bucket, not a stray URL', () => {
    const objectStorage = list.filter((e) => e.endpoint.includes('your-objectstorage.com'));
    expect(objectStorage.map((e) => e.endpoint)).toEqual(['https://fsn1.your-objectstorage.com/ministry-backups']);
    expect(list.filter((e) => e.purpose === 'URL in a rendered configuration')).toEqual([]);
  });

  it('still lists a URL in a rendered configuration that no other row names', () => {
    const withUrl = synthesizeForDocs(specOf(`${VALID_YAML}extra:
  synapse:
    url_preview_url_blacklist: []
    web_client_location: https://elsewhere.example.org/app
`));
    const stray = endpoints(withUrl, workloadsOf(withUrl)).filter((e) => e.purpose === 'URL in a rendered configuration');
    expect(stray).toEqual([expect.objectContaining({ endpoint: 'https://elsewhere.example.org/app', derivedFrom: 'synapse/homeserver.yaml' })]);
  });

  it('lists no backup bucket when backups are off', () => {
    const off = synthesizeForDocs(specOf(`${VALID_YAML}backup:\n  enabled: false\n`));
    const offList = endpoints(off, workloadsOf(off));
    expect(offList.some((e) => e.purpose.startsWith('Backup bucket'))).toBe(false);
    expect(offList.some((e) => e.endpoint.includes('objectstorage'))).toBe(false);
  });

  it('names each allowed homeserver of an allow list', () => {
    const allow = synthesizeForDocs(specOf(`${VALID_YAML}federation:\n  mode: allow_list\n  allow: [partner.example.eu, other.example.eu]\n`));
    expect(endpoints(allow, workloadsOf(allow)).find((e) => e.contactedBy === 'Synapse')?.endpoint).toBe('other.example.eu, partner.example.eu');
  });
});
