import { loadDeploymentFiles } from '../config/load';
import { deployPreview } from '../operations/preview';
import type { Output } from '../shared/output';
import { nodePlace, ownsNode } from '../config/node-target';

/**
 * `validate`: every problem of every file (loading throws them all at once), and for each valid
 * file one summary line, its monthly cost and what deploy will need. Synthesizes nothing, so it
 * never loads cdktf.
 */
export function runValidateCommand(files: readonly string[], output: Output): void {
  for (const { file, spec } of loadDeploymentFiles(files)) {
    const where = ownsNode(spec.target) ? nodePlace(spec.target) : `kubernetes context ${spec.target.context}`;
    output.out(`${file}: ok (${spec.name}: ${spec.serverName}, ${where}, size ${spec.size.name}, federation ${spec.federation.mode}, identity ${spec.identity.mode})`);
    deployPreview(spec).forEach((line) => output.out(`  ${line}`));
  }
}
