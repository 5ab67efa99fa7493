import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document } from 'yaml';
import type { Problem } from './problems';

/** A path into the parsed data: object keys and array indices. */
export type FieldPath = readonly (string | number)[];

/** A parsed deployment file that can say where any field came from. */
export class YamlSource {
  private constructor(
    readonly file: string,
    readonly data: unknown,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /**
   * Parses YAML 1.2 (so `no` and `on` stay strings), refusing duplicate keys, alias bombs and
   * multi-document files. Returns the problems instead when the text is not a single document.
   */
  static parse(source: string, file: string): YamlSource | Problem[] {
    const lines = new LineCounter();
    const docs = parseAllDocuments(source, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
    const at = (offset: number) => lines.linePos(offset);
    if (!Array.isArray(docs) || docs.length === 0) {
      return [{ file, line: 1, col: 1, path: '', message: EMPTY_FILE }];
    }
    const problems: Problem[] = [];
    for (const doc of docs) {
      for (const issue of [...doc.errors, ...doc.warnings]) {
        const { line, col } = at(issue.pos[0]);
        problems.push({ file, line, col, path: '', message: `YAML: ${firstLine(issue.message)}` });
      }
    }
    if (docs.length > 1) {
      const { line, col } = at(docs[1].range[0]);
      problems.push({
        file,
        line,
        col,
        path: '',
        message: 'a second YAML document starts here (expected exactly one deployment per file)',
      });
    }
    if (problems.length > 0) return problems;

    const doc = docs[0];
    let data: unknown;
    try {
      data = doc.toJS({ maxAliasCount: 100 });
    } catch (error) {
      // The yaml library throws when aliases expand beyond maxAliasCount (a "billion laughs" file).
      return [{ file, line: 1, col: 1, path: '', message: `YAML: ${firstLine((error as Error).message)}` }];
    }
    if (data === null || data === undefined) {
      return [{ file, line: 1, col: 1, path: '', message: EMPTY_FILE }];
    }
    return new YamlSource(file, data, doc, lines);
  }

  /**
   * The position of a field: of its key when `key` is set (for "unknown field" messages), of its
   * value otherwise. A field that is absent is reported at its nearest present parent.
   */
  position(path: FieldPath, key = false): { line: number; col: number } {
    let node: unknown = this.doc.contents;
    let offset = rangeStart(node) ?? 0;
    for (let i = 0; i < path.length; i++) {
      const segment = path[i];
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
        if (!pair) break;
        if (last && key) {
          offset = rangeStart(pair.key) ?? offset;
          break;
        }
        node = pair.value ?? pair.key;
      } else if (isSeq(node)) {
        const item = node.items[Number(segment)];
        if (item === undefined) break;
        node = item;
      } else {
        break;
      }
      offset = rangeStart(node) ?? offset;
    }
    return this.lines.linePos(offset);
  }

  /** A problem located at a field. */
  problem(path: FieldPath, message: string, key = false): Problem {
    return { file: this.file, ...this.position(path, key), path: dottedPath(path), message };
  }
}

const EMPTY_FILE =
  'the file is empty (expected a deployment: a mapping with at least name, server_name, target and admin_contact)';

function rangeStart(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range ? range[0] : undefined;
}

function firstLine(message: string): string {
  return message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
}

/** `target.hetzner.ssh_keys[0]` */
export function dottedPath(path: FieldPath): string {
  return path.reduce<string>(
    (out, segment) => (typeof segment === 'number' ? `${out}[${segment}]` : out ? `${out}.${segment}` : segment),
    '',
  );
}
