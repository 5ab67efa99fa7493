/**
 * The layer rule (issue #17): each layer imports only from the layers below it, commands never
 * import each other, and there are no cycles. `npm test` runs it (test/architecture.test.ts);
 * docs/architecture.md draws the same picture. Bottom first:
 */
const LAYERS = [
  // Pinned versions, ports, the kit's own location, what every command shares (engine runner,
  // output, exit codes), the generated provider bindings and the dated price tables.
  { name: 'foundation', path: '^src/(versions|ports|kit)\\.ts$|^src/(shared|providers|pricing)/' },
  { name: 'config', path: '^src/config/' },
  { name: 'render', path: '^src/render/' },
  { name: 'components', path: '^src/components/' },
  { name: 'stacks', path: '^stacks/' },
  // What several commands know about operating a deployment: what deploy needs from the
  // operator's environment, the preview `validate` and `init` print, state encryption.
  { name: 'operations', path: '^src/operations/' },
  { name: 'commands', path: `^src/(${commandDirectories().join('|')})/` },
  { name: 'cli', path: '^src/cli/|^main\\.ts$' },
];

/** One directory per command family; they share nothing but what lies below them. */
function commandDirectories() {
  return ['build', 'deploy', 'diff', 'docs', 'manifests', 'backup', 'init'];
}

const upward = LAYERS.flatMap((layer, index) => {
  const above = LAYERS.slice(index + 1);
  if (above.length === 0) return [];
  return [
    {
      name: `no-upward-from-${layer.name}`,
      comment: `${layer.name} may import only from ${LAYERS.slice(0, index).map((l) => l.name).join(', ') || 'node and npm packages'}, never from ${above.map((l) => l.name).join(', ')}`,
      severity: 'error',
      from: { path: layer.path },
      to: { path: above.map((l) => l.path).join('|') },
    },
  ];
});

module.exports = {
  forbidden: [
    ...upward,
    {
      name: 'no-sideways-between-commands',
      comment: 'a command family imports no other one: what two commands share moves down (operations, stacks, shared)',
      severity: 'error',
      from: { path: `^src/(${commandDirectories().join('|')})/` },
      to: { path: `^src/(${commandDirectories().join('|')})/`, pathNot: '^src/$1/' },
    },
    {
      name: 'no-circular',
      comment: 'a cycle makes the load order (and what a module may assume) depend on who imported first',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-test-code-in-the-kit',
      comment: 'the kit never imports tests or benchmarks',
      severity: 'error',
      from: { path: '^(src|stacks)/|^main\\.ts$' },
      to: { path: '^(test|bench)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '\\.d\\.ts$' },
  },
};

// For test/architecture.test.ts and docs; dependency-cruiser ignores it (it is not part of the config it validates).
Object.defineProperty(module.exports, 'LAYERS', { value: LAYERS, enumerable: false });
