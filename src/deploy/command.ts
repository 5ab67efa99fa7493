import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { findEngine, requireEngineVersion, ToolError, ENGINE_ENV, type Engine } from '../shared/engine';
import { EXIT, ExitStatus } from '../shared/exit-codes';
import type { Output } from '../shared/output';
import { loadDeploymentFiles } from '../config/load';
import type { DeploymentSpec } from '../config/spec';
import { namespaceName } from '../render/namespace';
import { CONTRACT, NODE_IPV4_OUTPUT, type ContractKey } from '../../stacks/contract';
import { MONITORING_STACK_OUTPUT, stackName } from '../../stacks/naming';
import { PORTS } from '../ports';
import { keycloakCreateUserCommand } from '../render/keycloak';
import { KEYCLOAK_REALM, masUpstreamProvider } from '../render/mas';
import { SYNAPSE_UPSTREAMS } from '../render/synapse';
import { monitoringSummary } from './monitoring-summary';
import { createRunContext } from './context';
import { PASSPHRASE_ENV } from '../operations/state-encryption';
import { deployStacks, destroyStacks, formatPlans, initAndReadOutputs, NotConfirmed, planAll, plansJson, type Orchestration, type Outputs } from './orchestrator';
import { FileExists, kubeconfigText, MissingOutputs, writePrivateFile } from './kubeconfig';
import { missingCredentials } from '../operations/requirements';
import { elapsed, Interrupted, StackFailed, type RunContext } from './runner';
import { selfCheck } from './self-check';
import { deploymentStacks, operatorSecrets } from './stacks';
import { describeState, stateRoot } from './state';
import { homeserverProbe, kubernetesReadyProbe, manifestKinds, waitUntil, WaitTimeout } from './wait';
import { ownsNode } from '../config/node-target';

/** How the commands talk to the operator; tests replace it. */
export interface DeployIO {
  readonly isTTY: boolean;
  ask(question: string): Promise<string>;
}

export const processIO: DeployIO = {
  get isTTY() {
    return Boolean(process.stdin.isTTY);
  },
  ask(question) {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    return new Promise((resolve) => {
      rl.question(question, (answer) => {
        rl.close();
        resolve(answer.trim());
      });
    });
  },
};

interface CommonOptions {
  engine?: string;
  out: string;
  verbose?: boolean;
  stateEncryption: boolean;
}

/** The deploy commands, registered on the CLI's program. */
export function registerDeployCommands(program: Command, output: Output, io: DeployIO = processIO): void {
  const common = (command: Command) =>
    command
      .argument('<file>', 'deployment file')
      .option('--engine <name>', `tofu or terraform (default: $${ENGINE_ENV}, else tofu)`)
      .option('-o, --out <dir>', 'where the stacks are synthesized', 'cdktf.out')
      .option('--verbose', "stream the engine's full output (it always goes to the run's log file)")
      .option('--no-state-encryption', `do not encrypt state and plans (default: OpenTofu encryption with $${PASSPHRASE_ENV})`);

  common(program.command('plan').description('Synthesize, then plan every stack of a deployment in order and summarize the changes, flagging stateful resources loudly.'))
    .option('--json', 'print the summary as JSON (progress still goes to stderr)')
    .action((file: string, options: CommonOptions & { json?: boolean }) => guard(output, 'plan', () => planCommand(file, options, output)));

  common(program.command('deploy').description('Plan, confirm, apply every stack in order, wait for the cluster and the homeserver, and check the deployment from outside.'))
    .option('-y, --yes', 'apply without asking (needed when stdin is not a terminal)')
    .option('--wait-minutes <n>', 'how long to wait for the Kubernetes API and for the homeserver, each', '15')
    .option('--skip-self-check', 'do not wait for the homeserver or check it from outside')
    .action((file: string, options: CommonOptions & { yes?: boolean; waitMinutes: string; skipSelfCheck?: boolean }) =>
      guard(output, 'deploy', () => deployCommand(file, options, output, io)),
    );

  common(program.command('kubeconfig').description("Hetzner, OpenStack: write a kubeconfig for the deployment's k3s node from the infra stack's outputs (mode 0600; never replaces a file)."))
    .requiredOption('--write <path>', 'the kubeconfig file to create')
    .action((file: string, options: CommonOptions & { write: string }) => guard(output, 'kubeconfig', () => kubeconfigCommand(file, options, output)));

  common(program.command('destroy').description('Destroy a deployment (layers in reverse order). Volumes, addresses and persistent volumes are kept unless --delete-data.'))
    .option('-y, --yes', 'do not ask; needs --confirm <name>')
    .option('--confirm <name>', 'the deployment name, confirming --yes')
    .option('--delete-data', 'also destroy the data volume, the public addresses and the persistent volumes (irreversible)')
    .action((file: string, options: CommonOptions & { yes?: boolean; confirm?: string; deleteData?: boolean }) =>
      guard(output, 'destroy', () => destroyCommand(file, options, output, io)),
    );
}

