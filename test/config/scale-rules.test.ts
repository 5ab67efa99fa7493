import { CLUSTER_BACKUP_YAML, CNPG_YAML, problemsOf, specOf, VALID_YAML } from '../helpers';

const CLUSTER_YAML = `${VALID_YAML.replace(/target:\n(  .*\n)+/, 'target:\n  kubernetes:\n    context: prod\n')}${CLUSTER_BACKUP_YAML}`;

describe('scale', () => {
  it('refuses CloudNativePG on Hetzner, naming the field and what is expected', () => {
    const problems = problemsOf(`${VALID_YAML}scale:\n  postgres:\n    engine: cloudnative-pg\n`);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^test\.yaml:\d+:\d+: scale\.postgres\.engine: .*expected bundled on target\.hetzner/);
  });

  it('refuses instances without CloudNativePG as not used', () => {
    const problems = problemsOf(`${CLUSTER_YAML}scale:\n  postgres:\n    instances: 3\n`);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/scale\.postgres\.instances: .*only used with engine cloudnative-pg/);
  });

  it('resolves CloudNativePG with its instances on an existing cluster, backups off', () => {
    const spec = specOf(CNPG_YAML.replace('instances: 3', 'instances: 5'));
    expect(spec.scale.postgres).toEqual({ engine: 'cloudnative-pg', instances: 5 });
  });

  it("refuses CloudNativePG with the kit's backups on (the default too), naming the way through", () => {
    for (const yaml of [`${CLUSTER_YAML}scale:\n  postgres:\n    engine: cloudnative-pg\n`, CNPG_YAML.replace('  enabled: false\n', '  enabled: true\n')]) {
      const problems = problemsOf(yaml);
      expect(problems.filter((p) => /cloudnative-pg/.test(p))).toHaveLength(1);
      expect(problems.join('\n')).toMatch(/: (backup|scale\.postgres\.engine): the kit's backups cover the bundled PostgreSQL only; with cloudnative-pg set backup\.enabled: false/);
    }
  });

  it('refuses one instance: a CloudNativePG cluster without a replica has nothing to fail over to', () => {
    expect(problemsOf(CNPG_YAML.replace('instances: 3', 'instances: 1')).join('\n')).toMatch(/scale\.postgres\.instances/);
  });

  it('takes the size profile’s worker preset with auto, and an explicit one over it', () => {
    expect(specOf(VALID_YAML).scale.workers.preset).toBe('none');
    expect(specOf(`${VALID_YAML}size: large\n`).scale.workers.preset).toBe('large');
    expect(specOf(`${VALID_YAML}size: large\nscale:\n  synapse_workers: medium\n`).scale.workers.preset).toBe('medium');
    expect(specOf(`${VALID_YAML}scale:\n  synapse_workers: large\n`).scale.workers.groups.length).toBeGreaterThan(0);
  });

  it('refuses an unknown preset with the allowed values', () => {
    expect(problemsOf(`${VALID_YAML}scale:\n  synapse_workers: huge\n`).join('\n')).toMatch(/scale\.synapse_workers: .*auto, none, medium, large/);
  });
});
