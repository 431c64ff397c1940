// One linter for the workspace. Besides typescript-eslint's recommended rules it enforces the
// habits in STYLE.md: no import cycles, no default exports, and no bare `throw new Error(...)`
// (every failure a user can see is a SalusError with a code from the catalogue).
import tseslint from 'typescript-eslint';
import { importX, createNodeResolver } from 'eslint-plugin-import-x';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'coverage/**', '.salus/**', 'bench/out/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mjs', '**/*.js'],
    plugins: { 'import-x': importX },
    settings: {
      ...importX.flatConfigs.typescript.settings,
      // Sources import './x.js' for './x.ts' (NodeNext); workspace packages resolve to their sources.
      'import-x/resolver-next': [
        createNodeResolver({ extensionAlias: { '.js': ['.ts', '.js'] }, conditionNames: ['source', 'import', 'default'] }),
      ],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-default-export': 'error',
      'no-restricted-syntax': [
        'error',
        {
          selector: "ThrowStatement > NewExpression[callee.name='Error']",
          message: 'Throw a SalusError with a catalogue code, not a bare Error.',
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // Configuration files are loaded by tools that expect a default export.
    files: ['eslint.config.js', 'vitest.config.ts', '**/vite.config.ts'],
    rules: { 'import-x/no-default-export': 'off' },
  },
  {
    // The pure packages never touch disk, sockets, clocks of the host or process state.
    files: [
      'packages/core/src/**/*.ts',
      'packages/consensus/src/**/*.ts',
      'packages/client/src/**/*.ts',
      // the module contract and the modules' deterministic state machines touch no disk, socket or host clock either
      'packages/module/src/**/*.ts',
      'packages/modules/identity/src/**/*.ts',
      'packages/modules/governance/src/**/*.ts',
      'packages/modules/evidence/src/**/*.ts',
      // the anchors module's deterministic half (its batcher service and CLI run on the node and may)
      'packages/modules/anchors/src/{errors,params}.ts',
      'packages/modules/anchors/src/module/{handlers,payloads,state,routes}.ts',
      // the channels module's state machines and its simulation (its relayer and CLI talk to nodes and may)
      'packages/modules/channels/src/{errors.ts,channel/**/*.ts,custody/**/*.ts,sim/**/*.ts}',
      'packages/modules/channels/src/module/routes.ts',
      // the supply module's deterministic half (the schema file, the capture service and the CLI read disk and talk to nodes)
      'packages/modules/supply/src/errors.ts',
      'packages/modules/supply/src/epcis/{identifiers,document}.ts',
      'packages/modules/supply/src/module/{capture,handlers,payloads,state,verify,query,routes,genesis}.ts',
    ],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['node:*', 'fs', 'net', 'http', 'crypto', 'os', 'path'], message: 'core, consensus, client, the module contract and these modules are pure: no Node modules.' }] }],
    },
  },
);
