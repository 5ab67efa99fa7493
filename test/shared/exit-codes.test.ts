import { EXIT, ExitStatus } from '../../src/shared/exit-codes';

describe('exit codes', () => {
  it('give each outcome its own code, 0 only for success', () => {
    const codes = Object.values(EXIT);
    expect(new Set(codes).size).toBe(codes.length);
    expect(Object.entries(EXIT).filter(([, code]) => code === 0).map(([name]) => name)).toEqual(['ok']);
    for (const code of codes) expect(code >= 0 && code <= 255).toBe(true);
  });

  it('carries the code a command ends with', () => {
    const status = new ExitStatus(EXIT.changes);
    expect(status).toBeInstanceOf(Error);
    expect(status.code).toBe(5);
    expect(status.name).toBe('ExitStatus');
    expect(status.message).toBe('exit status 5');
  });
});
