import { elementWebConfig, renderElementWeb } from '../../src/render/element-web';
import { FOREIGN_HOSTS, SIZES, specWith } from './fixtures';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function config(extraYaml = ''): Obj {
  return JSON.parse(renderElementWeb(specWith(extraYaml))[0].content);
}

describe('element-web/config.json', () => {
  const c = config();

  test('one file, pretty JSON with a trailing newline, equal to elementWebConfig(spec)', () => {
    const files = renderElementWeb(specWith());
    expect(files.map((f) => f.path)).toEqual(['element-web/config.json']);
    expect(files[0].content).toBe(`${JSON.stringify(elementWebConfig(specWith()), null, 2)}\n`);
  });

  test('points only at our homeserver, with no identity server', () => {
    expect(c.default_server_config).toEqual({
      'm.homeserver': { base_url: 'https://matrix.ministry.example.eu', server_name: 'ministry.example.eu' },
    });
    expect(c.default_server_config).not.toHaveProperty('m.identity_server');
    for (const key of ['default_server_name', 'default_hs_url', 'default_is_url']) expect(c).not.toHaveProperty(key);
  });

  test('users cannot switch homeserver, guests are off, no 3PID login', () => {
    expect(c.disable_custom_urls).toBe(true);
    expect(c.disable_guests).toBe(true);
    expect(c.disable_3pid_login).toBe(true);
  });

  test('room directory and permalinks stay on our servers', () => {
    expect(c.room_directory).toEqual({ servers: ['ministry.example.eu'] });
    expect(c.permalink_prefix).toBe('https://chat.ministry.example.eu');
    expect(c.brand).toEqual(expect.any(String));
  });

  test('integration manager explicitly disabled (the built-in default is scalar.vector.im)', () => {
    expect(c.integrations_ui_url).toBeNull();
    expect(c.integrations_rest_url).toBeNull();
    expect(c.integrations_widgets_urls).toEqual([]);
    expect(c.setting_defaults['UIFeature.widgets']).toBe(false);
  });

  test('calls: no Element Call or Jitsi service of others, one-to-one calls stay', () => {
    expect(c.element_call).toEqual({ use_exclusively: false });
    expect(c).not.toHaveProperty('jitsi');
    expect(c.features).toMatchObject({ feature_group_calls: false, feature_video_rooms: false, feature_element_call_video_rooms: false });
    expect(c.setting_defaults).not.toHaveProperty('UIFeature.voip');
  });

  test('with group calls: every call is an Element Call through our SFU, never Jitsi; widgets shown (Element Call is one)', () => {
    const g = config('size: medium\n');
    expect(g.element_call).toEqual({ use_exclusively: true });
    expect(g.element_call).not.toHaveProperty('url'); // the Element Call built into Element Web, not call.element.io
    expect(g.features).toMatchObject({ feature_group_calls: true, feature_video_rooms: true, feature_element_call_video_rooms: true });
    expect(g.setting_defaults['UIFeature.widgets']).toBe(true);
    expect(g).not.toHaveProperty('jitsi');
    expect(g.integrations_ui_url).toBeNull();
    expect(g.integrations_widgets_urls).toEqual([]);
  });

  test('no bug reports, analytics, or map tiles; location sharing hidden', () => {
    for (const key of ['bug_report_endpoint_url', 'posthog', 'sentry', 'piwik', 'map_style_url', 'default_country_code']) {
      expect(c).not.toHaveProperty(key);
    }
    expect(c.setting_defaults['UIFeature.locationSharing']).toBe(false);
    expect(c.setting_defaults['UIFeature.feedback']).toBe(false);
  });

  test('no labs settings', () => {
    expect(c.show_labs_settings).toBe(false);
  });

  test.each(['registration', 'passwordReset', 'deactivate', 'identityServer', 'thirdPartyId', 'urlPreviews'])(
    'UIFeature.%s is hidden (accounts belong to MAS, no identity server, no URL previews)',
    (feature) => {
      expect(c.setting_defaults[`UIFeature.${feature}`]).toBe(false);
    },
  );

  test.each(FOREIGN_HOSTS)('mentions no %s', (host) => {
    for (const extra of ['', 'federation:\n  mode: open\nsize: large\n']) {
      expect(renderElementWeb(specWith(extra))[0].content.toLowerCase()).not.toContain(host);
    }
  });

  test('presence UI follows the size profile', () => {
    expect(SIZES.map((s) => config(`size: ${s}\n`).enable_presence_by_hs_url['https://matrix.ministry.example.eu'])).toEqual([
      true,
      true,
      false,
    ]);
  });

  describe('escape hatch (extra.element_web)', () => {
    const merged = config(
      'extra:\n  element_web:\n    brand: Ministry Chat\n    setting_defaults:\n      UIFeature.locationSharing: true\n    map_style_url: https://api.maptiler.com/maps/streets/style.json\n    room_directory:\n      servers: [ministry.example.eu, partner.example.eu]\n',
    );

    test('scalars replace and new keys are added', () => {
      expect(merged.brand).toBe('Ministry Chat');
      expect(merged.map_style_url).toBe('https://api.maptiler.com/maps/streets/style.json');
    });

    test('objects merge recursively', () => {
      expect(merged.setting_defaults).toEqual({ ...c.setting_defaults, 'UIFeature.locationSharing': true });
    });

    test('arrays replace', () => {
      expect(merged.room_directory.servers).toEqual(['ministry.example.eu', 'partner.example.eu']);
    });

    test('a foreign host appears only when extra adds it', () => {
      expect(JSON.stringify(merged)).toContain('maptiler');
    });
  });

  test('deterministic', () => {
    expect(renderElementWeb(specWith())).toEqual(renderElementWeb(specWith()));
  });
});
