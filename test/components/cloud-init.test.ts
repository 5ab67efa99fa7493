import { Testing } from 'cdktf';
import { parse } from 'yaml';
import { HetznerInfraStack } from '../../stacks/hetzner-infra';
import { cloudConfig, cloudConfigDocument, cloudConfigForTerraform, type NodeInputs } from '../../src/components/cloud-init';
import { specOf, VALID_YAML } from '../helpers';

const SAMPLE: NodeInputs = {
  dataDevice: '/dev/disk/by-id/scsi-0HC_Volume_4242',
  publicIpv4: '203.0.113.7',
  privateIpv4: '10.0.1.2',
  serverCaCertPem: '-----BEGIN CERTIFICATE-----\nserver "ca"\n-----END CERTIFICATE-----\n',
  serverCaKeyPem: '-----BEGIN PRIVATE KEY-----\nserver\\key\n-----END PRIVATE KEY-----\n',
  clientCaCertPem: '-----BEGIN CERTIFICATE-----\nclient ${ca}\n-----END CERTIFICATE-----\n',
  clientCaKeyPem: '-----BEGIN PRIVATE KEY-----\nclient %{key}\n-----END PRIVATE KEY-----\n',
};

/** What each Terraform reference in the user data resolves to, for this test. */
function sampleFor(reference: string): string {
  if (reference === 'hcloud_volume.data.id') return '4242';
  if (reference === 'hcloud_primary_ip.primary-ipv4.ip_address') return SAMPLE.publicIpv4;
  const pem = /^tls_(self_signed_cert|private_key)\.k3s-credentials_(server|client)-ca-(cert|key)_[0-9A-F]+\.(cert_pem|private_key_pem)$/.exec(reference);
  if (!pem) throw new Error(`unexpected reference ${reference}`);
  const key = `${pem[2]}Ca${pem[3] === 'cert' ? 'Cert' : 'Key'}Pem` as 'serverCaCertPem' | 'serverCaKeyPem' | 'clientCaCertPem' | 'clientCaKeyPem';
  return SAMPLE[key];
}

/** Evaluates the user data the way Terraform would: jsonencode(...) calls, then template escapes. */
function evaluate(userData: string): unknown {
  let out = '';
  let i = 0;
  while (i < userData.length) {
    const start = userData.indexOf('${jsonencode(', i);
    if (start < 0) {
      out += userData.slice(i);
      break;
    }
    out += userData.slice(i, start);
    let depth = 0;
    let j = start + '${jsonencode('.length;
    let inString = false;
    for (; j < userData.length; j++) {
      const c = userData[j];
      if (inString) {
        if (c === '\\') j++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === '(') depth++;
      else if (c === ')') {
        if (depth === 0) break;
        depth--;
      }
    }
    const argument = userData.slice(start + '${jsonencode('.length, j);
    const value = argument.startsWith('"')
      ? (JSON.parse(argument) as string).replace(/\$\{([^}]+)\}/g, (_m, ref: string) => sampleFor(ref))
      : sampleFor(argument);
    out += JSON.stringify(value);
    i = j + 2; // past ')}'
  }
  const text = out.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{');
  expect(text.startsWith('#cloud-config\n')).toBe(true);
  return JSON.parse(text.slice('#cloud-config\n'.length));
}

describe('cloud-init user data handed to Terraform', () => {
  const spec = specOf(VALID_YAML);
  const stack = new HetznerInfraStack(Testing.app(), spec);
  const userData: string = JSON.parse(Testing.synth(stack)).resource.hcloud_server.node.user_data;

  it('is, once Terraform resolves it, exactly the typed configuration', () => {
    expect(evaluate(userData)).toEqual(cloudConfig(spec, SAMPLE));
  });

  it('reads back the same from the YAML form the schema check uses', () => {
    expect(parse(cloudConfigDocument(cloudConfig(spec, SAMPLE)))).toEqual(cloudConfig(spec, SAMPLE));
  });

  it('keeps literal ${ and %{ from being read as Terraform templates', () => {
    const literal = userData.replace(/\$\{jsonencode\([^)]*\)\}/g, '');
    expect(literal).not.toMatch(/(^|[^$])\$\{/);
  });

  it('escapes literal template sequences in the text it writes', () => {
    const config = { ...cloudConfig(spec, SAMPLE), runcmd: [['sh', '-c', 'echo ${HOME} %{x}']] };
    const text = cloudConfigForTerraform(config);
    expect(text).toContain('echo $${HOME} %%{x}');
    expect(evaluate(text)).toEqual(config);
  });
});
