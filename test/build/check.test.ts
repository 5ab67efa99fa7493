import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { EXIT } from '../../src/shared/exit-codes';
import { cli, tempDir } from '../helpers';

const EXAMPLE = join(__dirname, '..', '..', 'deployments', 'example.yaml');

/**
 * A stand-in for OpenTofu on PATH: `version -json` answers, `init` fails as it does when the
 * registry cannot be reached (in every stack, or only in the apps stacks, as when one provider is
 * missing from the mirror), and `validate -json` reports what FAKE_TOFU_VALIDATE says.
 */
const FAKE_TOFU = `#!/bin/sh
case "$1" in
  version) echo '{"terraform_version":"1.12.6","platform":"linux_amd64"}' ;;
  init)
    case "$FAKE_TOFU_INIT:$PWD" in
      fail:*|fail-apps:*-apps)
        echo 'Initializing provider plugins...' ;
        echo '╷' >&2
        echo '│ Error: Failed to query available provider packages' >&2
        echo '│ Could not retrieve the list of available versions for provider hetznercloud/hcloud: could not connect to registry.opentofu.org: dial tcp: lookup registry.opentofu.org: no such host' >&2
        echo '╵' >&2
        exit 1 ;;
    esac
    echo 'OpenTofu has been successfully initialized!' ;;
  validate)
    if [ "$FAKE_TOFU_VALIDATE" = invalid ]; then
      echo '{"valid":false,"diagnostics":[{"severity":"error","summary":"Unsupported argument","detail":"An argument named \\"x\\" is not expected here.","address":"hcloud_server.node"}]}'
    else
      echo '{"valid":true,"diagnostics":[]}'
    fi ;;
esac
`;

describe('check with an engine that cannot initialise', () => {
  const saved = { ...process.env };
  beforeEach(() => {
    const bin = tempDir('sm-fake-tofu-');
    writeFileSync(join(bin, 'tofu'), FAKE_TOFU);
    chmodSync(join(bin, 'tofu'), 0o755);
    process.env.PATH = `${bin}${delimiter}${saved.PATH ?? ''}`;
    delete process.env.SOVEREIGN_MATRIX_ENGINE;
  });
  afterEach(() => {
    process.env = { ...saved };
  });

  it('exits with its own code and says the stacks were not judged when init fails (registry unreachable)', async () => {
    process.env.FAKE_TOFU_INIT = 'fail';
    const result = await cli('check', EXAMPLE, '--out', tempDir());
    expect(result.code).toBe(EXIT.engineInitFailed);
    expect(EXIT.engineInitFailed).not.toBe(EXIT.stackRejected);
    expect(result.stdout).toBe('tofu 1.12.6: 0 of 2 stacks valid, 2 not checked (init failed)');
    expect(result.stderr).toContain(`${EXAMPLE}: ministry-example-infra: not checked: tofu init failed:\n  ╷\n  │ Error: Failed to query available provider packages`);
    expect(result.stderr).toMatch(/could not connect to registry\.opentofu\.org/);
    expect(result.stderr).toMatch(/tofu init failed on 2 stacks, so they were not judged: a provider could not be installed .* This is the engine's set-up, not the deployment/);
  });

  it('judges the stacks it could initialise and still exits with the init code', async () => {
    process.env.FAKE_TOFU_INIT = 'fail-apps';
    const result = await cli('check', EXAMPLE, '--out', tempDir());
    expect(result.code).toBe(EXIT.engineInitFailed);
    expect(result.stdout).toBe('  ok  ministry-example-infra\ntofu 1.12.6: 1 of 2 stacks valid, 1 not checked (init failed)');
    expect(result.stderr).toMatch(/tofu init failed on 1 stack, so it was not judged/);
  });

  it('reports a missing engine as a missing tool (exit 3), before synthesizing anything', async () => {
    process.env.PATH = tempDir('sm-empty-path-');
    const out = join(tempDir(), 'out');
    const result = await cli('check', EXAMPLE, '--out', out);
    expect(result.code).toBe(EXIT.toolFailed);
    expect(result.stderr).toMatch(/^sovereign-matrix: tofu is not on PATH; install OpenTofu/);
    expect(existsSync(out)).toBe(false);
  });

  it('keeps exit 4 for a stack the engine rejects, and 0 when every stack is valid', async () => {
    process.env.FAKE_TOFU_VALIDATE = 'invalid';
    const rejected = await cli('check', EXAMPLE, '--out', tempDir());
    expect(rejected.code).toBe(EXIT.stackRejected);
    expect(rejected.stdout).toBe('tofu 1.12.6: 0 of 2 stacks valid, 2 rejected');
    expect(rejected.stderr).toContain(`${EXAMPLE}: ministry-example-infra: error: Unsupported argument (hcloud_server.node): An argument named "x" is not expected here.`);

    delete process.env.FAKE_TOFU_VALIDATE;
    const valid = await cli('check', EXAMPLE, '--out', tempDir());
    expect(valid.code).toBe(EXIT.ok);
    expect(valid.stdout).toBe('  ok  ministry-example-infra\n  ok  ministry-example-apps\ntofu 1.12.6: 2 of 2 stacks valid');
  });
});
