import { get, isRecord, str } from '../../src/config/raw-data';

describe('raw-data readers', () => {
  const data = { a: { b: { c: 'x', n: 3 } }, list: [1] };
  it('reads a nested value and stops at anything that is not a map', () => {
    expect(get(data, ['a', 'b', 'c'])).toBe('x');
    expect(get(data, ['a', 'missing', 'c'])).toBeUndefined();
    expect(get(data, ['list', '0'])).toBeUndefined();
    expect(get('text', ['a'])).toBeUndefined();
  });
  it('reads strings only', () => {
    expect(str(data, ['a', 'b', 'c'])).toBe('x');
    expect(str(data, ['a', 'b', 'n'])).toBeUndefined();
  });
  it('treats arrays and null as not a map', () => {
    expect([isRecord({}), isRecord([]), isRecord(null), isRecord('x')]).toEqual([true, false, false, false]);
  });
});
