import { join } from 'node:path';
import { loadDeploymentFile } from '../../../src/config/load';
import { workerInstances } from '../../../src/config/synapse-workers';
import { PORTS } from '../../../src/ports';
import { SYNAPSE_PROCESS_HOSTS, synapseWorkerHost as synapseWorkerService } from '../../../src/render/synapse-workers';
import { synapseWorkerFile } from '../../../src/render/synapse-worker-files';

const SYNAPSE_REDIS_SERVICE = SYNAPSE_PROCESS_HOSTS.redis;
const SYNAPSE_ROUTER_SERVICE = SYNAPSE_PROCESS_HOSTS.router;
/** The worker file's ConfigMap key. */
const synapseWorkerConfigFile = (instance: string) => synapseWorkerFile(instance).replace(/^synapse\//, '');
import { selectorLabels } from '../../../src/components/labels';
import { CLUSTER_BACKUP_YAML, specOf, VALID_YAML } from '../../helpers';
import { type Json, objects, ROOT, synth, selects } from './helpers';

/** A request's CPU in cores and memory in MiB, from the canonical quantities the kit writes. */
function cores(q: string): number {
  return q.endsWith('m') ? Number(q.slice(0, -1)) / 1000 : Number(q);
}


describe('Synapse workers: a single-process deployment', () => {
  const json = synth(loadDeploymentFile(join(ROOT, 'deployments/example.yaml')));

  it('has no worker, Redis or router, and the ingress sends Synapse’s paths to its one process', () => {
    const deployments = Object.keys(objects(json, 'Deployment'));
    expect(deployments.filter((d) => d.startsWith('synapse-'))).toEqual([]);
    const ingress = Object.values(objects(json, 'Ingress'))[0];
    const backends = ingress.spec.rules.flatMap((r: Json) => r.http.paths).filter((p: Json) => p.path === '/_matrix');
    expect(backends.map((p: Json) => p.backend.service)).toEqual([{ name: 'synapse', port: { number: PORTS.synapseHttp } }]);
  });
});

describe('Synapse workers: size large (deployments/research-open.yaml)', () => {
  const spec = loadDeploymentFile(join(ROOT, 'deployments/research-open.yaml'));
  const json = synth(spec);
  const deployments = objects(json, 'Deployment');
  const services = objects(json, 'Service');
  const instances = workerInstances(spec.scale.workers);
  const config = objects(json, 'ConfigMap')['synapse-config'];

  it('runs the large preset: several synchrotrons and event persisters, one pod and Service per instance', () => {
    expect(spec.scale.workers.preset).toBe('large');
    expect(instances.filter((i) => i.group.role === 'synchrotron').length).toBeGreaterThanOrEqual(2);
    for (const { name } of instances) {
      const component = synapseWorkerService(name);
      expect(deployments[component]).toBeDefined();
      expect(services[component].spec.ports[0]).toEqual(expect.objectContaining({ port: PORTS.synapseHttp }));
    }
  });

  it('starts each worker with the shared homeserver.yaml and its own worker file, both in the ConfigMap', () => {
    for (const { name } of instances) {
      const container = deployments[synapseWorkerService(name)].spec.template.spec.containers[0];
      const file = synapseWorkerConfigFile(name);
      expect(container.command).toEqual(expect.arrayContaining(['/config/homeserver.yaml', `/config/${file}`]));
      expect(config.data[file]).toContain(name);
    }
  });

  it('keeps every worker on the main process’s node, and only the media repository writes to the volume', () => {
    for (const { name, group } of instances) {
      const pod = deployments[synapseWorkerService(name)].spec.template.spec;
      const affinity = pod.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution;
      expect(affinity).toEqual([{ labelSelector: { matchLabels: selectorLabels(spec.name, 'synapse') }, topologyKey: 'kubernetes.io/hostname' }]);
      const data = pod.containers[0].volumeMounts.find((m: Json) => m.name === 'data');
      expect({ name, readOnly: data.readOnly === true }).toEqual({ name, readOnly: group.role !== 'media-repository' });
    }
  });

  it('requests no more for all Synapse processes together than the profile’s Synapse figures', () => {
    const synapsePods = ['synapse', ...instances.map((i) => synapseWorkerService(i.name))];
    const cpu = synapsePods.reduce((sum, d) => sum + cores(deployments[d].spec.template.spec.containers.find((c: Json) => c.name === 'synapse').resources.requests.cpu), 0);
    expect(cpu).toBeLessThanOrEqual(spec.size.synapse.cpu + 1e-9);
    expect(cpu).toBeGreaterThan(spec.size.synapse.cpu * 0.95);
  });

  it('sends Synapse’s public paths to the router, and the ingress controller reaches no Synapse process directly', () => {
    const ingress = Object.values(objects(json, 'Ingress'))[0];
    const synapsePaths = ingress.spec.rules.flatMap((r: Json) => r.http.paths).filter((p: Json) => ['/_matrix', '/_synapse/client'].includes(p.path));
    expect(synapsePaths.map((p: Json) => p.backend.service)).toEqual([
      { name: SYNAPSE_ROUTER_SERVICE, port: { number: PORTS.synapseRouter } },
      { name: SYNAPSE_ROUTER_SERVICE, port: { number: PORTS.synapseRouter } },
    ]);
    const policies = Object.values(objects(json, 'NetworkPolicy'));
    const publicPolicies = policies.filter((p) => p.metadata.name.startsWith('allow-ingress-'));
    for (const { name } of [{ name: 'synapse' }, ...instances.map((i) => ({ name: synapseWorkerService(i.name) }))]) {
      const labels = selectorLabels(spec.name, name);
      expect({ name, policies: publicPolicies.filter((p) => selects(p.spec.podSelector, labels)).map((p) => p.metadata.name) }).toEqual({ name, policies: [] });
    }
    expect(publicPolicies.map((p) => p.metadata.name)).toContain(`allow-ingress-${SYNAPSE_ROUTER_SERVICE}`);
  });

  it('never puts the replication secret’s value in the stack', () => {
    expect(JSON.stringify(json)).not.toMatch(/worker_replication_secret:\s*\S/);
  });
});

describe('Synapse workers: an explicit preset on an existing cluster', () => {
  it('runs the medium preset on a small deployment when asked, without federation workers when closed', () => {
    const yaml = `${VALID_YAML.replace(/target:\n(  .*\n)+/, 'target:\n  kubernetes:\n    context: prod\n')}${CLUSTER_BACKUP_YAML}federation:\n  mode: closed\nscale:\n  synapse_workers: medium\n`;
    const json = synth(specOf(yaml));
    const names = Object.keys(objects(json, 'Deployment'));
    expect(names).toContain(synapseWorkerService('synchrotron-0'));
    expect(names.filter((n) => n.includes('federation'))).toEqual([]);
    expect(names).toEqual(expect.arrayContaining([SYNAPSE_REDIS_SERVICE, SYNAPSE_ROUTER_SERVICE]));
  });
});
