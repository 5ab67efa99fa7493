import { renderAll } from '../../src/render';
import { specWith } from './fixtures';

describe('renderAll', () => {
  it('returns every service’s files sorted by path, each path once', () => {
    const files = renderAll(specWith());
    const paths = files.map((f) => f.path);
    expect(paths).toEqual([...paths].sort((a, b) => a.localeCompare(b)));
    expect(new Set(paths).size).toBe(paths.length);
    const services = new Set(paths.map((p) => p.split('/')[0]));
    for (const service of ['synapse', 'postgres', 'mas', 'element-web', 'well-known', 'coturn', 'traefik']) expect(services).toContain(service);
  });

  it('leaves out the services a deployment does not run', () => {
    const services = (extra: string) => new Set(renderAll(specWith(extra)).map((f) => f.path.split('/')[0]));
    expect(services('calls:\n  turn: false\n')).not.toContain('coturn');
    expect(services('calls:\n  turn: false\n')).not.toContain('traefik');
    expect(services('')).not.toContain('keycloak');
    expect(services('identity:\n  mode: keycloak\n')).toContain('keycloak');
  });

  it('is pure: the same deployment gives the same bytes', () => {
    expect(renderAll(specWith())).toEqual(renderAll(specWith()));
  });
});
