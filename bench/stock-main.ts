/**
 * The stock cdktf workflow, for comparison only: `cdktf synth` runs `ts-node main.ts`, and the
 * project template imports provider packages from their root. Same synthesis code, same output.
 */
import * as kubernetes from '@cdktf/provider-kubernetes';
import { run } from '../src/cli/main';

// Keep the root import from being elided by the compiler: the template uses it for every resource.
if (Object.keys(kubernetes).length === 0) throw new Error('provider package failed to load');

run(['synth', ...process.argv.slice(2)]).then((code) => {
  process.exitCode = code;
});
