import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kitRoot } from '../../src/kit';
import { schemaReference } from '../../src/init/schema-ref';
import { tempDir } from '../helpers';

/** A directory laid out like an installed kit, with its schema. */
function fakeKit(root: string): string {
  mkdirSync(join(root, 'src', 'config'), { recursive: true });
  writeFileSync(join(root, 'src', 'config', 'deployment.schema.json'), '{}');
  writeFileSync(join(root, 'package.json'), '{"name":"sovereign-matrix"}');
  return root;
}

describe('schemaReference', () => {
  it('is relative inside the kit, as in the examples', () => {
    const kit = kitRoot();
    expect(schemaReference(join(kit, 'deployments', 'new.yaml'), kit)).toEqual({ ref: '../src/config/deployment.schema.json' });
    expect(schemaReference(join(kit, 'deployments', 'team', 'new.yaml'), kit)).toEqual({ ref: '../../src/config/deployment.schema.json' });
  });

  it("is relative when the kit is part of the file's repository (under node_modules/, vendored)", () => {
    const repo = tempDir();
    mkdirSync(join(repo, '.git'));
    const kit = fakeKit(join(repo, 'node_modules', 'sovereign-matrix'));
    expect(schemaReference(join(repo, 'deployments', 'ministry.yaml'), kit)).toEqual({
      ref: '../node_modules/sovereign-matrix/src/config/deployment.schema.json',
    });
  });

  it("is the installed schema's absolute path, with a note, for a file in another repository", () => {
    const kit = fakeKit(tempDir());
    mkdirSync(join(kit, '.git'));
    const team = tempDir();
    mkdirSync(join(team, '.git'));
    const reference = schemaReference(join(team, 'deployments', 'ministry.yaml'), kit);
    expect(reference.ref).toBe(join(kit, 'src', 'config', 'deployment.schema.json'));
    expect(reference.note).toContain('on another machine');
  });
});
