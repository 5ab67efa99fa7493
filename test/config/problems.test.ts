import { DeploymentFileError, didYouMean, formatProblem, sortProblems, type Problem } from '../../src/config/problems';

const problem = (over: Partial<Problem>): Problem => ({ file: 'd.yaml', line: 3, col: 5, path: 'target.hetzner.location', message: 'wrong', ...over });

describe('a problem, as a compiler writes it', () => {
  it('is FILE:LINE:COL: path: message', () => {
    expect(formatProblem(problem({}))).toBe('d.yaml:3:5: target.hetzner.location: wrong');
  });

  it('leaves out the position of a file-wide problem and an empty path', () => {
    expect(formatProblem(problem({ line: 0, col: 0, path: '', message: 'no such file' }))).toBe('d.yaml: no such file');
    expect(formatProblem(problem({ path: '' }))).toBe('d.yaml:3:5: wrong');
  });

  it('an error carries every problem, one line each', () => {
    const error = new DeploymentFileError([problem({}), problem({ line: 9, path: 'name' })]);
    expect(error.name).toBe('DeploymentFileError');
    expect(error.message).toBe('d.yaml:3:5: target.hetzner.location: wrong\nd.yaml:9:5: name: wrong');
    expect(error.problems).toHaveLength(2);
  });
});

describe('problem order', () => {
  it('sorts by file, line, column, then path, without changing the input', () => {
    const input = [
      problem({ file: 'b.yaml', line: 1 }),
      problem({ line: 10, col: 1 }),
      problem({ line: 2, col: 9 }),
      problem({ line: 2, col: 3, path: 'z' }),
      problem({ line: 2, col: 3, path: 'a' }),
    ];
    const copy = [...input];
    expect(sortProblems(input).map((p) => `${p.file}:${p.line}:${p.col}:${p.path}`)).toEqual([
      'b.yaml:1:5:target.hetzner.location',
      'd.yaml:2:3:a',
      'd.yaml:2:3:z',
      'd.yaml:2:9:target.hetzner.location',
      'd.yaml:10:1:target.hetzner.location',
    ]);
    expect(input).toEqual(copy);
  });
});

describe('did you mean', () => {
  it('suggests the nearest candidate for a likely typo, ignoring case', () => {
    expect(didYouMean('federaton', ['federation', 'identity', 'calls'])).toBe('federation');
    expect(didYouMean('FSN1', ['fsn1', 'nbg1', 'hel1'])).toBe('fsn1');
    expect(didYouMean('fns1', ['fsn1', 'nbg1', 'hel1'])).toBe('fsn1');
  });

  it('suggests nothing when no candidate is close', () => {
    expect(didYouMean('colour', ['turn', 'relay_ports'])).toBeUndefined();
    expect(didYouMean('anything', [])).toBeUndefined();
  });
});
