import { countChanges, sumCounts, type AddressChange, type StackDiff } from '../../src/diff/model';

const change = (address: string, status: AddressChange['status'], moved: { movedTo?: string; movedFrom?: string } = {}): AddressChange => ({ address, block: 'resource', status, attributes: [], ...moved });

describe('counting the changes of a stack', () => {
  it('counts each status apart; a replacement is not a change', () => {
    const stack: StackDiff = { stack: 's', status: 'changed', changes: [change('a.a', 'added'), change('a.b', 'added'), change('c.c', 'changed'), change('r.r', 'replaced'), change('d.d', 'removed')] };
    expect(countChanges(stack)).toEqual({ added: 2, changed: 1, replaced: 1, removed: 1, moved: 0 });
  });

  it('counts an object that moves to a new address once, as moved, neither added nor removed', () => {
    const stack: StackDiff = {
      stack: 's',
      status: 'changed',
      changes: [change('kubernetes_stateful_set_v1.postgres', 'removed', { movedTo: 'kubernetes_manifest.x' }), change('kubernetes_manifest.x', 'added', { movedFrom: 'kubernetes_stateful_set_v1.postgres' })],
    };
    expect(countChanges(stack)).toEqual({ added: 0, changed: 0, replaced: 0, removed: 0, moved: 1 });
  });

  it('adds up the counts of several stacks', () => {
    const one = { added: 1, changed: 2, replaced: 3, removed: 4, moved: 5 };
    expect(sumCounts([one, one, { added: 0, changed: 0, replaced: 1, removed: 0, moved: 0 }])).toEqual({ added: 2, changed: 4, replaced: 7, removed: 8, moved: 10 });
    expect(sumCounts([])).toEqual({ added: 0, changed: 0, replaced: 0, removed: 0, moved: 0 });
  });
});