/** A user-facing refusal with its exit code (printed, then ExitStatus). */
class Refusal extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

let currentLog = '';

async function guard(output: Output, command: string, body: () => Promise<void>): Promise<void> {
  currentLog = '';
  try {
    await body();
  } catch (error) {
    const log = currentLog ? `\nFull engine output: ${currentLog}` : '';
    if (error instanceof Refusal) {
      output.err(`sovereign-matrix ${command}: ${error.message}`);
      throw new ExitStatus(error.code);
    }
    if (error instanceof StackFailed) {
      output.err(`sovereign-matrix ${command}: ${error.step} of stack ${error.stack} failed:`);
      error.detail.split('\n').forEach((l) => output.err(`  ${l}`));
      output.err(`Fix the cause and run the same command again: it continues from the saved state.${log}`);
      throw new ExitStatus(EXIT.deployFailed);
    }
    if (error instanceof NotConfirmed) {
      output.err(`sovereign-matrix ${command}: ${error.message}`);
      throw new ExitStatus(EXIT.notConfirmed);
    }
    if (error instanceof Interrupted) {
      output.err(`sovereign-matrix ${command}: ${error.message}; the engine stopped cleanly and saved its state. Run the same command again to continue.${log}`);
      throw new ExitStatus(EXIT.interrupted);
    }
    if (error instanceof WaitTimeout) {
      output.err(`sovereign-matrix ${command}: ${error.message}. The stacks are applied; run the same command again to continue waiting and checking.${log}`);
      throw new ExitStatus(EXIT.unhealthy);
    }
    throw error;
  }
}

interface Prepared {
  spec: DeploymentSpec;
  engine: Engine;
  root: string;
  ctx: RunContext & { planDir: string };
  done(): void;
}

/**
 * Everything before the first engine call: the deployment file, the credentials (all missing ones
 * at once, by name), the engine and its version, synthesis, the log, and Ctrl-C handling.
 */
async function prepare(file: string, options: CommonOptions, output: Output, command: string): Promise<Prepared> {
  const [{ spec }] = loadDeploymentFiles([file]);
  const engineName = options.engine ?? process.env[ENGINE_ENV] ?? 'tofu';
  if (engineName !== 'tofu' && engineName !== 'terraform') throw new ToolError(`unknown engine '${engineName}' (expected tofu or terraform)`);
  const missing = missingCredentials(spec, { engine: engineName, stateEncryption: options.stateEncryption });
  if (missing.length > 0) {
    throw new Refusal(`cannot ${command} ${spec.name}; missing:\n${missing.map((m) => `  - ${m}`).join('\n')}`, EXIT.missingCredentials);
  }
  const engine = findEngine(engineName);
  requireEngineVersion(engine);
  // Loaded here, not at the top: registering these commands must not cost every other command cdktf.
  const { synthesize } = await import('../../stacks/synth');
  synthesize([spec], options.out);
  const root = stateRoot();
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.on('SIGINT', onSigint);
  const secretEnv = Object.values(operatorSecrets(spec));
  const ctx = createRunContext({
    engine,
    deployment: spec.name,
    command,
    root,
    output,
    verbose: Boolean(options.verbose),
    stateEncryption: options.stateEncryption,
    signal: controller.signal,
    secretEnv,
  });
  currentLog = ctx.log.path;
  output.err(`${command} ${spec.name} with ${engine.name} ${engine.version}; state: ${describeState(spec, root)}${options.stateEncryption ? ' (encrypted)' : ' (NOT encrypted: --no-state-encryption)'}; log: ${ctx.log.path}`);
  return {
    spec,
    engine,
    root,
    ctx,
    done() {
      process.off('SIGINT', onSigint);
      rmSync(ctx.planDir, { recursive: true, force: true });
    },
  };
}

