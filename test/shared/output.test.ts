import { processOutput } from '../../src/shared/output';

describe('processOutput', () => {
  it('writes each line with its newline, results to stdout and messages to stderr', () => {
    const out = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      processOutput.out('result');
      processOutput.err('message');
      expect(out.mock.calls).toEqual([['result\n']]);
      expect(err.mock.calls).toEqual([['message\n']]);
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  });
});
