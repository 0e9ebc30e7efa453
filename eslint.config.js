// Lint rules that matter for Temporal code: no floating promises anywhere, and
// no Node built-ins in workflow code (it runs in a deterministic sandbox).
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '.stack/', 'dist/', 'workflow-bundle-*.js'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's test()/describe() return promises the runner itself awaits.
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] }] },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*', 'fs', 'path', 'child_process', 'os', 'crypto'], message: 'Workflow code runs in a deterministic sandbox: no Node built-ins.' },
            { group: ['execa', '@temporalio/activity', '@temporalio/client', '@temporalio/worker'], message: 'Workflows decide; activities act.' },
            { group: ['**/activities/**'], allowTypeImports: true, message: 'Import activities by type only.' },
          ],
        },
      ],
    },
  },
);
