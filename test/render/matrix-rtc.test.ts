import { LK_JWT_PUBLIC_PATHS, rtcFocus, rtcUrls, synapseMatrixRtcSettings } from '../../src/render/matrix-rtc';
import { specWith } from './fixtures';

describe('MatrixRTC', () => {
  test('both services live on hostnames.rtc', () => {
    expect(rtcUrls(specWith('size: medium\nhostnames:\n  rtc: calls.ministry.example.eu\n'))).toEqual({
      authorisationService: 'https://calls.ministry.example.eu',
      sfu: 'wss://calls.ministry.example.eu',
    });
    expect(rtcFocus(specWith('size: medium\n'))).toEqual({ type: 'livekit', livekit_service_url: 'https://rtc.ministry.example.eu' });
  });

  test("the public paths of the authorisation service are the client endpoints only (no webhook, no health check)", () => {
    expect(LK_JWT_PUBLIC_PATHS).toEqual(['/get_token', '/sfu/get', '/delegate_delayed_leave']);
  });

  test('Synapse settings as ESS sets them for the same releases, only when group calls run', () => {
    expect(synapseMatrixRtcSettings(specWith())).toEqual({});
    expect(synapseMatrixRtcSettings(specWith('size: medium\n'))).toEqual({
      experimental_features: { msc4143_enabled: true, msc4222_enabled: true },
      matrix_rtc: { transports: [{ type: 'livekit', livekit_service_url: 'https://rtc.ministry.example.eu' }] },
      max_event_delay_duration: '24h',
      rc_message: { per_second: 0.5, burst_count: 30 },
      rc_delayed_event_mgmt: { per_second: 1, burst_count: 20 },
    });
  });
});
