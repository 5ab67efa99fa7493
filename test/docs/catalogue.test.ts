import { registryOf, splitImage } from '../../src/docs/catalogue';

describe('image references', () => {
  it('splits the repository from the tag, latest when there is none', () => {
    expect(splitImage('ghcr.io/element-hq/synapse:v1.163.2')).toEqual({ repository: 'ghcr.io/element-hq/synapse', tag: 'v1.163.2' });
    expect(splitImage('postgres:17.9')).toEqual({ repository: 'postgres', tag: '17.9' });
    expect(splitImage('coturn/coturn')).toEqual({ repository: 'coturn/coturn', tag: 'latest' });
    // A port in the registry host is not a tag.
    expect(splitImage('registry.example.eu:5000/mirror/postgres')).toEqual({ repository: 'registry.example.eu:5000/mirror/postgres', tag: 'latest' });
    expect(splitImage('registry.example.eu:5000/mirror/postgres:17.9')).toEqual({ repository: 'registry.example.eu:5000/mirror/postgres', tag: '17.9' });
  });

  it('names the registry, docker.io for Docker Hub short names', () => {
    expect(registryOf('ghcr.io/element-hq/synapse:v1')).toBe('ghcr.io');
    expect(registryOf('quay.io/keycloak/keycloak:26')).toBe('quay.io');
    expect(registryOf('localhost:5000/x:1')).toBe('localhost:5000');
    expect(registryOf('postgres:17.9')).toBe('docker.io');
    expect(registryOf('coturn/coturn:4.7')).toBe('docker.io');
  });
});
