import { SYNAPSE_TURN_SECRET_PATH, synapseTurnSettings, turnEndpoints } from '../../src/render/turn';
import { specWith } from './fixtures';

describe('synapseTurnSettings', () => {
  it('tells clients TURN over UDP, TCP and TLS on the TURN host, and signs credentials with the mounted secret', () => {
    const spec = specWith();
    expect(synapseTurnSettings(spec)).toEqual({
      turn_uris: [`turn:${spec.hostnames.turn}:3478?transport=udp`, `turn:${spec.hostnames.turn}:3478?transport=tcp`, `turns:${spec.hostnames.turn}:5349?transport=tcp`],
      turn_shared_secret_path: SYNAPSE_TURN_SECRET_PATH,
      turn_user_lifetime: '1h',
      turn_allow_guests: false,
    });
  });

  it('is empty when TURN is off', () => {
    expect(synapseTurnSettings(specWith('calls:\n  turn: false\n'))).toEqual({});
  });

  it('one list of endpoints for every kind of call, empty without TURN', () => {
    expect(turnEndpoints(specWith())).toEqual([
      { scheme: 'turn', port: 3478, transport: 'udp' },
      { scheme: 'turn', port: 3478, transport: 'tcp' },
      { scheme: 'turns', port: 5349, transport: 'tcp' },
    ]);
    expect(turnEndpoints(specWith('calls:\n  turn: false\n'))).toEqual([]);
  });
});
