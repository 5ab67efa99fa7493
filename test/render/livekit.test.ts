import YAML from 'yaml';
import { PORTS } from '../../src/ports';
import { LIVEKIT_CONFIG_PATH, LIVEKIT_ENV, LIVEKIT_KEYS_PATH, LIVEKIT_KEY_NAME, LIVEKIT_SECRET_FILES, livekitConfig, livekitKeyFile, renderLivekit } from '../../src/render/livekit';
import { SYNAPSE_TURN_SECRET_PATH, synapseTurnSettings } from '../../src/render/turn';
import { FOREIGN_HOSTS, specWith } from './fixtures';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const MEDIUM = 'size: medium\n';

function rendered(extraYaml = MEDIUM): Obj {
  const files = renderLivekit(specWith(extraYaml));
  expect(files.map((f) => f.path)).toEqual([LIVEKIT_CONFIG_PATH, LIVEKIT_KEYS_PATH]);
  return YAML.parse(files[0].content);
}

describe('livekit/livekit.yaml', () => {
  const c = rendered();

  test('is rendered only when group calls run', () => {
    expect(renderLivekit(specWith())).toEqual([]);
    expect(renderLivekit(specWith('size: large\ncalls:\n  group:\n    enabled: false\n'))).toEqual([]);
    expect(() => livekitConfig(specWith())).toThrow(/calls\.group/);
  });

  test('the file is livekitConfig(spec) as YAML', () => {
    expect(c).toEqual(livekitConfig(specWith(MEDIUM)));
  });

  test("listens on the kit's signalling port, ICE/TCP and exactly the media range of the deployment file", () => {
    expect(c.port).toBe(PORTS.livekitHttp);
    expect(c.rtc).toMatchObject({ tcp_port: 7881, port_range_start: 51000, port_range_end: 51499 });
    expect(c.rtc).not.toHaveProperty('udp_port'); // the UDP mux would ignore the range
    const custom = rendered('size: medium\ncalls:\n  group:\n    tcp_port: 7891\n    media_ports: { min: 52000, max: 52099 }\n');
    expect(custom.rtc).toMatchObject({ tcp_port: 7891, port_range_start: 52000, port_range_end: 52099 });
  });

  test('never asks or hands out a STUN server of a third party: the node address is given, STUN and TURN are our coturn', () => {
    expect(c.rtc.use_external_ip).toBe(false);
    expect(c.rtc.node_ip).toBe(`@@${LIVEKIT_ENV.nodeIp}@@`);
    expect(c.rtc.stun_servers).toEqual(['turn.ministry.example.eu:3478']);
    expect(c.turn).toEqual({ enabled: false });
    const text = renderLivekit(specWith(MEDIUM))[0].content;
    for (const host of [...FOREIGN_HOSTS, 'google', 'twilio', 'livekit.io', 'livekit.cloud']) expect(text).not.toContain(host);
  });

  test("hands clients exactly the TURN endpoints Synapse names, with credentials from coturn's shared secret", () => {
    const spec = specWith(MEDIUM);
    const uris = c.rtc.turn_servers.map((s: Obj) => `${s.protocol === 'tls' ? 'turns' : 'turn'}:${s.host}:${s.port}?transport=${s.protocol === 'udp' ? 'udp' : 'tcp'}`);
    expect(uris).toEqual(synapseTurnSettings(spec).turn_uris);
    for (const server of c.rtc.turn_servers) {
      expect(server.secret_file).toBe(SYNAPSE_TURN_SECRET_PATH);
      expect(server).not.toHaveProperty('secret');
      expect(server).not.toHaveProperty('credential');
    }
  });

  test('keys come from a file, rooms only from lk-jwt-service, webhooks go to it inside the cluster', () => {
    expect(c.key_file).toBe(LIVEKIT_SECRET_FILES.keyFile);
    expect(c).not.toHaveProperty('keys');
    expect(c.room).toEqual({ auto_create: false });
    expect(c.webhook).toEqual({ api_key: LIVEKIT_KEY_NAME, urls: [`http://lk-jwt-service.matrix-ministry.svc:${PORTS.lkJwtHttp}/sfu_webhook`] });
  });

  test('the key file template names the key and holds the secret only as a placeholder', () => {
    const keys = renderLivekit(specWith(MEDIUM))[1];
    expect(keys.content).toBe(`${LIVEKIT_KEY_NAME}: @@${LIVEKIT_ENV.apiSecret}@@\n`);
  });

  test('the key file is one line both readers parse: YAML for LiveKit, "key:secret" for lk-jwt-service', () => {
    const secret = 'a'.repeat(48);
    const file = livekitKeyFile(secret);
    expect(YAML.parse(file)).toEqual({ [LIVEKIT_KEY_NAME]: secret });
    // lk-jwt-service (config.go readKeySecret): split at ':' into exactly two parts, each trimmed.
    const parts = file.split(':');
    expect(parts.map((p) => p.trim())).toEqual([LIVEKIT_KEY_NAME, secret]);
    expect(() => livekitKeyFile('ab:cd')).toThrow(/":"/);
    expect(() => livekitKeyFile('ab cd')).toThrow();
  });

  test('deterministic', () => {
    expect(renderLivekit(specWith(MEDIUM))).toEqual(renderLivekit(specWith(MEDIUM)));
  });
});
