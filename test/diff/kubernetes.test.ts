/**
 * The apps stack's Kubernetes objects (one kubernetes_manifest each) in the diff: named by kind
 * and namespace/name, changed fields as Kubernetes field paths, ConfigMap files as unified diffs
 * of the file Kubernetes receives, and the stateful rules read from the object's kind. The stacks
 * compared here are the kit's real synthesized stacks, changed one field at a time.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDeploymentFiles } from '../../src/config/load';
import { compareSnapshots } from '../../src/diff/compare';
import { formatJson, formatTerminal } from '../../src/diff/format';
import type { SideSnapshot } from '../../src/diff/model';
import { synthesizeInProcess } from '../../src/diff/sides';
import { unifiedTextDiff } from '../../src/diff/text-diff';
import { cli } from '../helpers';
import { FIXTURES, pair, type JsonDiff } from './helpers';

jest.setTimeout(60_000);

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any
const NS = 'matrix-diff-fixture';

/** The synthesized stacks of a deployment file, by stack name. */
function synthesized(file: string): Map<string, Json> {
  const [snapshot] = synthesizeInProcess(loadDeploymentFiles([file]));
  return snapshot.stacks as Map<string, Json>;
}
const BASE = synthesized(join(FIXTURES, 'base.yaml'));
const APPS = `diff-fixture-apps`;

function side(label: string, apps: Json): SideSnapshot {
  return { label, deployments: new Map([['diff-fixture', { name: 'diff-fixture', file: 'deployments/d.yaml', stacks: new Map([[APPS, apps]]), files: new Map() }]]) };
}

/** The base apps stack against a copy changed by `edit` (which gets the kubernetes_manifest resources). */
function diffEdited(edit: (manifests: Record<string, Json>) => void): JsonDiff {
  const before = BASE.get(APPS);
  const after = structuredClone(before);
  edit(after.resource.kubernetes_manifest);
  return JSON.parse(formatJson(compareSnapshots(side('base', before), side('head', after))));
}
const manifestOf = (manifests: Record<string, Json>, name: string) => manifests[name].manifest;

