import { encryptionConfig, hclString } from '../../src/operations/state-encryption';

describe('state encryption', () => {
  it('configures pbkdf2 + aes_gcm, enforced, for state and plan', () => {
    const config = encryptionConfig('a passphrase of some length');
    expect(config).toContain('key_provider "pbkdf2" "sovereign_matrix"');
    expect(config).toContain('method "aes_gcm" "sovereign_matrix"');
    expect(config).toMatch(/state \{\n\s+method\s+= method.aes_gcm.sovereign_matrix\n\s+enforced = true/);
    expect(config).toMatch(/plan \{\n\s+method\s+= method.aes_gcm.sovereign_matrix\n\s+enforced = true/);
  });

  it('quotes any passphrase as a literal (no interpolation, no breaking out)', () => {
    expect(hclString('a"b\\c${x}%{y}\n')).toBe('"a\\"b\\\\c$${x}%%{y}\\n"');
  });
});