async function planCommand(file: string, options: CommonOptions & { json?: boolean }, output: Output): Promise<void> {
  const p = await prepare(file, options, output, 'plan');
  try {
    const o: Orchestration = { ctx: p.ctx, stacks: deploymentStacks(p.spec, options.out, p.root), planDir: p.ctx.planDir };
    const plans = await planAll(o);
    if (options.json) {
      output.out(JSON.stringify({ deployment: p.spec.name, engine: { name: p.engine.name, version: p.engine.version }, stacks: plansJson(plans) }, null, 2));
    } else {
      formatPlans(plans).forEach((l) => output.out(l));
      output.err(`Planned in ${elapsed(p.ctx.started)}; nothing was changed. Log: ${p.ctx.log.path}`);
    }
  } finally {
    p.done();
  }
}

function confirmer(io: DeployIO, output: Output, yes: boolean, expected?: string) {
  return async (lines: readonly string[], question: string): Promise<boolean> => {
    lines.forEach((l) => output.out(l));
    if (yes) return true;
    if (!io.isTTY) throw new Refusal('stdin is not a terminal, so nothing can be confirmed; pass --yes to proceed without a prompt', EXIT.notConfirmed);
    if (expected) return (await io.ask(`${question} Type the deployment name (${expected}) to confirm: `)) === expected;
    return /^(y|yes)$/i.test(await io.ask(`${question} [y/N] `));
  };
}

async function deployCommand(
  file: string,
  options: CommonOptions & { yes?: boolean; waitMinutes: string; skipSelfCheck?: boolean },
  output: Output,
  io: DeployIO,
): Promise<void> {
  if (!options.yes && !io.isTTY) {
    throw new Refusal('stdin is not a terminal, so the plan cannot be confirmed; pass --yes to deploy without a prompt', EXIT.notConfirmed);
  }
  const minutes = Number(options.waitMinutes);
  if (!(minutes > 0)) throw new Refusal(`--wait-minutes must be a positive number, not '${options.waitMinutes}'`, EXIT.usage);
  const p = await prepare(file, options, output, 'deploy');
  const wait = { timeoutMs: minutes * 60_000, intervalMs: 10_000, signal: p.ctx.signal };
  let infraOutputs: Outputs = {};
  let appsOutputs: Outputs = {};
  const afterApps = async (outputs: Outputs) => {
    appsOutputs = outputs;
  };
  const afterInfra = async (outputs: Outputs) => {
    infraOutputs = outputs;
    const records = outputs.dns_records?.value;
    if (p.spec.dns.mode === 'manual' && Array.isArray(records)) {
      output.out('DNS records this deployment needs (dns.mode manual: create them now if they do not exist):');
      records.forEach((r) => output.out(`  ${r}`));
    }
    const str = (key: ContractKey) => String(outputs[CONTRACT[key].output]?.value ?? '');
    const host = str('kube_host');
    const started = Date.now();
    // The apps stack's custom resources must be served before OpenTofu can plan it.
    const kinds = manifestKinds(JSON.parse(readFileSync(join(options.out, 'stacks', stackName(p.spec, 'apps'), 'cdk.tf.json'), 'utf8')));
    const crds = kinds.map((k) => k.kind).join(', ');
    output.err(`[${elapsed(p.ctx.started).padStart(6)}] waiting for the Kubernetes API at ${host}/readyz (CA-verified, client certificate)${crds ? ` and ${crds}` : ''}`);
    await waitUntil(
      `the Kubernetes API at ${host}`,
      kubernetesReadyProbe(
        { host, caCertificate: str('kube_cluster_ca_certificate'), clientCertificate: str('kube_client_certificate'), clientKey: str('kube_client_key') },
        { kinds },
      ),
      { ...wait, onProgress: (n, ms, detail) => output.err(`[${elapsed(p.ctx.started).padStart(6)}]   not ready yet (attempt ${n}, ${Math.round(ms / 1000)}s): ${detail}`) },
    );
    output.err(`[${elapsed(p.ctx.started).padStart(6)}] Kubernetes API ready after ${elapsed(started)}`);
  };
  try {
    const o: Orchestration = { ctx: p.ctx, stacks: deploymentStacks(p.spec, options.out, p.root, { afterInfra, afterApps }), planDir: p.ctx.planDir };
    await deployStacks(o, { confirm: confirmer(io, output, Boolean(options.yes)) });
    let healthy = true;
    if (!options.skipSelfCheck) {
      output.err(`[${elapsed(p.ctx.started).padStart(6)}] waiting for the homeserver at https://${p.spec.hostnames.matrix}/ (TLS certificate and DNS must be in place)`);
      await waitUntil(`the homeserver at https://${p.spec.hostnames.matrix}`, homeserverProbe(p.spec.hostnames.matrix), {
        ...wait,
        onProgress: (n, ms, detail) => output.err(`[${elapsed(p.ctx.started).padStart(6)}]   not answering yet (attempt ${n}, ${Math.round(ms / 1000)}s): ${detail}`),
      });
      const results = await selfCheck(p.spec);
      output.out('Self-check:');
      for (const r of results) output.out(`  ${r.ok ? 'ok  ' : 'FAIL'}  ${r.name}: ${r.detail}`);
      healthy = results.every((r) => r.ok);
    }
    printDeploySummary(p.spec, p.root, p.ctx.log.path, infraOutputs, output, appsOutputs);
    output.err(`Deployed in ${elapsed(p.ctx.started)}.`);
    if (!healthy) {
      output.err('sovereign-matrix deploy: the self-check failed (see FAIL above); the stacks are applied. Fix the cause and run deploy again.');
      throw new ExitStatus(EXIT.unhealthy);
    }
  } finally {
    p.done();
  }
}

