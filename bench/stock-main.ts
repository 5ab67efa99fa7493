/**
 * The stock cdktf workflow, for comparison only: `cdktf synth` runs `ts-node main.ts`, and the
 * project template imports every provider package from its root (prebuilt packages and the
 * `cdktf get` bindings alike). Same synthesis code, same input, same output.
 */
import * as hcloud from '../src/providers/hcloud/bindings';
import * as kubernetes from '@cdktf/provider-kubernetes';
import * as random from '@cdktf/provider-random';
import * as tls from '@cdktf/provider-tls';
import { run } from '../src/cli/main';

// Keep the root imports from being elided by the compiler: the template uses them for every resource.
for (const provider of [hcloud, kubernetes, random, tls]) {
  if (Object.keys(provider).length === 0) throw new Error('provider package failed to load');
}

run(['synth', ...process.argv.slice(2)]).then((code) => {
  process.exitCode = code;
});
