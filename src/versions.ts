/**
 * Every version the kit deploys, in one place. A deployment file may override a component's
 * version (`versions:`), for example to roll out a security release before the kit ships it.
 *
 * Bump a version here, run the integration suite (it boots the same Synapse release from PyPI),
 * and say why in the commit message.
 */
export const PINNED_VERSIONS = {
  /** Synapse homeserver; the integration suite installs the same release from PyPI. */
  synapse: '1.163.2',
  /** PostgreSQL major.minor for Synapse, MAS and Keycloak (Synapse needs >= 14). */
  postgres: '17.9',
  elementWeb: '1.12.30',
  /** Matrix Authentication Service. */
  mas: '1.22.0',
  keycloak: '26.7.3',
  coturn: '4.17.0',
  k3s: 'v1.37.0+k3s1',
} as const;

export type ComponentVersions = { readonly [K in keyof typeof PINNED_VERSIONS]: string };

/** Terraform providers the synthesized stacks require, pinned exactly. */
export const PROVIDER_VERSIONS = {
  hcloud: '1.68.0',
  kubernetes: '2.38.0',
  random: '3.7.2',
  tls: '4.1.0',
} as const;
