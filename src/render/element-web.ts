import type { DeploymentSpec } from '../config/spec';
import type { RenderedFile } from './files';
import { deepMerge } from './merge';
import { synapseSizing } from './synapse';
import { prettyJson } from './well-known';

/**
 * Element Web's config.json. Element has no published config schema and its built-in defaults
 * reach out to services run by others (an identity server, an integration manager, a Jitsi
 * instance, a map tile service, a bug-report endpoint, analytics). Everything here points at the
 * deployment's own servers or switches the feature off:
 *
 * - homeserver only: no `m.identity_server`, identity-server and 3PID UI hidden, no custom URLs;
 * - integration manager disabled the documented way (`null` URLs, no widget URLs) and widgets
 *   hidden, which also keeps conference calls off Jitsi (its default is a public instance);
 * - calls: without group calls (calls.group) native group calls and video rooms are off and
 *   one-to-one calls stay, over the deployment's own TURN server. With them every call is an
 *   Element Call (built into Element Web, no call.element.io) through the deployment's SFU
 *   (`element_call.use_exclusively`, so never Jitsi); Element Call runs as a widget, and Element
 *   Web hides the call buttons of rooms with more than two members while `UIFeature.widgets` is
 *   off, so widgets are shown then (integration managers stay off: no third-party widget source);
 * - no `bug_report_endpoint_url` (rageshakes and feedback off), no `posthog`/`sentry`
 *   (analytics impossible), no `map_style_url` and location sharing hidden;
 * - registration, password reset and deactivation hidden: accounts belong to MAS.
 *
 * `extra.element_web` is merged last.
 */
export function elementWebConfig(spec: DeploymentSpec): Record<string, unknown> {
  const homeserverUrl = `https://${spec.hostnames.matrix}`;
  const group = spec.calls.group.enabled;
  const base: Record<string, unknown> = {
    default_server_config: {
      'm.homeserver': { base_url: homeserverUrl, server_name: spec.serverName },
    },
    disable_custom_urls: true,
    disable_guests: true,
    disable_3pid_login: true,
    brand: 'Element',
    permalink_prefix: `https://${spec.hostnames.web}`,
    room_directory: { servers: [spec.serverName] },
    show_labs_settings: false,
    integrations_ui_url: null,
    integrations_rest_url: null,
    integrations_widgets_urls: [],
    element_call: { use_exclusively: group },
    features: {
      feature_group_calls: group,
      feature_video_rooms: group,
      feature_element_call_video_rooms: group,
    },
    enable_presence_by_hs_url: { [homeserverUrl]: synapseSizing(spec).presence },
    setting_defaults: {
      'UIFeature.registration': false,
      'UIFeature.passwordReset': false,
      'UIFeature.deactivate': false,
      'UIFeature.identityServer': false,
      'UIFeature.thirdPartyId': false,
      'UIFeature.feedback': false,
      'UIFeature.locationSharing': false,
      'UIFeature.urlPreviews': false,
      'UIFeature.widgets': group,
      'UIFeature.shareSocial': false,
    },
  };
  return deepMerge(base, spec.extra.elementWeb);
}

export function renderElementWeb(spec: DeploymentSpec): RenderedFile[] {
  return [{ path: 'element-web/config.json', content: prettyJson(elementWebConfig(spec)) }];
}