describe('Kubernetes objects are named and changed in Kubernetes terms', () => {
  test('terminal: a Deployment image change and a ConfigMap file change', async () => {
    const image = pair('synapse-version');
    const imageText = (await cli('diff', '--base', image.base, '--head', image.head)).stdout.split('\n');
    expect(imageText).toEqual(
      expect.arrayContaining([
        `    ~ Deployment ${NS}/synapse (kubernetes_manifest.deployment_${NS}_synapse)`,
        '    -   spec.template.spec.containers[0].image = "ghcr.io/element-hq/synapse:v1.163.2"',
        '    +   spec.template.spec.containers[0].image = "ghcr.io/element-hq/synapse:v1.164.0"',
      ]),
    );
    const file = pair('allow-list');
    const fileText = (await cli('diff', '--base', file.base, '--head', file.head)).stdout;
    const lines = fileText.split('\n');
    const start = lines.indexOf(`    ~ ConfigMap ${NS}/synapse-config (kubernetes_manifest.configmap_${NS}_synapse-config)`);
    expect(start).toBeGreaterThan(0);
    expect(lines[start + 1]).toBe('    ~   data["homeserver.yaml"]:');
    expect(lines[start + 2]).toMatch(/^ {8}@@ -\d+,\d+ \+\d+,\d+ @@$/);
    expect(lines.slice(start + 2, start + 12)).toContain('        +  - other.example.eu');
    // No typed Kubernetes resource of older kit versions is left in the output.
    expect(fileText).not.toMatch(/kubernetes_(config_map|deployment|stateful_set|namespace)_v1/);
  });

  test('JSON: every object change carries its identity; paths are Kubernetes field paths, unprefixed', () => {
    const diff = diffEdited((m) => {
      const service = manifestOf(m, `service_${NS}_synapse`);
      service.spec.ports[0].port = 8009;
      service.metadata.labels['app.kubernetes.io/version'] = '2';
    });
    const [change] = diff.deployments[0].stacks[0].changes;
    expect(change).toMatchObject({
      address: `kubernetes_manifest.service_${NS}_synapse`,
      status: 'changed',
      kubernetes: { apiVersion: 'v1', kind: 'Service', namespace: NS, name: 'synapse' },
    });
    expect(change.attributes).toEqual([
      { path: 'metadata.labels["app.kubernetes.io/version"]', action: 'add', old: null, new: '2' },
      { path: 'spec.ports[0].port', action: 'change', old: 8008, new: 8009 },
    ]);
  });

  test('an added object: named by kind, its fields by their Kubernetes names, then its Terraform arguments', () => {
    const before = BASE.get(APPS);
    const after = structuredClone(before);
    after.resource.kubernetes_manifest[`networkpolicy_${NS}_allow-metrics`] = {
      depends_on: [`kubernetes_manifest.namespace_${NS}`],
      field_manager: { force_conflicts: true, name: 'sovereign-matrix' },
      manifest: { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'allow-metrics', namespace: NS }, spec: { podSelector: {} } },
    };
    const result = compareSnapshots(side('base', before), side('head', after));
    const lines = formatTerminal(result, false).split('\n');
    const at = lines.indexOf(`    + NetworkPolicy ${NS}/allow-metrics (kubernetes_manifest.networkpolicy_${NS}_allow-metrics; create)`);
    expect(at).toBeGreaterThan(0);
    expect(lines.slice(at + 1, at + 7).map((l) => l.trim().split(' = ')[0])).toEqual(['+   apiVersion', '+   kind', '+   metadata', '+   spec', '+   depends_on', '+   field_manager']);
  });

  test('the Terraform arguments of a kubernetes_manifest keep their names and raise no warning', () => {
    const diff = diffEdited((m) => {
      m[`statefulset_${NS}_postgres`].depends_on.pop();
    });
    const [change] = diff.deployments[0].stacks[0].changes;
    expect(change.kubernetes?.kind).toBe('StatefulSet');
    expect(change.attributes.map((a) => a.path)).toEqual(['depends_on']);
    expect(diff.warnings).toEqual([]);
  });

  test('a ConfigMap file is shown as Kubernetes receives it: Terraform template escapes undone', () => {
    // Literal text as the apps stack writes it for Terraform: `$${` and `%%{`.
    const withScript = (script: string) => {
      const apps = structuredClone(BASE.get(APPS));
      apps.resource.kubernetes_manifest[`configmap_${NS}_synapse-config`].manifest.data['run.sh'] = script;
      return apps;
    };
    const result = compareSnapshots(
      side('base', withScript('#!/bin/sh\nname=$${1}\necho "%%{not a directive}"\nexit 0\n')),
      side('head', withScript('#!/bin/sh\nname=$${1,,}\necho "%%{not a directive}"\nexit 0\n')),
    );
    const json = JSON.parse(formatJson(result)) as JsonDiff;
    expect(json.deployments[0].stacks[0].changes[0].attributes).toEqual([
      { path: 'data["run.sh"]', action: 'change', old: '#!/bin/sh\nname=${1}\necho "%{not a directive}"\nexit 0\n', new: '#!/bin/sh\nname=${1,,}\necho "%{not a directive}"\nexit 0\n' },
    ]);
    const terminal = formatTerminal(result, false);
    const patch = unifiedTextDiff('#!/bin/sh\nname=${1}\necho "%{not a directive}"\nexit 0\n', '#!/bin/sh\nname=${1,,}\necho "%{not a directive}"\nexit 0\n');
    expect(terminal).toContain(['    ~   data["run.sh"]:', ...patch.split('\n').map((l) => `        ${l}`)].join('\n'));
    expect(terminal).toContain('        -name=${1}\n        +name=${1,,}');
    expect(terminal).not.toContain('$${');
  });
});

