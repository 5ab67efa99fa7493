import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runRenderCommand } from '../../src/build/render';
import { renderAll } from '../../src/render';
import { specOf, tempDir, tree, VALID_YAML } from '../helpers';

describe('render', () => {
  it('writes exactly the rendered files, byte for byte, and names each', () => {
    const dir = tempDir();
    const file = join(dir, 'd.yaml');
    writeFileSync(file, VALID_YAML);
    const out = join(dir, 'out');
    const lines: string[] = [];
    runRenderCommand(file, { out }, { out: (l) => lines.push(l), err: (l) => lines.push(l) });
    const rendered = renderAll(specOf(VALID_YAML));
    const written = tree(out);
    expect([...written.keys()].sort()).toEqual(rendered.map((f) => f.path).sort());
    for (const f of rendered) expect(readFileSync(join(out, f.path), 'utf8')).toBe(f.content);
    expect(lines).toEqual([...rendered.map((f) => `  ${f.path}`), `Rendered ${rendered.length} files for ministry into ${out}`]);
  });
});
