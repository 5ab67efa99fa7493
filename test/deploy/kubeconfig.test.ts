import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { FileExists, kubeconfigText, MissingOutputs, writePrivateFile } from '../../src/deploy/kubeconfig';
import { specOf, tempDir, VALID_YAML } from '../helpers';

const CA = '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n';
const CERT = '-----BEGIN CERTIFICATE-----\nCLIENT\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN EC PRIVATE KEY-----\nKEY-SECRET\n-----END EC PRIVATE KEY-----\n';
const OUTPUTS = {
  kube_host: { value: 'https://203.0.113.7:6443' },
  kube_cluster_ca_certificate: { value: CA },
  kube_client_certificate: { value: CERT, sensitive: true },
  kube_client_key: { value: KEY, sensitive: true },
  ipv4: { value: '203.0.113.7' },
};
const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('kubeconfigText', () => {
  const spec = specOf(VALID_YAML);

  it('connects to the node API with its CA and the kit client certificate, in the deployment namespace', () => {
    const config = parse(kubeconfigText(spec, OUTPUTS));
    expect(config['current-context']).toBe('ministry');
    expect(config.contexts).toEqual([{ name: 'ministry', context: { cluster: 'ministry', user: 'ministry', namespace: 'matrix-ministry' } }]);
    expect(config.clusters).toEqual([{ name: 'ministry', cluster: { server: 'https://203.0.113.7:6443', 'certificate-authority-data': b64(CA) } }]);
    expect(config.users).toEqual([{ name: 'ministry', user: { 'client-certificate-data': b64(CERT), 'client-key-data': b64(KEY) } }]);
  });

  it('names every missing output when the infra stack has not been applied', () => {
    const { kube_client_key: _key, kube_host: _host, ...partial } = OUTPUTS;
    expect(() => kubeconfigText(spec, partial)).toThrow(MissingOutputs);
    expect(() => kubeconfigText(spec, partial)).toThrow('the infra stack has no output kube_host, kube_client_key');
    expect(() => kubeconfigText(spec, {})).toThrow(/kube_host, kube_cluster_ca_certificate, kube_client_certificate, kube_client_key/);
  });
});

describe('writePrivateFile', () => {
  it('creates the file readable by its owner only', () => {
    const path = join(tempDir(), 'ministry.kubeconfig');
    writePrivateFile(path, 'secret\n');
    expect(readFileSync(path, 'utf8')).toBe('secret\n');
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('never replaces an existing file', () => {
    const path = join(tempDir(), 'config');
    writeFileSync(path, 'the operator kubeconfig\n');
    expect(() => writePrivateFile(path, 'new')).toThrow(FileExists);
    expect(readFileSync(path, 'utf8')).toBe('the operator kubeconfig\n');
  });
});
