// Type-aware lint: floating promises are errors, and the layers import only downwards.
import tseslint from 'typescript-eslint';

// Layers, top to bottom: client/ → worker/ → workflows/ → activities/ → common/. A layer imports from the layers
// below it, never above; workflows see activities only as types (the sandbox must not load activity code). infra/ is
// the local development stack and sample generator, not production: it may import production code, production never
// imports it (a deployment has no .stack/ to read). `no-restricted-imports` sees static imports and re-exports, not
// dynamic import(); production code uses none. Each file gets one list of patterns (a later config object's rule
// options replace an earlier one's), so every directory's list is spelled out in full from these parts.
const up = (dirs) => `^(\\.\\./)+(${dirs.join('|')})(/|$)`;

const sandbox = [
  {
    group: ['node:*', 'fs', 'path', 'os', 'crypto', 'zlib', 'child_process'],
    message: 'Workflows run in a deterministic sandbox: no Node built-ins.',
  },
  {
    group: ['@aws-sdk/*', '@clickhouse/*', '@duckdb/*', 'chdb', 'chdb/*', 'snappy'],
    message: 'I/O belongs in activities.',
  },
];
const noInfra = {
  regex: up(['infra']),
  message:
    'infra/ is the local dev stack, not production: production code never imports it (infra may import production).',
};
const noWorkerOrClient = {
  regex: up(['worker', 'client']),
  message: 'Layers import downwards: worker/ and client/ sit above workflows/ and activities/.',
};

const restrict = (...patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      '.stack/**',
      'coverage/**',
      'test-artifacts/**',
      'eslint.config.mjs',
      'vitest.config.mts',
      'activities/batch-thread.js',
      'test/**/*.cjs',
      'bin/**',
    ],
  },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: restrict(
      ...sandbox,
      { regex: up(['activities']), allowTypeImports: true, message: 'Workflows import activity types only.' },
      noWorkerOrClient,
      noInfra,
    ),
  },
  {
    files: ['activities/**/*.ts'],
    rules: restrict(
      {
        regex: up(['workflows']),
        allowTypeImports: true,
        message: 'Activities import workflow types only: workflows call activities, not the other way round.',
      },
      noWorkerOrClient,
      noInfra,
    ),
  },
  {
    // common/ is the floor: pure helpers that workflows and activities share, so it obeys the workflow sandbox too.
    files: ['common/**/*.ts'],
    rules: restrict(...sandbox, {
      regex: up(['activities', 'workflows', 'worker', 'client', 'infra']),
      message: 'common/ is the bottom layer: it imports nothing of this project outside common/.',
    }),
  },
  {
    files: ['worker/**/*.ts'],
    rules: restrict(
      { regex: up(['client']), message: 'Layers import downwards: client/ sits above worker/.' },
      noInfra,
    ),
  },
  {
    files: ['client/**/*.ts'],
    // The demo is the local-stack job by definition (README: "the main job on the embedded default"): it starts the
    // stack and loads sample recordings, so it alone may reach into infra/. Nothing else in client/ imports it.
    ignores: ['client/demo.ts'],
    rules: restrict(noInfra),
  },
);
