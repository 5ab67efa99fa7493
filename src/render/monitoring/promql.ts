/** PromQL words that are not series: operators, modifiers and the vector-matching keywords. */
const PROMQL_KEYWORDS = new Set(['and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'inf', 'nan']);

/**
 * The metric names in a PromQL expression, sorted and unique. Deliberately simple, not a parser:
 * it removes strings, label matchers `{...}`, range selectors `[...]` and the label lists of
 * by/without/on/ignoring/group_left/group_right with their keyword (so `sum by (le) (` reads as the
 * call `sum (`), then keeps identifiers that are not called as a
 * function (`rate(`) and are not a keyword or a number. Enough for the expressions of this kit,
 * which the unit tests pin down.
 */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const words = stripped.match(/(?<![\w.:])[a-zA-Z_:][a-zA-Z0-9_:]*(?![a-zA-Z0-9_:]|\s*\()/g) ?? [];
  return [...new Set(words.filter((w) => !PROMQL_KEYWORDS.has(w.toLowerCase())))].sort();
}
