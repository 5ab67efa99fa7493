/**
 * The rendered MatrixRTC settings against the client code that reads them, fetched from npm by
 * scripts/integration/matrix-clients.sh (the releases Element Web 1.12.29 bundles; see there):
 * - matrix-js-sdk's own test of a LiveKit transport (isLivekitTransportConfig, run as shipped)
 *   accepts the focus in .well-known/matrix/client and the transport Synapse announces;
 * - Element Call, as Element Web embeds it, asks Synapse's MSC4143 endpoint for transports, then
 *   posts the OpenID token to `<livekit_service_url>/get_token` (or the legacy `/sfu/get`): each
 *   path it calls on the authorisation service is one the ingress routes there.
 * Element Web's own config keys (element_call, features, UIFeature.widgets) are read from its
 * sources, which no registry here serves (see the comment of src/render/element-web.ts).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseDeployment } from '../../src/config/load';
import { LK_JWT_PUBLIC_PATHS } from '../../src/render/matrix-rtc';
import { synapseConfig } from '../../src/render/synapse';
import { wellKnownClient } from '../../src/render/well-known';

const REPO = join(__dirname, '..', '..');
const spec = parseDeployment(
  'name: ministry\nserver_name: ministry.example.eu\nsize: large\ntarget:\n  kubernetes:\n    context: test\nadmin_contact: ops@ministry.example.eu\nbackup:\n  enabled: false\n',
  'calls.yaml',
);

let dir = '';

beforeAll(() => {
  const result = spawnSync('bash', [join(REPO, 'scripts/integration/matrix-clients.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 10 * 60_000 });
  if (result.status !== 0) throw new Error(`scripts/integration/matrix-clients.sh failed (exit ${result.status})`);
  dir = result.stdout.trim().split('\n').pop() ?? '';
}, 15 * 60_000);

/** matrix-js-sdk's isLivekitTransportConfig on each object, in a Node process of its own (the SDK is ES modules). */
function sdkAccepts(objects: unknown[]): boolean[] {
  const module = pathToFileURL(join(dir, 'matrix-js-sdk-42.4.0', 'lib', 'matrixrtc', 'LivekitTransport.js')).href;
  const code = `import { isLivekitTransportConfig } from ${JSON.stringify(module)}; console.log(JSON.stringify(JSON.parse(process.argv[1]).map(isLivekitTransportConfig)));`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', code, JSON.stringify(objects)], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout);
}

/** Element Call's JavaScript as Element Web serves it. */
function elementCallCode(): string {
  const assets = join(dir, '@element-hq+element-call-embedded-0.24.0', 'dist', 'assets');
  return readdirSync(assets)
    .filter((f) => f.endsWith('.js'))
    .map((f) => readFileSync(join(assets, f), 'utf8'))
    .join('\n');
}

test("matrix-js-sdk accepts the well-known focus and Synapse's transport as LiveKit transports", () => {
  const foci = wellKnownClient(spec)['org.matrix.msc4143.rtc_foci'] as unknown[];
  const transports = (synapseConfig(spec).matrix_rtc as { transports: unknown[] }).transports;
  expect(foci).toHaveLength(1);
  expect(transports).toHaveLength(1);
  // The control: Synapse 1.163 also allows a bare SFU `url`, which these clients do not take.
  expect(sdkAccepts([...foci, ...transports, { type: 'livekit', url: 'wss://rtc.ministry.example.eu' }])).toEqual([true, true, false]);
});

test('Element Call asks Synapse for transports (MSC4143), and calls only authorisation-service paths the ingress routes', () => {
  const code = elementCallCode();
  expect(code).toContain('`/rtc/transports`');
  expect(code).toContain('/org.matrix.msc4143');
  expect(code).toContain('.rtc_transports');
  const called = ['/get_token', '/sfu/get', '/delegate_delayed_leave', '/healthz', '/sfu_webhook'].filter((path) => code.includes(`+\`${path}\``));
  expect(called).toEqual(['/get_token', '/sfu/get']);
  for (const path of called) expect(LK_JWT_PUBLIC_PATHS).toContain(path);
});
