import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'roomfiles-data/**', 'docs/**', 'src/web/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  { ignores: ['src/web/**'], languageOptions: { globals: { ...globals.node } } },
  // The web interface runs in the browser: browser globals only, so a Node-only API fails the lint.
  {
    files: ['src/web/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      // The web interface goes through the SDK's browser entry only (architecture: web → client → protocol).
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'ws', 'fastify', 'better-sqlite3'],
              message: 'Node-only: not in the browser.',
            },
            {
              group: [
                '**/room/*',
                '**/hub/*',
                '**/cli/*',
                '**/common/*',
                '**/client/node*',
                '**/client/index*',
              ],
              message: 'The web interface uses src/client/browser.ts only.',
            },
          ],
        },
      ],
    },
  },
);