async function kubeconfigCommand(file: string, options: CommonOptions & { write: string }, output: Output): Promise<void> {
  const [{ spec }] = loadDeploymentFiles([file]);
  if (!ownsNode(spec.target)) {
    throw new Refusal(`${spec.name} runs on an existing cluster: use its kubeconfig context ${spec.target.context}`, EXIT.usage);
  }
  // Before any engine runs: an existing file is never replaced.
  if (existsSync(options.write)) throw new Refusal(`${options.write} exists; nothing was written (choose another path, or remove it first)`, EXIT.usage);
  const p = await prepare(file, options, output, 'kubeconfig');
  try {
    const infra = deploymentStacks(p.spec, options.out, p.root).find((s) => s.layer === 'infra')!;
    const outputs = await initAndReadOutputs({ ctx: p.ctx, stacks: [infra], planDir: p.ctx.planDir }, infra);
    writePrivateFile(options.write, kubeconfigText(p.spec, outputs));
    output.out(`wrote ${options.write} (mode 0600, context ${p.spec.name}, namespace ${namespaceName(p.spec)}); for example: kubectl --kubeconfig ${options.write} get pods`);
  } catch (error) {
    if (error instanceof MissingOutputs) throw new Refusal(`${error.message}: deploy ${p.spec.name} first`, EXIT.usage);
    if (error instanceof FileExists) throw new Refusal(error.message, EXIT.usage);
    throw error;
  } finally {
    p.done();
  }
}

