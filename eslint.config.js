// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Layers point inward: domain ← db ← app ← edges (http, cli, jobs, integrations). */
const layerRule = (layer, forbidden) => ({
  files: [`src/${layer}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: forbidden.map((target) => ({
          group: [`**/${target}/**`, `../${target}/*`, `../../${target}/*`],
          message: `src/${layer} must not import from src/${target} (layers point inward).`,
        })),
      },
    ],
  },
});

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'web/dist/**',
      'node_modules/**',
      'data/**',
      'bin/**',
      'docs/**',
      '.bench/**',
      '.*.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
    },
  },
  {
    // Migrations are frozen in time over Kysely<any>; tests poke at untyped JSON replies.
    files: ['src/db/migrations/**/*.ts', 'test/**/*.ts', '**/*.test.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  layerRule('domain', ['db', 'app', 'http', 'cli', 'jobs', 'integrations']),
  layerRule('db', ['app', 'http', 'cli', 'jobs', 'integrations']),
  layerRule('app', ['http', 'cli', 'jobs']),
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
);
