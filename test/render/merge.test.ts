import { deepMerge } from '../../src/render/merge';

describe('deepMerge (the escape hatch)', () => {
  test('objects merge recursively; arrays, scalars and null replace', () => {
    const base = { a: 1, o: { x: 1, y: [1, 2], z: { k: 'v' } }, arr: [1], keep: true };
    const overlay = { a: 2, o: { y: [3], z: { n: 1 } }, arr: [], keep: null, added: 'new' };
    expect(deepMerge(base, overlay)).toEqual({ a: 2, o: { x: 1, y: [3], z: { k: 'v', n: 1 } }, arr: [], keep: null, added: 'new' });
  });

  test('base key order is kept, new keys follow in the overlay order', () => {
    expect(Object.keys(deepMerge({ b: 1, a: 2 }, { z: 1, a: 3, c: 4 }))).toEqual(['b', 'a', 'z', 'c']);
  });

  test('an object replaces a scalar and a scalar replaces an object', () => {
    expect(deepMerge({ a: 1, b: { x: 1 } }, { a: { y: 2 }, b: 'flat' })).toEqual({ a: { y: 2 }, b: 'flat' });
  });

  test('inputs are not modified and the result shares nothing with them', () => {
    const base = Object.freeze({ o: Object.freeze({ list: Object.freeze([1]) }) });
    const overlay = Object.freeze({ o: Object.freeze({ more: Object.freeze({ deep: 1 }) }) });
    const result = deepMerge(base, overlay) as { o: { list: number[]; more: { deep: number } } };
    expect(result.o.list).not.toBe(base.o.list);
    expect(result.o.more).not.toBe(overlay.o.more);
    result.o.list.push(2);
    expect(base.o.list).toEqual([1]);
  });
});
