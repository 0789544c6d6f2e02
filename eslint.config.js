// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'sensor/build/', 'bench/results/', '.cache/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'read the environment in src/config-env.ts only' },
      ],
    },
  },
  {
    files: ['src/config-env.ts', 'src/config.ts', 'src/cli/**', 'test/**', 'bench/**', 'src/daemon.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
);
