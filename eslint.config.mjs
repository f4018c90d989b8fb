// Type-aware lint: floating promises are errors, and workflows may import only activity *types*.
import tseslint from 'typescript-eslint';

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
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'path', 'os', 'crypto', 'zlib', 'child_process'],
              message: 'Workflows run in a deterministic sandbox: no Node built-ins.',
            },
            {
              group: ['@aws-sdk/*', '@clickhouse/*', '@duckdb/*', 'chdb', 'chdb/*', 'snappy'],
              message: 'I/O belongs in activities.',
            },
            {
              group: ['../activities', '../activities/*'],
              allowTypeImports: true,
              message: 'Workflows import activity types only.',
            },
          ],
        },
      ],
    },
  },
);