describe('stateful and immutable fields, read from the object kind', () => {
  const warnings = (diff: JsonDiff) => diff.warnings.map((w) => [w.kind, w.kubernetes ? `${w.kubernetes.kind} ${w.kubernetes.name}` : w.address]);

  test("a StatefulSet's volumeClaimTemplates, selector and serviceName: irreversible, the API refuses the update", () => {
    for (const edit of [
      (s: Json) => (s.spec.volumeClaimTemplates[0].spec.storageClassName = 'hcloud-volumes'),
      (s: Json) => (s.spec.selector.matchLabels['app.kubernetes.io/name'] = 'pg'),
      (s: Json) => (s.spec.serviceName = 'pg'),
    ]) {
      const diff = diffEdited((m) => edit(manifestOf(m, `statefulset_${NS}_postgres`)));
      expect(warnings(diff)).toEqual([['irreversible', 'StatefulSet postgres']]);
      expect(diff.warnings[0].message).toMatch(/^StatefulSet matrix-diff-fixture\/postgres \(kubernetes_manifest\.statefulset_matrix-diff-fixture_postgres\) must be replaced, a StatefulSet holds PostgreSQL/);
      expect(diff.warnings[0].message).toMatch(/the API server refuses the update; the StatefulSet has to be deleted and created again\)$/);
    }
  });

  test("a claim's storage class, access modes and a smaller size: irreversible; a larger size and labels: no warning", () => {
    const claim = (change: (c: Json) => void) => diffEdited((m) => change(manifestOf(m, `persistentvolumeclaim_${NS}_synapse-data`)));
    for (const change of [
      (c: Json) => (c.spec.storageClassName = 'hcloud-volumes'),
      (c: Json) => (c.spec.accessModes = ['ReadWriteMany']),
      (c: Json) => (c.spec.resources.requests.storage = '10Gi'),
    ]) {
      expect(warnings(claim(change))).toEqual([['irreversible', 'PersistentVolumeClaim synapse-data']]);
    }
    expect(claim((c) => (c.spec.resources.requests.storage = '10Gi')).warnings[0].message).toContain(
      'spec.resources.requests.storage "25Gi" → "10Gi" (a claim can only grow, never shrink',
    );
    expect(claim((c) => (c.spec.resources.requests.storage = '30Gi')).warnings).toEqual([]);
    expect(claim((c) => (c.metadata.labels.tier = 'gold')).warnings).toEqual([]);
  });

  test("a Deployment's selector: a replacement, not data loss; its image: nothing to flag", () => {
    const selector = diffEdited((m) => (manifestOf(m, `deployment_${NS}_synapse`).spec.selector.matchLabels.tier = 'web'));
    expect(warnings(selector)).toEqual([['replacement', 'Deployment synapse']]);
    expect(selector.warnings[0].message).toMatch(/^Deployment matrix-diff-fixture\/synapse \(kubernetes_manifest\.deployment_matrix-diff-fixture_synapse\) must be replaced: spec\.selector\.matchLabels\.tier/);
    const image = diffEdited((m) => (manifestOf(m, `deployment_${NS}_synapse`).spec.template.spec.containers[0].image = 'ghcr.io/element-hq/synapse:v2'));
    expect(image.warnings).toEqual([]);
  });

  test('a different apiVersion is replaced by the provider (RequiresReplace in its plan)', () => {
    const diff = diffEdited((m) => (manifestOf(m, `ingress_${NS}_matrix`).apiVersion = 'networking.k8s.io/v1beta1'));
    expect(warnings(diff)).toEqual([['replacement', 'Ingress matrix']]);
    expect(diff.warnings[0].message).toMatch(/ is replaced: apiVersion "networking.k8s.io\/v1" → "networking.k8s.io\/v1beta1" \(a different apiVersion is another object to the provider, which deletes and creates it\)$/);
  });

  test('deleting a StatefulSet, a claim or a namespace is irreversible; a ConfigMap or a Deployment is not', () => {
    const diff = diffEdited((m) => {
      for (const name of [`statefulset_${NS}_postgres`, `persistentvolumeclaim_${NS}_synapse-data`, `namespace_${NS}-turn`, `configmap_${NS}_synapse-config`, `deployment_${NS}_mas`]) delete m[name];
    });
    expect(warnings(diff).sort()).toEqual([
      ['irreversible', 'Namespace matrix-diff-fixture-turn'],
      ['irreversible', 'PersistentVolumeClaim synapse-data'],
      ['irreversible', 'StatefulSet postgres'],
    ]);
    const removed = diff.deployments[0].stacks[0].changes.filter((c) => c.status === 'removed');
    expect(removed.map((c) => c.kubernetes?.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'Namespace', 'PersistentVolumeClaim', 'StatefulSet']);
  });
});

