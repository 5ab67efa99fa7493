import { join, relative } from 'node:path';
import { run } from './src/cli/main';

/**
 * `npm start` (and cdktf.json's app): synthesize the embedded default deployment into cdktf.out.
 * Set SOVEREIGN_MATRIX_DEPLOYMENT to synthesize another file the same way.
 */
const deployment =
  process.env.SOVEREIGN_MATRIX_DEPLOYMENT ?? relative(process.cwd(), join(__dirname, '..', 'deployments', 'example.yaml'));
const outdir = process.env.CDKTF_OUTDIR ?? 'cdktf.out';

run(['synth', deployment, '--out', outdir]).then((code) => {
  process.exitCode = code;
});
