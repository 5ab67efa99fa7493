import { join } from 'node:path';
import { loadDeploymentFile } from '../../../src/config/load';
import { PORTS } from '../../../src/ports';
import { SYNAPSE_PROCESS_HOSTS, synapseWorkerHost } from '../../../src/render/synapse-workers';
import { selectorLabels } from '../../../src/components/labels';
import { type Json, objects, ROOT, synth, selects } from './helpers';

const SYNAPSE_REDIS_SERVICE = SYNAPSE_PROCESS_HOSTS.redis;
const SYNAPSE_ROUTER_SERVICE = SYNAPSE_PROCESS_HOSTS.router;
const synapseWorkerService = synapseWorkerHost;


describe('network policies of Synapse workers (size large)', () => {
  const spec = loadDeploymentFile(join(ROOT, 'deployments/research-open.yaml'));
  const json = synth(spec);
  const policies = Object.values(objects(json, 'NetworkPolicy'));

  it('lets only Synapse processes reach Redis and the replication port', () => {
    const peersOf = (labels: Record<string, string>, port: number) =>
      policies
        .filter((p) => selects(p.spec.podSelector, labels))
        .flatMap((p) => (p.spec.ingress ?? []) as Json[])
        .filter((rule) => rule.ports === undefined || rule.ports.some((p: Json) => p.port === port))
        .flatMap((rule) => rule.from ?? ['anyone']);
    const redisPeers = peersOf(selectorLabels(spec.name, SYNAPSE_REDIS_SERVICE), PORTS.redis);
    expect(redisPeers).toHaveLength(1);
    const synchrotron = selectorLabels(spec.name, synapseWorkerService('synchrotron-0'));
    expect(selects(redisPeers[0].podSelector, synchrotron)).toBe(true);
    expect(selects(redisPeers[0].podSelector, selectorLabels(spec.name, 'mas'))).toBe(false);
    const replicationPeers = peersOf(selectorLabels(spec.name, 'synapse'), PORTS.synapseReplication);
    expect(replicationPeers.every((peer) => peer !== 'anyone' && selects(peer.podSelector, synchrotron) && !selects(peer.podSelector, selectorLabels(spec.name, SYNAPSE_ROUTER_SERVICE)))).toBe(true);
  });


  it('lets the router reach Synapse processes on their HTTP port only, and nothing else', () => {
    const egress = policies.filter((p) => selects(p.spec.podSelector, selectorLabels(spec.name, SYNAPSE_ROUTER_SERVICE))).flatMap((p) => (p.spec.egress ?? []) as Json[]);
    // allow-dns (every pod) and the router's own policy.
    const own = egress.filter((rule) => !rule.ports.some((p: Json) => p.port === PORTS.dns));
    expect(own).toHaveLength(1);
    expect(own[0].ports).toEqual([{ port: PORTS.synapseHttp, protocol: 'TCP' }]);
    expect(selects(own[0].to[0].podSelector, selectorLabels(spec.name, 'synapse'))).toBe(true);
    expect(selects(own[0].to[0].podSelector, selectorLabels(spec.name, 'postgres'))).toBe(false);
  });
});

describe('network policies without workers', () => {
  it('add nothing for Redis, the router or replication', () => {
    const json = synth(loadDeploymentFile(join(ROOT, 'deployments/example.yaml')));
    const names = Object.keys(objects(json, 'NetworkPolicy'));
    expect(names.filter((n) => /redis|router|replication/.test(n))).toEqual([]);
  });
});
