import { PassThrough } from 'node:stream';
import { PromptInterrupted, terminalIO } from '../../src/init/prompt';

describe('terminalIO', () => {
  const saved = { stdin: process.stdin, stderr: process.stderr };
  let input: PassThrough;
  let shown: string;
  beforeEach(() => {
    input = new PassThrough();
    const output = new PassThrough();
    shown = '';
    output.on('data', (chunk) => (shown += chunk.toString()));
    Object.defineProperty(process, 'stdin', { value: input, configurable: true });
    Object.defineProperty(process, 'stderr', { value: output, configurable: true });
  });
  afterEach(() => {
    Object.defineProperty(process, 'stdin', { value: saved.stdin, configurable: true });
    Object.defineProperty(process, 'stderr', { value: saved.stderr, configurable: true });
  });

  it('asks on stderr and returns the trimmed answer from stdin, then undefined at the end of input', async () => {
    const io = terminalIO();
    expect(io.isTTY).toBe(false);
    const first = io.ask('Name: ');
    input.write('  ministry  \n');
    expect(await first).toBe('ministry');
    expect(shown).toContain('Name: ');
    const second = io.ask('Again: ');
    input.end();
    expect(await second).toBeUndefined();
    expect(await io.ask('Once more: ')).toBeUndefined();
    io.close();
  });

  it('touches no stream until the first question', () => {
    const io = terminalIO();
    io.close();
    expect(input.listenerCount('data') + input.listenerCount('keypress')).toBe(0);
  });

  it('is an Error named PromptInterrupted for Ctrl-C', () => {
    const error = new PromptInterrupted();
    expect(error).toBeInstanceOf(Error);
    expect([error.name, error.message]).toEqual(['PromptInterrupted', 'interrupted']);
  });
});
