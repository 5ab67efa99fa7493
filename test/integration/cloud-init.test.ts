import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cloudConfig, cloudConfigDocument, type NodeInputs } from '../../src/components/cloud-init';
import { loadDeploymentFile } from '../../src/config/load';
import { tempDir } from '../helpers';

/**
 * The node's user data, built from the same typed structure the stack hands to Terraform, with
 * realistic values in place of the references, is checked by the real `cloud-init schema`.
 */
const ROOT = join(__dirname, '..', '..');
const DEPLOYMENTS = ['deployments/example.yaml', 'deployments/research-open.yaml', 'test/fixtures/valid/no-turn-allow-list.yaml'];

let inputs: NodeInputs;

beforeAll(() => {
  const install = spawnSync('bash', [join(ROOT, 'scripts', 'integration', 'cloud-init.sh')], { stdio: 'inherit' });
  if (install.status !== 0) throw new Error('scripts/integration/cloud-init.sh failed');
  // Real certificates and keys, so multi-line PEM content is exercised as Terraform will supply it.
  const dir = tempDir('sm-pki-');
  const pem = (name: string) => {
    const result = spawnSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${name}`, '-days', '1', '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.crt`)],
      { encoding: 'utf8' },
    );
    if (result.status !== 0) throw new Error(result.stderr);
    return { cert: readFileSync(join(dir, `${name}.crt`), 'utf8'), key: readFileSync(join(dir, `${name}.key`), 'utf8') };
  };
  const server = pem('server-ca');
  const client = pem('client-ca');
  inputs = {
    volumeId: '100200300',
    publicIpv4: '203.0.113.10',
    privateIpv4: '10.0.1.2',
    serverCaCertPem: server.cert,
    serverCaKeyPem: server.key,
    clientCaCertPem: client.cert,
    clientCaKeyPem: client.key,
  };
});

describe('cloud-init user data', () => {
  it.each(DEPLOYMENTS)('of %s passes `cloud-init schema`', (file) => {
    const spec = loadDeploymentFile(join(ROOT, file));
    const path = join(tempDir('sm-cloud-init-'), 'user-data.yaml');
    writeFileSync(path, cloudConfigDocument(cloudConfig(spec, inputs)));
    const result = spawnSync('cloud-init', ['schema', '--config-file', path], { encoding: 'utf8' });
    expect({ status: result.status, output: `${result.stdout}${result.stderr}`.trim() }).toEqual({
      status: 0,
      output: expect.stringContaining('Valid cloud-config'),
    });
    expect(`${result.stdout}${result.stderr}`).not.toMatch(/DEPRECATED/i);
  });

  it('is refused by `cloud-init schema` when broken, so the check can fail', () => {
    const spec = loadDeploymentFile(join(ROOT, DEPLOYMENTS[0]));
    const broken = { ...cloudConfig(spec, inputs), packages: 'curl' };
    const path = join(tempDir('sm-cloud-init-'), 'user-data.yaml');
    writeFileSync(path, cloudConfigDocument(broken as never));
    const result = spawnSync('cloud-init', ['schema', '--config-file', path], { encoding: 'utf8' });
    expect(result.status).not.toBe(0);
  });
});
