/**
 * What the diff flags at the top (src/diff/stateful.ts): the rules that make a change a
 * replacement, the settings that can never change, and which stateful resources count as
 * irreversible. The end-to-end diffs that use them are in kubernetes.test.ts and cli-diff.test.ts.
 */
import { IRREVERSIBLE_SETTINGS, quantity, REPLACEMENT_RULES, replacementRulesFor, statefulResource } from '../../src/diff/stateful';
import { STATEFUL_RESOURCES } from '../../src/operations/stateful-resources';

const reasons = (...args: Parameters<typeof replacementRulesFor>) => replacementRulesFor(...args).map((r) => r.reason);

describe('replacement rules', () => {
  it('replaces the server for new user data, image, location or SSH keys, but not for a new server type or name', () => {
    for (const attribute of ['user_data', 'image', 'location', 'datacenter', 'ssh_keys']) {
      expect(reasons('hcloud_server', attribute, 'a', 'b')).toHaveLength(1);
    }
    expect(reasons('hcloud_server', 'server_type', 'cx33', 'cx43')).toEqual([]);
    expect(reasons('hcloud_server', 'name', 'a', 'b')).toEqual([]);
    expect(reasons('hcloud_server', 'ssh_keys[0]', 'a', 'b')).toEqual(['SSH keys are only injected at creation; the provider replaces the server (ForceNew)']);
  });

  it('replaces a volume only when it shrinks', () => {
    expect(reasons('hcloud_volume', 'size', 100, 50)).toEqual(['Hetzner volumes can only grow; a smaller size needs a new volume']);
    expect(reasons('hcloud_volume', 'size', 50, 100)).toEqual([]);
    expect(reasons('hcloud_volume', 'size', 50, 50)).toEqual([]);
    // Not a number (an unknown value at plan time): no claim either way.
    expect(reasons('hcloud_volume', 'size', 50, '${var.size}')).toEqual([]);
    expect(reasons('hcloud_volume', 'location', 'fsn1', 'nbg1')).toHaveLength(1);
  });

  it('on OpenStack, replaces the server for new user data, key pair, block devices or port, but not for a new flavour; a volume only when it shrinks', () => {
    for (const attribute of ['user_data', 'key_pair', 'block_device[1].uuid', 'network[0].port', 'region']) {
      expect(reasons('openstack_compute_instance_v2', attribute, 'a', 'b')).toHaveLength(1);
    }
    // A flavour change is a resize in place (the provider's Update), not a replacement.
    expect(reasons('openstack_compute_instance_v2', 'flavor_name', 'b3-16', 'b3-32')).toEqual([]);
    expect(reasons('openstack_blockstorage_volume_v3', 'size', 100, 50)).toEqual(['Cinder volumes can only be extended; a smaller size needs a new volume']);
    expect(reasons('openstack_blockstorage_volume_v3', 'size', 50, 100)).toEqual([]);
    expect(reasons('openstack_networking_floatingip_v2', 'pool', 'Ext-Net', 'other')).toHaveLength(1);
  });

  it('matches a rule by path prefix, ignoring list indices, but not a longer attribute name', () => {
    expect(replacementRulesFor('kubernetes_stateful_set_v1', 'spec[0].volume_claim_template[0].spec[0].resources', 1, 2).map((r) => r.attribute)).toEqual(['spec.volume_claim_template']);
    expect(replacementRulesFor('hcloud_server', 'user_data_extra', 'a', 'b')).toEqual([]);
    expect(replacementRulesFor('hcloud_firewall', 'rule[0].port', '22', '2222')).toEqual([]);
  });

  it('replaces any Kubernetes object whose identity changes, of whatever kind', () => {
    for (const attribute of ['apiVersion', 'kind', 'metadata.name', 'metadata.namespace']) {
      const rules = replacementRulesFor('kubernetes_manifest', attribute, 'a', 'b', 'ConfigMap');
      expect(rules).toHaveLength(1);
      expect(rules[0].refused).toBeUndefined();
    }
    expect(replacementRulesFor('kubernetes_manifest', 'metadata.labels.app', 'a', 'b', 'ConfigMap')).toEqual([]);
    expect(replacementRulesFor('kubernetes_manifest', 'data', 'a', 'b', 'ConfigMap')).toEqual([]);
  });

  it('marks the immutable fields of a kind as refused by the API server, for that kind only', () => {
    const [rule] = replacementRulesFor('kubernetes_manifest', 'spec.volumeClaimTemplates[0].spec', 'a', 'b', 'StatefulSet');
    expect(rule).toMatchObject({ kind: 'StatefulSet', refused: true });
    expect(rule.reason).toBe('volumeClaimTemplates are immutable: the API server refuses the update; the StatefulSet has to be deleted and created again');
    expect(replacementRulesFor('kubernetes_manifest', 'spec.volumeClaimTemplates', 'a', 'b', 'Deployment')).toEqual([]);
    expect(replacementRulesFor('kubernetes_manifest', 'spec.selector.matchLabels.app', 'a', 'b', 'Deployment')).toEqual([expect.objectContaining({ kind: 'Deployment', refused: true })]);
    expect(replacementRulesFor('kubernetes_manifest', 'spec.replicas', 1, 2, 'StatefulSet')).toEqual([]);
  });

  it('refuses a claim that shrinks, in any unit, and lets it grow', () => {
    const storage = (before: unknown, after: unknown) => replacementRulesFor('kubernetes_manifest', 'spec.resources.requests.storage', before, after, 'PersistentVolumeClaim');
    expect(storage('100Gi', '50Gi')).toEqual([expect.objectContaining({ refused: true, reason: expect.stringMatching(/^a claim can only grow, never shrink/) })]);
    expect(storage('1Ti', '1000Gi')).toHaveLength(1);
    expect(storage('50Gi', '100Gi')).toEqual([]);
    expect(storage('100G', '100Gi')).toEqual([]);
    expect(storage('100Gi', 'lots')).toEqual([]);
  });

  it('keeps the rules of kit 0.1’s typed resources, as ForceNew replacements', () => {
    for (const type of ['kubernetes_stateful_set', 'kubernetes_stateful_set_v1']) {
      expect(replacementRulesFor(type, 'spec[0].service_name', 'a', 'b')).toEqual([expect.objectContaining({ attribute: 'spec.service_name' })]);
    }
    expect(replacementRulesFor('kubernetes_persistent_volume_claim_v1', 'spec[0].storage_class_name', 'a', 'b')).toHaveLength(1);
    expect(replacementRulesFor('kubernetes_config_map_v1', 'metadata[0].name', 'a', 'b')).toEqual([expect.objectContaining({ reason: 'a Kubernetes object cannot be renamed; it is replaced' })]);
  });

  it('gives every rule a reason a reviewer can read', () => {
    for (const rule of REPLACEMENT_RULES) expect(rule.reason).toMatch(/\w+ \w+ \w+/);
  });
});

