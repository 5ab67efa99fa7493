import { readFileSync, statSync } from 'node:fs';
import { DeploymentFileError, sortProblems, type Problem } from './problems';
import type { DeploymentFile } from './deployment-file.generated';
import { resolveDeployment } from './resolve';
import { checkRules } from './rules';
import { checkSchema } from './schema-check';
import type { DeploymentSpec } from './spec';
import { YamlSource } from './yaml-source';

/** A deployment file is a page of settings; anything far larger is a mistake (or an attack on the parser). */
export const MAX_FILE_BYTES = 256 * 1024;

/** A loaded deployment and the file it came from. */
export interface LoadedDeployment {
  readonly file: string;
  readonly spec: DeploymentSpec;
}

/** Reads, validates and resolves one deployment file; throws DeploymentFileError with every problem. */
export function loadDeploymentFile(file: string): DeploymentSpec {
  return parseDeployment(readDeploymentText(file), file);
}

/** Validates and resolves deployment text; `file` is only used in messages. */
export function parseDeployment(text: string, file: string): DeploymentSpec {
  const source = YamlSource.parse(text, file);
  if (Array.isArray(source)) throw new DeploymentFileError(sortProblems(source));
  const problems = [...checkSchema(source), ...checkRules(source)];
  if (problems.length > 0) throw new DeploymentFileError(sortProblems(problems));
  return resolveDeployment(source.data as DeploymentFile);
}

/**
 * Loads several files and reports the problems of all of them together, plus deployment names
 * used twice (stack names, and so cloud resources, would collide).
 */
export function loadDeploymentFiles(files: readonly string[]): LoadedDeployment[] {
  const loaded: LoadedDeployment[] = [];
  const problems: Problem[] = [];
  const firstFileByName = new Map<string, string>();
  for (const file of files) {
    try {
      const spec = loadDeploymentFile(file);
      const earlier = firstFileByName.get(spec.name);
      if (earlier !== undefined) {
        const source = YamlSource.parse(readFileSync(file, 'utf8'), file) as YamlSource;
        problems.push(source.problem(['name'], `'${spec.name}' is already the name of the deployment in ${earlier} (expected a unique name per deployment)`));
        continue;
      }
      firstFileByName.set(spec.name, file);
      loaded.push({ file, spec });
    } catch (error) {
      if (!(error instanceof DeploymentFileError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (problems.length > 0) throw new DeploymentFileError(problems);
  return loaded;
}

function readDeploymentText(file: string): string {
  const fail = (message: string): never => {
    throw new DeploymentFileError([{ file, line: 0, col: 0, path: '', message }]);
  };
  let size = 0;
  try {
    const stat = statSync(file);
    if (stat.isDirectory()) fail('is a directory (expected a deployment YAML file)');
    size = stat.size;
  } catch (error) {
    if (error instanceof DeploymentFileError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    fail(code === 'ENOENT' ? 'no such file' : `cannot be read (${code ?? (error as Error).message})`);
  }
  if (size > MAX_FILE_BYTES) {
    fail(`is ${size} bytes (expected a deployment file of at most ${MAX_FILE_BYTES} bytes)`);
  }
  const bytes = readFileSync(file);
  if (bytes.includes(0)) fail('is not a text file (it contains NUL bytes)');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return fail('is not valid UTF-8 text');
  }
}
