/**
 * OpenTofu state and plan encryption (OpenTofu 1.7+; the kit requires 1.8). The configuration is
 * handed to the engine in the TF_ENCRYPTION environment variable, so the passphrase is never on a
 * command line, in the synthesized JSON or in a file: pbkdf2 derives the key from
 * SOVEREIGN_MATRIX_STATE_PASSPHRASE, aes_gcm encrypts state and plan files, and `enforced` makes
 * OpenTofu refuse to write either unencrypted.
 */
export const PASSPHRASE_ENV = 'SOVEREIGN_MATRIX_STATE_PASSPHRASE';

/** OpenTofu's pbkdf2 key provider refuses shorter passphrases. */
export const MIN_PASSPHRASE_LENGTH = 16;

export function encryptionConfig(passphrase: string): string {
  return `key_provider "pbkdf2" "sovereign_matrix" {
  passphrase = ${hclString(passphrase)}
}
method "aes_gcm" "sovereign_matrix" {
  keys = key_provider.pbkdf2.sovereign_matrix
}
state {
  method   = method.aes_gcm.sovereign_matrix
  enforced = true
}
plan {
  method   = method.aes_gcm.sovereign_matrix
  enforced = true
}
`;
}

/** A quoted HCL string literal: escapes, and no template interpolation. */
export function hclString(value: string): string {
  const escaped = value
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t')
    .replace(/\$\{/g, () => '$${')
    .replace(/%\{/g, () => '%%{');
  return `"${escaped}"`;
}
