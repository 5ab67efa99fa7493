import { get, isRecord, nodeTargetKey, str } from '../../src/config/raw-data';

describe('raw data readers', () => {
  const data = { target: { openstack: { region: 'GRA11', admin_cidrs: ['198.51.100.0/24'] } }, size: 3 };

  it('read a path of any shape without throwing', () => {
    expect(get(data, ['target', 'openstack', 'region'])).toBe('GRA11');
    expect(get(data, ['target', 'openstack', 'admin_cidrs', 'x'])).toBeUndefined();
    expect(get('not a mapping', ['target'])).toBeUndefined();
    expect(str(data, ['size'])).toBeUndefined();
    expect(str(data, ['target', 'openstack', 'region'])).toBe('GRA11');
    expect(isRecord([])).toBe(false);
  });

  it('name the node target the file asks for', () => {
    expect(nodeTargetKey(data)).toBe('openstack');
    expect(nodeTargetKey({ target: { hetzner: {} } })).toBe('hetzner');
    expect(nodeTargetKey({ target: { kubernetes: {} } })).toBeUndefined();
    expect(nodeTargetKey(undefined)).toBeUndefined();
  });
});
