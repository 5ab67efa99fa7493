import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'cdktf';
import { AppsStack } from './apps';
import type { DeploymentStack } from './deployment-stack';
import { HetznerInfraStack } from './hetzner-infra';
import { OpenStackInfraStack } from './openstack-infra';
import type { DeploymentSpec } from '../src/config/spec';

/** What one synthesized stack contains, for the CLI's summary. */
export interface StackSummary {
  readonly deployment: string;
  readonly stack: string;
  readonly layer: string;
  readonly resources: number;
  /** Path of the stack's cdk.tf.json, relative to the output directory. */
  readonly file: string;
}

/** Adds the stacks of one deployment to an app, in apply order. */
export function addDeploymentStacks(app: App, spec: DeploymentSpec): DeploymentStack[] {
  const stacks: DeploymentStack[] = [];
  if (spec.target.kind === 'hetzner') stacks.push(new HetznerInfraStack(app, spec));
  if (spec.target.kind === 'openstack') stacks.push(new OpenStackInfraStack(app, spec));
  stacks.push(new AppsStack(app, spec));
  return stacks;
}

/**
 * Synthesizes every deployment into `outdir/stacks/<deployment>-<layer>/cdk.tf.json`.
 * A deployment's previous stacks are removed first, so a layer that no longer exists (a target
 * changed from hetzner to kubernetes) does not linger; other deployments' stacks are left alone.
 */
export function synthesize(specs: readonly DeploymentSpec[], outdir: string): StackSummary[] {
  mkdirSync(outdir, { recursive: true });
  // Stack traces in metadata would embed this machine's paths; output must be byte-identical anywhere.
  const app = new App({ outdir, stackTraces: false });
  const stacks = withoutTokenStackTraces(() => specs.flatMap((spec) => addDeploymentStacks(app, spec)));
  for (const spec of specs) {
    for (const layer of ['infra', 'apps']) {
      rmSync(join(outdir, 'stacks', `${spec.name}-${layer}`), { recursive: true, force: true });
    }
  }
  withoutTokenStackTraces(() => app.synth());
  return stacks.map((stack) => {
    const file = join('stacks', stack.node.id, 'cdk.tf.json');
    return {
      deployment: stack.spec.name,
      stack: stack.node.id,
      layer: stack.layer,
      resources: countResources(join(outdir, file)),
      file,
    };
  });
}

/**
 * cdktf records a formatted stack trace for every token it creates, only to enrich the message of
 * a token that later fails to resolve; formatting those traces was a quarter of synthesis time.
 * While the kit synthesizes, traces captured into plain objects (cdktf's) are neither collected
 * nor formatted; real errors keep their usual stack.
 */
function withoutTokenStackTraces<T>(fn: () => T): T {
  const previous = Error.prepareStackTrace;
  const capture = Error.captureStackTrace;
  Error.prepareStackTrace = (error, frames) => {
    if (!(error instanceof Error)) return '';
    if (previous) return previous(error, frames);
    return [String(error), ...frames.map((frame) => `    at ${frame}`)].join('\n');
  };
  // cdktf captures each trace into a plain object with no frame limit; collecting the frames cost
  // as much again as formatting them did. Errors are captured as usual.
  Error.captureStackTrace = (target: object, below?: Function) => {
    if (target instanceof Error) capture(target, below);
    else (target as { stack?: string }).stack = '';
  };
  try {
    return fn();
  } finally {
    Error.prepareStackTrace = previous;
    Error.captureStackTrace = capture;
  }
}

function countResources(path: string): number {
  const json = JSON.parse(readFileSync(path, 'utf8')) as { resource?: Record<string, Record<string, unknown>> };
  return Object.values(json.resource ?? {}).reduce((sum, byName) => sum + Object.keys(byName).length, 0);
}
