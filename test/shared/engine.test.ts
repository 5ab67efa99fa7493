import { compareVersions, requireEngineVersion, ToolError } from '../../src/shared/engine';

describe('engine', () => {
  it('compares versions numerically and requires OpenTofu 1.8 for state encryption', () => {
    expect(compareVersions('1.10.0', '1.8.0')).toBe(1);
    expect(compareVersions('1.8.0-rc1', '1.8.0')).toBe(0);
    expect(compareVersions('1.7.9', '1.8.0')).toBe(-1);
    expect(() => requireEngineVersion({ name: 'tofu', path: '/x', version: '1.7.3' })).toThrow(ToolError);
    expect(() => requireEngineVersion({ name: 'tofu', path: '/x', version: '1.7.3' })).toThrow(/need tofu 1.8.0 or later; install OpenTofu/);
    expect(() => requireEngineVersion({ name: 'tofu', path: '/x', version: '1.12.6' })).not.toThrow();
  });
});
