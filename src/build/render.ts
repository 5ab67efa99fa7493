import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadDeploymentFiles } from '../config/load';
import { renderAll } from '../render';
import type { Output } from '../shared/output';

/** `render`: every service configuration of one deployment under OUT/<service>/, the exact bytes that are deployed. */
export function runRenderCommand(file: string, options: { out: string }, output: Output): void {
  const [{ spec }] = loadDeploymentFiles([file]);
  const files = renderAll(spec);
  for (const rendered of files) {
    const path = join(options.out, rendered.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, rendered.content);
    output.out(`  ${rendered.path}`);
  }
  output.out(`Rendered ${files.length} file${files.length === 1 ? '' : 's'} for ${spec.name} into ${options.out}`);
}
