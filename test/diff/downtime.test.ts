/**
 * The downtime table (src/diff/downtime.ts): one case per rule, the worst kind wins, and on the
 * kit's real apps stack, labels alone mean no downtime.
 */
import { join } from 'node:path';
import { loadDeploymentFiles } from '../../src/config/load';
import { compareSnapshots } from '../../src/diff/compare';
import { downtimeRuleFor, expectedDowntime, type ChangeFacts } from '../../src/diff/downtime';
import type { SideSnapshot } from '../../src/diff/model';
import { synthesizeInProcess } from '../../src/diff/sides';
import { FIXTURES } from './helpers';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const manifest = (kind: string, status: ChangeFacts['status'], paths: string[], extra: Partial<ChangeFacts> = {}): ChangeFacts => ({
  name: `${kind} ns/x`,
  address: `kubernetes_manifest.${kind.toLowerCase()}_ns_x`,
  type: 'kubernetes_manifest',
  kind,
  status,
  paths,
  ...extra,
});
const resource = (type: string, status: ChangeFacts['status'], paths: string[], extra: Partial<ChangeFacts> = {}): ChangeFacts => ({ name: `${type}.x`, address: `${type}.x`, type, status, paths, ...extra });
const kindOf = (change: ChangeFacts) => downtimeRuleFor(change)?.kind ?? 'none';

describe('the downtime of one change', () => {
  test.each<[string, ChangeFacts, string]>([
    ['a volume destroyed', resource('hcloud_volume', 'removed', []), 'data-at-risk'],
    ['a volume replaced (location)', resource('hcloud_volume', 'replaced', ['location'], { replacedBy: ['location'] }), 'data-at-risk'],
    ['a claim destroyed', manifest('PersistentVolumeClaim', 'removed', []), 'data-at-risk'],
    ['a claim replaced (storage class)', manifest('PersistentVolumeClaim', 'replaced', ['spec.storageClassName'], { replacedBy: ['spec.storageClassName'] }), 'data-at-risk'],
    ['a namespace destroyed', manifest('Namespace', 'removed', []), 'data-at-risk'],
    ['a StatefulSet destroyed', manifest('StatefulSet', 'removed', []), 'data-at-risk'],
    [
      'a StatefulSet replaced for its volumeClaimTemplates',
      manifest('StatefulSet', 'replaced', ['spec.volumeClaimTemplates.spec.resources.requests.storage'], { replacedBy: ['spec.volumeClaimTemplates.spec.resources.requests.storage'] }),
      'data-at-risk',
    ],
    ['a StatefulSet replaced for its serviceName (claims kept)', manifest('StatefulSet', 'replaced', ['spec.serviceName'], { replacedBy: ['spec.serviceName'] }), 'replacement'],
    ['a kit 0.1 StatefulSet replaced for its claim template', resource('kubernetes_stateful_set_v1', 'replaced', [], { kind: 'StatefulSet', replacedBy: ['spec.volume_claim_template'] }), 'data-at-risk'],
    ['a StatefulSet that only moves its state', manifest('StatefulSet', 'removed', [], { moved: true }), 'none'],
    ['a generated key replaced', resource('tls_private_key', 'replaced', ['rsa_bits'], { replacedBy: ['rsa_bits'] }), 'data-at-risk'],
    ['server_name changes', { name: 'server_name in synapse/homeserver.yaml', status: 'changed', paths: [], setting: 'server_name in synapse/homeserver.yaml', file: 'synapse/homeserver.yaml' }, 'data-at-risk'],
    ['the server replaced', resource('hcloud_server', 'replaced', ['user_data'], { replacedBy: ['user_data'] }), 'replacement'],
    ['a primary IP replaced', resource('hcloud_primary_ip', 'replaced', ['location'], { replacedBy: ['location'] }), 'replacement'],
    ['a Deployment replaced (selector)', manifest('Deployment', 'replaced', ['spec.selector.matchLabels.tier'], { replacedBy: ['spec.selector.matchLabels.tier'] }), 'replacement'],
    ['the server type', resource('hcloud_server', 'changed', ['server_type']), 'restart'],
    ['a Deployment image', manifest('Deployment', 'changed', ['spec.template.spec.containers.image']), 'restart'],
    ['a StatefulSet resources', manifest('StatefulSet', 'changed', ['spec.template.spec.containers.resources.limits.memory']), 'restart'],
    ['a ConfigMap file', manifest('ConfigMap', 'changed', ['data["homeserver.yaml"]']), 'restart'],
    ['a Deployment label', manifest('Deployment', 'changed', ['metadata.labels["app.kubernetes.io/version"]']), 'none'],
    ['a ConfigMap annotation', manifest('ConfigMap', 'changed', ['metadata.annotations.note']), 'none'],
    ['the server labels', resource('hcloud_server', 'changed', ['labels.team']), 'none'],
    ['a bigger volume', resource('hcloud_volume', 'changed', ['size']), 'none'],
    ['a firewall rule', resource('hcloud_firewall', 'changed', ['rule.source_ips']), 'none'],
    ['a new object', manifest('NetworkPolicy', 'added', ['spec']), 'none'],
    ['a Deployment destroyed (the service is switched off)', manifest('Deployment', 'removed', []), 'none'],
  ])('%s: %s', (_, change, kind) => {
    expect(kindOf(change)).toBe(kind);
  });
});

describe('the downtime of a deployment', () => {
  test('the worst kind wins, with the causes of that kind only', () => {
    const downtime = expectedDowntime([
      manifest('Deployment', 'changed', ['spec.template.spec.containers.image']),
      resource('hcloud_server', 'replaced', ['image'], { replacedBy: ['image'] }),
      resource('hcloud_primary_ip', 'replaced', ['location'], { replacedBy: ['location'] }),
      manifest('Service', 'changed', ['metadata.labels.tier']),
    ]);
    expect(downtime).toEqual({
      kind: 'replacement',
      causes: [
        { name: 'hcloud_server.x', address: 'hcloud_server.x', reason: 'is destroyed and created again' },
        { name: 'hcloud_primary_ip.x', address: 'hcloud_primary_ip.x', reason: 'is destroyed and created again' },
      ],
    });
    expect(expectedDowntime([])).toEqual({ kind: 'none', causes: [] });
  });

  test("on the kit's apps stack: labels only are no downtime; a pod template label restarts", () => {
    const [snapshot] = synthesizeInProcess(loadDeploymentFiles([join(FIXTURES, 'base.yaml')]));
    const apps = snapshot.stacks.get('diff-fixture-apps') as Json;
    const side = (label: string, tf: Json): SideSnapshot => ({
      label,
      deployments: new Map([['diff-fixture', { name: 'diff-fixture', file: 'd.yaml', stacks: new Map([['diff-fixture-apps', tf]]), files: new Map() }]]),
    });
    const edited = (edit: (m: Json) => void) => {
      const after = structuredClone(apps);
      edit(after.resource.kubernetes_manifest);
      return compareSnapshots(side('base', apps), side('head', after)).deployments[0].downtime;
    };
    const synapse = (m: Json) => m['deployment_matrix-diff-fixture_synapse'].manifest;
    expect(edited((m) => (synapse(m).metadata.labels.team = 'chat')).kind).toBe('none');
    expect(edited((m) => (synapse(m).spec.template.metadata.labels.team = 'chat'))).toEqual({
      kind: 'restart',
      causes: [{ name: 'Deployment matrix-diff-fixture/synapse', address: 'kubernetes_manifest.deployment_matrix-diff-fixture_synapse', reason: 'changes its pod template; its pods are recreated' }],
    });
  });
});
