import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { EXIT, ExitStatus } from '../shared/exit-codes';
import type { Output } from '../shared/output';
import { parseDeployment } from '../config/load';
import { DeploymentFileError, type Problem } from '../config/problems';
import type { DeploymentSpec } from '../config/spec';
import { deployRequirements } from '../operations/requirements';
import { kitRoot } from '../kit';
import { answersFromFlags, askAnswers, InitUsageError, type AnswerCheck, type InitFlags } from './answers';
import { deploymentYaml, type InitAnswers } from './generate';
import { PromptInterrupted, type InitIO } from './prompt';
import { schemaReference } from './schema-ref';

/** Where `init` writes when no FILE is given. */
export const INIT_DIR = 'deployments';

/**
 * `sovereign-matrix init [FILE]`: asks the questions that matter (or takes the flags), builds the
 * commented deployment file, validates it with the same loader as `validate`, and writes it only
 * when it is valid and FILE does not exist yet. Never overwrites anything.
 */
export async function runInitCommand(file: string | undefined, flags: InitFlags, output: Output, io: InitIO): Promise<void> {
  const pathFor = (name: string) => file ?? join(INIT_DIR, `${name}.yaml`);
  if (file !== undefined && existsSync(file)) refuse(existing(file));

  let answers: InitAnswers;
  const interactive = io.isTTY && !flags.yes;
  try {
    answers = interactive
      ? await askAnswers(flags, io, (line) => output.err(line), checkAnswers, {
          name: (name) => (existsSync(pathFor(name)) ? `${existing(pathFor(name))}; choose another name, or give init a FILE` : undefined),
        })
      : answersFromFlags(flags);
  } catch (error) {
    if (error instanceof PromptInterrupted) {
      output.err('sovereign-matrix: interrupted; nothing was written');
      throw new ExitStatus(EXIT.interrupted);
    }
    throw error;
  } finally {
    if (interactive) io.close();
  }

  const path = pathFor(answers.name);
  if (existsSync(path)) refuse(existing(path));
  const text = deploymentYaml(answers, schemaReference(path, kitRoot()));
  const spec = validated(text, path);
  mkdirSync(dirname(path), { recursive: true });
  try {
    // 'wx': a file that appeared since the check above is still not overwritten.
    writeFileSync(path, text, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') refuse(existing(path));
    throw error;
  }
  printNextSteps(output, path, spec);
}

/**
 * The generated text through the real loader. A problem here comes from an answer given as a flag
 * (questions re-ask until valid); it is reported as `validate` reports it, without a line number,
 * since the file was not written.
 */
function validated(text: string, path: string): DeploymentSpec {
  try {
    return parseDeployment(text, path);
  } catch (error) {
    if (error instanceof DeploymentFileError) throw new DeploymentFileError(error.problems.map(unlocated));
    throw error;
  }
}

function unlocated(problem: Problem): Problem {
  return { ...problem, line: 0, col: 0 };
}

/** The validator's problems with the answers, limited to the fields of one question. */
const checkAnswers: AnswerCheck = (answers, fields) => {
  try {
    parseDeployment(deploymentYaml(answers, { ref: 'deployment.schema.json' }), 'answer');
    return [];
  } catch (error) {
    if (!(error instanceof DeploymentFileError)) throw error;
    return error.problems
      .filter((p) => fields.some((f) => p.path === f || p.path.startsWith(`${f}.`) || p.path.startsWith(`${f}[`)))
      .map((p) => `${p.path}: ${p.message}`);
  }
};

function printNextSteps(output: Output, path: string, spec: DeploymentSpec): void {
  const where =
    spec.target.kind === 'hetzner'
      ? `hetzner ${spec.target.location}`
      : spec.target.kind === 'openstack'
        ? `openstack ${spec.target.cloud} ${spec.target.region}`
        : `kubernetes context ${spec.target.context}`;
  output.out(`Wrote ${path} (${spec.name}: ${spec.serverName}, ${where}, identity ${spec.identity.mode}, federation ${spec.federation.mode}).`);
  const file = shellWord(path);
  const steps = [
    [`sovereign-matrix validate ${file}`, 'check it again after every edit'],
    [`sovereign-matrix synth ${file}`, 'the Terraform JSON, offline'],
    [`sovereign-matrix docs ${file} --out out/docs`, 'the reference architecture for reviewers'],
    [`sovereign-matrix deploy ${file}`, 'needs:'],
  ];
  const needs = deployRequirements(spec, { stateEncryption: true, engine: 'tofu' });
  const width = Math.max(...steps.map(([command]) => command.length));
  const nameWidth = Math.max(...needs.map((r) => r.name.length));
  output.out('Next:');
  for (const [command, why] of steps) output.out(`  ${command.padEnd(width)}  ${why}`);
  for (const need of needs) output.out(`    ${need.name.padEnd(nameWidth)}  ${need.what}`);
}

function existing(path: string): string {
  return `${path} already exists (init never overwrites a file)`;
}

/** Printed as `sovereign-matrix: <message>` with the usage exit code (see registerInitCommand). */
function refuse(message: string): never {
  throw new InitUsageError(message);
}

function shellWord(text: string): string {
  return /^[A-Za-z0-9_./@:-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
