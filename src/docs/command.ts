import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Output } from '../shared/output';
import { loadDeploymentFiles } from '../config/load';
import { generateReference } from './generate';
import { fetchHetznerPrices, type LivePrices } from './pricing-api';

export interface DocsOptions {
  readonly out: string;
  readonly refreshPrices?: boolean;
}

/**
 * `sovereign-matrix docs <files...> --out DIR`: validates every file first (nothing is written
 * when one is bad), reads current prices when asked, then writes per deployment DIR/<name>.md,
 * DIR/<name>.html and DIR/<name>.svg.
 */
export async function runDocsCommand(files: readonly string[], options: DocsOptions, output: Output): Promise<void> {
  const loaded = loadDeploymentFiles([...files]);
  const live: LivePrices | undefined = options.refreshPrices ? await fetchHetznerPrices() : undefined;
  mkdirSync(options.out, { recursive: true });
  for (const { spec } of loaded) {
    const reference = generateReference(spec, { live });
    for (const [name, content] of Object.entries(reference.files)) {
      writeFileSync(join(options.out, name), content);
      output.out(`  ${join(options.out, name)}`);
    }
  }
  output.out(`Wrote the reference architecture of ${loaded.length} deployment${loaded.length === 1 ? '' : 's'} into ${options.out}`);
}
