import type { ErrorObject } from 'ajv';
import validate from './deployment-validator';
import { didYouMean, type Problem } from './problems';
import type { FieldPath, YamlSource } from './yaml-source';

/** Checks the structure of a deployment file against the JSON Schema; every problem, not just the first. */
export function checkSchema(source: YamlSource): Problem[] {
  // Precompiled by scripts/compile-schema.js: compiling the schema at start-up cost ~150 ms.
  if (validate(source.data)) return [];
  const problems = (validate.errors ?? []).map((error) => describe(error, source));
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.line}:${p.col}:${p.path}:${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function describe(error: ErrorObject, source: YamlSource): Problem {
  const path = toFieldPath(error.instancePath, source.data);
  const parentSchema = (error.parentSchema ?? {}) as Record<string, unknown>;
  const value = error.data;
  switch (error.keyword) {
    case 'additionalProperties': {
      const field = String(error.params.additionalProperty);
      const known = Object.keys((parentSchema.properties as object) ?? {});
      const guess = didYouMean(field, known);
      const hint = guess ? `did you mean '${guess}'?` : `expected one of: ${known.join(', ')}`;
      return source.problem([...path, field], `unknown field (${hint})`, true);
    }
    case 'required': {
      const field = String(error.params.missingProperty);
      const where = path.length === 0 ? 'the deployment' : `'${path[path.length - 1]}'`;
      return source.problem([...path, field], `missing required field (expected it in ${where})`);
    }
    case 'type':
      return source.problem(path, `expected ${article(String(error.params.type))}, found ${describeValue(value)}`);
    case 'enum': {
      const allowed = (error.params.allowedValues as unknown[]).map(String);
      const nonEu = path[path.length - 1] === 'location' ? NON_EU_LOCATIONS[String(value)] : undefined;
      // A known non-EU location is a decision, not a typo: no "did you mean".
      const guess = typeof value === 'string' && !nonEu ? didYouMean(value, allowed) : undefined;
      const why = nonEu ? ` is outside the EU (${nonEu}); only EU locations are allowed` : ' is not allowed';
      const hint = guess ? `did you mean '${guess}'? ` : '';
      return source.problem(path, `${describeValue(value)}${why} (${hint}expected one of: ${allowed.join(', ')})`);
    }
    case 'pattern': {
      const expected = (parentSchema.patternErrorMessage as string | undefined) ?? `text matching ${error.params.pattern}`;
      return source.problem(path, `${describeValue(value)} is not valid (expected ${expected})`);
    }
    case 'minItems':
      return source.problem(path, `the list is empty (expected at least ${error.params.limit} item${error.params.limit === 1 ? '' : 's'})`);
    case 'uniqueItems': {
      // Ajv names the two equal items; point at the later one, the repetition.
      const [first, repeat] = [Number(error.params.i), Number(error.params.j)].sort((a, b) => a - b);
      return source.problem([...path, repeat], `duplicate of item ${first + 1} (expected each item once)`);
    }
    case 'minProperties':
    case 'maxProperties': {
      const options = Object.keys((parentSchema.properties as object) ?? {});
      return source.problem(path, `expected exactly one of: ${options.join(', ')}`);
    }
    case 'minimum':
    case 'maximum':
    case 'minLength':
    case 'maxLength':
      return source.problem(path, `${describeValue(value)} ${LIMITS[error.keyword](Number(error.params.limit))}`);
    default:
      return source.problem(path, error.message ?? 'is not valid');
  }
}

const LIMITS: Record<string, (limit: number) => string> = {
  minimum: (limit) => `is too small (expected at least ${limit})`,
  maximum: (limit) => `is too large (expected at most ${limit})`,
  minLength: (limit) => `is too short (expected at least ${limit} characters)`,
  maxLength: (limit) => `is too long (expected at most ${limit} characters)`,
};

/** Hetzner locations outside the EU, named so the refusal says why. */
const NON_EU_LOCATIONS: Record<string, string> = {
  ash: 'Ashburn, USA',
  hil: 'Hillsboro, USA',
  sin: 'Singapore',
};

/** Ajv's JSON pointer to our path; array indices become numbers so paths print as `list[2]`. */
function toFieldPath(pointer: string, data: unknown): FieldPath {
  if (!pointer) return [];
  const path: (string | number)[] = [];
  let node: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      path.push(Number(segment));
      node = node[Number(segment)];
    } else {
      path.push(segment);
      node = (node as Record<string, unknown> | undefined)?.[segment];
    }
  }
  return path;
}

function article(type: string): string {
  const names: Record<string, string> = {
    object: 'a mapping',
    array: 'a list',
    string: 'a string',
    integer: 'a whole number',
    number: 'a number',
    boolean: 'true or false',
  };
  return type.split(',').map((t) => names[t] ?? t).join(' or ');
}

export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `'${value.length > 60 ? `${value.slice(0, 57)}...` : value}'`;
  return `${typeof value === 'number' ? 'the number' : 'the value'} ${String(value)}`;
}