describe('irreversible picks', () => {
  it('calls the loss of data, an address, a key or a generated secret irreversible', () => {
    for (const type of ['hcloud_volume', 'hcloud_primary_ip', 'random_password', 'tls_private_key', 'tls_self_signed_cert', 'kubernetes_stateful_set_v1', 'kubernetes_persistent_volume_claim']) {
      expect(statefulResource(type)?.irreversible).toBe(true);
    }
    for (const kind of ['StatefulSet', 'PersistentVolumeClaim', 'Namespace']) expect(statefulResource('kubernetes_manifest', kind)?.kind).toBe(kind);
  });

  it('calls replacing the node or renewing the client certificate a plain replacement, and other resources nothing', () => {
    expect(STATEFUL_RESOURCES.find((e) => e.type === 'hcloud_server')).toBeDefined();
    expect(statefulResource('hcloud_server')).toBeUndefined();
    expect(statefulResource('tls_locally_signed_cert')).toBeUndefined();
    expect(statefulResource('hcloud_firewall')).toBeUndefined();
    expect(statefulResource('kubernetes_manifest')).toBeUndefined();
    expect(statefulResource('kubernetes_manifest', 'Deployment')).toBeUndefined();
  });

  it('lists the settings of homeserver.yaml that can never change', () => {
    expect(IRREVERSIBLE_SETTINGS.map((s) => `${s.file}:${s.path.join('.')}`)).toEqual(
      expect.arrayContaining(['synapse/homeserver.yaml:server_name', 'synapse/homeserver.yaml:signing_key_path', 'synapse/homeserver.yaml:media_store_path']),
    );
    for (const setting of IRREVERSIBLE_SETTINGS) expect(setting.reason.length).toBeGreaterThan(20);
  });
});

describe('quantities', () => {
  test('Kubernetes quantities', () => {
    expect([quantity('25Gi'), quantity('512Mi'), quantity('1G'), quantity('500m'), quantity('2'), quantity('1e3'), quantity('x')]).toEqual([
      25 * 2 ** 30,
      512 * 2 ** 20,
      1e9,
      0.5,
      2,
      1000,
      undefined,
    ]);
  });

  test('numbers pass through; decimals, exponents and surrounding spaces are read; other types are not quantities', () => {
    expect(quantity(7)).toBe(7);
    expect(quantity(' 1.5Gi ')).toBe(1.5 * 2 ** 30);
    expect(quantity('.5')).toBe(0.5);
    expect(quantity('2E-3')).toBeCloseTo(0.002);
    expect(quantity('10Xi')).toBeUndefined();
    expect(quantity(null)).toBeUndefined();
    expect(quantity(['1Gi'])).toBeUndefined();
  });
});