describe('a diff across the upgrade from kit 0.1 (typed resources to kubernetes_manifest)', () => {
  const legacy = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'migration', 'agency-k8s-apps-0.1.0.tf.json'), 'utf8'));
  const current = synthesized(join(__dirname, '..', '..', 'deployments', 'agency-kubernetes.yaml')).get('agency-k8s-apps');
  const sides = (head: Json) =>
    [legacy, head].map((apps, i) => ({
      label: i === 0 ? 'v0.1.0' : 'head',
      deployments: new Map([['agency-k8s', { name: 'agency-k8s', file: 'deployments/agency-kubernetes.yaml', stacks: new Map([['agency-k8s-apps', apps]]), files: new Map() }]]),
    })) as unknown as [SideSnapshot, SideSnapshot];

  test('an object that only moves to its kubernetes_manifest address is neither deleted nor flagged', () => {
    const result = compareSnapshots(...sides(current));
    const changes = result.deployments[0].stacks[0].changes;
    const statefulSet = changes.find((c) => c.address === 'kubernetes_stateful_set_v1.postgres')!;
    expect(statefulSet).toMatchObject({ status: 'removed', kubernetes: { kind: 'StatefulSet', namespace: 'matrix-agency-k8s', name: 'postgres' }, movedTo: 'kubernetes_manifest.statefulset_matrix-agency-k8s_postgres' });
    expect(changes.find((c) => c.address === 'kubernetes_manifest.statefulset_matrix-agency-k8s_postgres')).toMatchObject({ status: 'added', movedFrom: 'kubernetes_stateful_set_v1.postgres' });
    for (const type of ['kubernetes_namespace_v1', 'kubernetes_persistent_volume_claim_v1', 'kubernetes_stateful_set_v1']) {
      const olds = changes.filter((c) => c.address.startsWith(`${type}.`));
      expect(olds.length).toBeGreaterThan(0);
      for (const c of olds) expect({ address: c.address, movedTo: c.movedTo }).toEqual({ address: c.address, movedTo: expect.stringMatching(/^kubernetes_manifest\./) });
    }
    expect(result.warnings.filter((w) => w.kubernetes)).toEqual([]);
    const text = formatTerminal(result, false);
    expect(text).toContain('- kubernetes_stateful_set_v1.postgres (state moves to kubernetes_manifest.statefulset_matrix-agency-k8s_postgres, the object stays)');
    expect(text).toContain('+ StatefulSet matrix-agency-k8s/postgres (kubernetes_manifest.statefulset_matrix-agency-k8s_postgres; state moves from kubernetes_stateful_set_v1.postgres, the object stays)');
  });

  test('an object the new version no longer has is deleted, and flagged as before', () => {
    const head = structuredClone(current);
    delete head.resource.kubernetes_manifest['persistentvolumeclaim_matrix-agency-k8s_synapse-data'];
    const result = compareSnapshots(...sides(head));
    expect(result.warnings.filter((w) => w.kubernetes).map((w) => [w.kind, w.address])).toEqual([['irreversible', 'kubernetes_persistent_volume_claim_v1.synapse-data']]);
    expect(formatTerminal(result, false)).toContain('- kubernetes_persistent_volume_claim_v1.synapse-data (destroy; PersistentVolumeClaim matrix-agency-k8s/synapse-data)');
  });
});
