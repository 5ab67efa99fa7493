import { parseDeployment } from '../../src/config/load';
import type { DeploymentSpec } from '../../src/config/spec';
import { VALID_YAML } from '../helpers';

/** The valid deployment with extra top-level YAML appended (size, federation, extra, ...). */
export function specWith(extraYaml = ''): DeploymentSpec {
  return parseDeployment(VALID_YAML + extraYaml, 'x.yaml');
}

export const SIZES = ['small', 'medium', 'large'] as const;

/** Hosts a sovereign deployment's rendered files must not contact or link unless `extra` adds them. */
export const FOREIGN_HOSTS = ['matrix.org', 'vector.im', 'element.io', 'posthog', 'maptiler'] as const;

/** Every size with open and closed federation: the worker presets as they resolve (none, medium, large; with and without federation roles). */
export const SCALE_CASES = SIZES.flatMap((size) =>
  (['open', 'closed'] as const).map((federation) => ({
    name: `${size}, federation ${federation}`,
    spec: specWith(`size: ${size}\nfederation:\n  mode: ${federation}\n`),
  })),
);
