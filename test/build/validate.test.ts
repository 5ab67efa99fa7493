import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runValidateCommand } from '../../src/build/validate';
import { deployPreview } from '../../src/operations/preview';
import { CLUSTER_BACKUP_YAML, specOf, tempDir, VALID_YAML } from '../helpers';

const K8S = VALID_YAML.replace(/target:\n(  .*\n)+/, 'target:\n  kubernetes:\n    context: prod\n') + CLUSTER_BACKUP_YAML;

describe('validate', () => {
  it('prints, for each valid file, a summary line and the indented preview of what deploy needs', () => {
    const dir = tempDir();
    const [a, b] = [join(dir, 'a.yaml'), join(dir, 'b.yaml')];
    writeFileSync(a, VALID_YAML);
    writeFileSync(b, K8S.replace('name: ministry', 'name: agency'));
    const lines: string[] = [];
    runValidateCommand([a, b], { out: (l) => lines.push(l), err: (l) => lines.push(`ERR ${l}`) });
    const first = deployPreview(specOf(VALID_YAML)).map((l) => `  ${l}`);
    expect(lines[0]).toMatch(new RegExp(`^${a}: ok \\(ministry: ministry\\.example\\.eu, hetzner fsn1 \\S+, size small, federation closed, identity local\\)$`));
    expect(lines.slice(1, 1 + first.length)).toEqual(first);
    expect(lines[1 + first.length]).toBe(`${b}: ok (agency: ministry.example.eu, kubernetes context prod, size small, federation closed, identity local)`);
    expect(lines.filter((l) => l.startsWith('ERR'))).toEqual([]);
  });
});
