import { addressBlocks, diffStack, jsonEqual, stableStringify, stripMetadata } from '../../src/diff/stack-diff';
import { MASK } from '../../src/diff/sensitive';

describe('reading a stack', () => {
  it('drops cdktf metadata at every depth', () => {
    expect(stripMetadata({ '//': { metadata: 1 }, a: [{ '//': 'x', b: 1 }], c: { d: { '//': 2, e: 3 } } })).toEqual({ a: [{ b: 1 }], c: { d: { e: 3 } } });
  });

  it('addresses resources, data sources, outputs, variables and single blocks as Terraform does', () => {
    const blocks = addressBlocks({
      '//': { metadata: {} },
      resource: { hcloud_server: { node: { name: 'n' } } },
      data: { hcloud_image: { debian: { name: 'debian-12' } } },
      output: { ipv4: { value: '1.2.3.4' }, key: { value: 'k', sensitive: true } },
      variable: { kube_host: { type: 'string' } },
      terraform: { backend: { local: {} } },
    });
    expect([...blocks.keys()].sort()).toEqual(['data.hcloud_image.debian', 'hcloud_server.node', 'output.ipv4', 'output.key', 'terraform', 'var.kube_host']);
    expect(blocks.get('hcloud_server.node')).toMatchObject({ block: 'resource', type: 'hcloud_server', sensitive: false });
    expect(blocks.get('output.key')!.sensitive).toBe(true);
    expect(blocks.get('output.ipv4')!.sensitive).toBe(false);
  });

  it('compares JSON whatever the key order', () => {
    expect(stableStringify({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } })).toBe('{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}');
    expect(jsonEqual({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(true);
    expect(jsonEqual([1, 2], [2, 1])).toBe(false);
  });
});

describe('the difference of two versions of a stack', () => {
  const tf = (server: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ resource: { hcloud_server: { node: server }, ...extra } });

  it('is nothing when only metadata or key order differ', () => {
    expect(diffStack('s', { '//': { v: 1 }, ...tf({ a: 1, b: 2 }) }, { '//': { v: 2 }, ...tf({ b: 2, a: 1 }) })).toBeUndefined();
  });

  it('lists each changed, added and removed attribute by its path', () => {
    const result = diffStack('s', tf({ location: 'fsn1', labels: { a: '1' }, rules: [{ port: 22 }], gone: true }), tf({ location: 'nbg1', labels: { a: '1', b: '2' }, rules: [{ port: 2222 }], 'user.data': 'x' }))!;
    expect(result.diff).toMatchObject({ stack: 's', status: 'changed' });
    const [change] = result.diff.changes;
    expect(change).toMatchObject({ address: 'hcloud_server.node', block: 'resource', status: 'changed' });
    expect(change.attributes).toEqual([
      { path: 'gone', action: 'remove', old: true },
      { path: 'labels.b', action: 'add', new: '2' },
      { path: 'location', action: 'change', old: 'fsn1', new: 'nbg1' },
      { path: 'rules[0].port', action: 'change', old: 22, new: 2222 },
      { path: '["user.data"]', action: 'add', new: 'x' },
    ]);
  });

  it('shows an added or removed resource whole, and says when the stack itself is new or gone', () => {
    const added = diffStack('s', undefined, tf({ name: 'n' }))!;
    expect(added.diff.status).toBe('added');
    expect(added.diff.changes).toEqual([{ address: 'hcloud_server.node', block: 'resource', status: 'added', attributes: [{ path: 'name', action: 'add', new: 'n' }] }]);
    expect(diffStack('s', tf({ name: 'n' }), undefined)!.diff).toMatchObject({ status: 'removed', changes: [{ status: 'removed' }] });
  });

  it('puts resources first, then data sources, outputs and variables', () => {
    const old = {};
    const now = { variable: { v: { type: 'string' } }, output: { o: { value: 1 } }, data: { x_y: { z: {} } }, resource: { b_c: { d: {} }, a_b: { c: {} } } };
    expect(diffStack('s', old, now)!.diff.changes.map((c) => c.address)).toEqual(['a_b.c', 'b_c.d', 'data.x_y.z', 'output.o', 'var.v']);
  });

  it('never shows the value of a sensitive output or a secret-named attribute, even when it is no longer marked', () => {
    const before = { output: { key: { value: 'old-secret-value', sensitive: true } }, resource: { random_password: { p: { password: 'pw-old-value' } } } };
    const after = { output: { key: { value: 'new-secret-value' } }, resource: { random_password: { p: { password: 'pw-new-value' } } } };
    const text = JSON.stringify(diffStack('s', before, after)!.diff);
    expect(text).not.toMatch(/old-secret-value|new-secret-value|pw-old-value|pw-new-value/);
    expect(text).toContain(JSON.stringify(MASK));
  });
});
