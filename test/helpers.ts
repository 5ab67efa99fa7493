import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseDeployment } from '../src/config/load';
import { DeploymentFileError, formatProblem } from '../src/config/problems';
import type { DeploymentSpec } from '../src/config/spec';
import { run } from '../src/cli/main';

/** A complete, valid deployment file; tests change one thing at a time. */
export const VALID_YAML = `name: ministry
server_name: ministry.example.eu
target:
  hetzner:
    location: fsn1
    ssh_keys: [ops]
    admin_cidrs: [198.51.100.0/24]
admin_contact: ops@ministry.example.eu
`;

/** The formatted problems for a deployment text, or [] when it is valid. */
export function problemsOf(text: string, file = 'test.yaml'): string[] {
  try {
    parseDeployment(text, file);
    return [];
  } catch (error) {
    if (error instanceof DeploymentFileError) return error.problems.map(formatProblem);
    throw error;
  }
}

export function specOf(text: string): DeploymentSpec {
  return parseDeployment(text, 'test.yaml');
}

export function tempDir(prefix = 'sm-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Runs the CLI in-process and captures what it prints. */
export async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

/** Every file under a directory, relative path -> content. */
export function tree(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (d: string) =>
    readdirSync(d).forEach((name) => {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.set(relative(dir, path), readFileSync(path, 'utf8'));
    });
  walk(dir);
  return files;
}

/**
 * A backup bucket for deployments on an existing cluster, which has no default one. Appended to a
 * file whose target tests turn into `kubernetes`.
 */
export const CLUSTER_BACKUP_YAML = `backup:
  s3:
    endpoint: https://s3.example-eu.eu
    bucket: ministry-backups
    region: eu-west
`;

/** Remote state in an EU bucket (`state.s3`), appended to VALID_YAML. */
export const STATE_S3_YAML = `state:
  s3:
    endpoint: https://fsn1.your-objectstorage.com
    bucket: ministry-state
    region: fsn1
`;

/** A backup section with every setting away from its default, appended to VALID_YAML. */
export const CUSTOM_BACKUP_YAML = `backup:
  s3:
    endpoint: https://s3.storage.example.eu:9443
    bucket: ministry-vault
    region: nbg1
    key_prefix: agency/ministry
  time_utc: "01:15"
  full_backup_day: wednesday
  retention:
    daily: 10
    weekly: 5
    monthly: 7
`;

/** A small deployment on an existing cluster with the given monitoring.stack (backups off); extra lines appended. */
export function clusterWithMonitoring(stack: string, extra = ''): DeploymentSpec {
  return specOf(`name: observed
server_name: observed.example.eu
target: { kubernetes: { context: c } }
dns: { mode: manual }
admin_contact: ops@observed.example.eu
backup: { enabled: false }
monitoring: { stack: ${stack} }
${extra}`);
}

/**
 * A deployment on an existing cluster with PostgreSQL under CloudNativePG (3 instances): backups
 * off, as the rules require for that engine.
 */
export const CNPG_YAML = `${VALID_YAML.replace(/target:\n(  .*\n)+/, 'target:\n  kubernetes:\n    context: prod\n')}backup:
  enabled: false
scale:
  postgres:
    engine: cloudnative-pg
    instances: 3
`;