/** Where to go next: URLs, the first administrator, where state and secrets are. */
export function printDeploySummary(spec: DeploymentSpec, root: string, log: string, infraOutputs: Outputs, output: Output, appsOutputs: Outputs = {}): void {
  const ns = namespaceName(spec);
  output.out('');
  output.out(`${spec.name} is deployed.`);
  output.out(`  Element Web:     https://${spec.hostnames.web}/`);
  output.out(`  Homeserver:      https://${spec.hostnames.matrix}/ (server name ${spec.serverName})`);
  output.out(`  Accounts (MAS):  https://${spec.hostnames.auth}/`);
  if (spec.identity.mode === 'keycloak') output.out(`  Keycloak:        https://${spec.hostnames.sso}/`);
  if (spec.calls.turn) output.out(`  TURN:            turn:${spec.hostnames.turn}:${PORTS.turn}, turns:${spec.hostnames.turn}:${PORTS.turns}`);
  const group = spec.calls.group;
  if (group.enabled) output.out(`  Group calls:     https://${spec.hostnames.rtc}/ (SFU media ${group.mediaPorts.min}-${group.mediaPorts.max}/udp, ${group.tcpPort}/tcp)`);
  const nodeIpv4 = infraOutputs[NODE_IPV4_OUTPUT];
  if (nodeIpv4) output.out(`  Node address:    ${String(nodeIpv4.value)}`);
  const mas = `kubectl --namespace ${ns} exec -it deploy/${SYNAPSE_UPSTREAMS.mas} -- mas-cli manage`;
  const provider = masUpstreamProvider(spec);
  if (!provider) {
    output.out('First administrator (accounts live in Matrix Authentication Service):');
    output.out(`  ${mas} register-user --admin <username>`);
  } else if (spec.identity.mode === 'keycloak') {
    // MAS has no password login: the account comes from Keycloak, MAS creates it at the first login.
    output.out(`First administrator (accounts live in Keycloak, realm ${KEYCLOAK_REALM}; MAS creates the Matrix account at the first login):`);
    output.out(`  1. ${keycloakCreateUserCommand(ns)}`);
    output.out('     (creates the Keycloak user and prints a temporary password, once)');
    output.out(`  2. Log in at https://${spec.hostnames.web}/ as <username> with that password; Keycloak asks for a new password and the person's name.`);
    output.out(`  3. ${mas} promote-admin <username>`);
  } else {
    output.out(`First administrator (accounts come from ${provider.humanName}, ${provider.issuer}; MAS creates the Matrix account at the first login):`);
    output.out(`  1. Log in once at https://${spec.hostnames.web}/ through ${provider.humanName}; <username> is the provider's preferred_username.`);
    output.out(`  2. ${mas} promote-admin <username>`);
  }
  if (ownsNode(spec.target)) {
    output.out(`  (kubectl needs the node's kubeconfig: sovereign-matrix kubeconfig <file> --write <path>)`);
  } else {
    output.out(`  (with kubeconfig context ${spec.target.context})`);
  }
  // With monitoring.stack auto, OpenTofu chose at plan time; the apps stack's output says which.
  const chosen = appsOutputs[MONITORING_STACK_OUTPUT]?.value;
  for (const line of monitoringSummary(spec, chosen === undefined ? spec.monitoring.stack !== 'prometheus-operator' : chosen === 'bundled')) output.out(line);
  output.out(`State: ${describeState(spec, root)}. Every generated secret (database passwords, signing and shared secrets${ownsNode(spec.target) ? ', the cluster CAs' : ''}) lives only there and in Kubernetes Secrets in ${ns}; keep the state and ${PASSPHRASE_ENV} safe.`);
  output.out(`Log of this run: ${log}`);
}

async function destroyCommand(
  file: string,
  options: CommonOptions & { yes?: boolean; confirm?: string; deleteData?: boolean },
  output: Output,
  io: DeployIO,
): Promise<void> {
  if (options.yes) {
    const [{ spec }] = loadDeploymentFiles([file]);
    if (options.confirm !== spec.name) {
      throw new Refusal(`--yes needs --confirm ${spec.name} (the deployment name) to destroy without asking${options.confirm ? `; '${options.confirm}' does not match` : ''}`, EXIT.usage);
    }
  } else if (!io.isTTY) {
    throw new Refusal('stdin is not a terminal, so the deployment name cannot be typed; pass --yes --confirm <name>', EXIT.notConfirmed);
  }
  const p = await prepare(file, options, output, 'destroy');
  try {
    const o: Orchestration = { ctx: p.ctx, stacks: deploymentStacks(p.spec, options.out, p.root), planDir: p.ctx.planDir };
    const previews = await destroyStacks(o, { deleteData: Boolean(options.deleteData), confirm: confirmer(io, output, Boolean(options.yes), p.spec.name) });
    const kept = previews.flatMap((pv) => pv.kept ?? []);
    if (kept.length > 0) {
      output.out(`Kept (removed from state, still exist and are billed; delete them by hand when no longer needed): ${kept.join(', ')}`);
    }
    output.err(`Destroyed in ${elapsed(p.ctx.started)}. Log: ${p.ctx.log.path}`);
  } finally {
    p.done();
  }
}
