// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const electronOnlyInApp = {
  name: 'electron',
  message: "Only main/app/ and preload/index.ts may import 'electron'.",
  allowTypeImports: true,
};

/** A relative import that reaches folder `dir` of main/ (e.g. '../control/x.js', '../../gateway/front/y.js'). */
const reaching = (dir) => `^(\\.\\.?/)+${dir === 'bootstrap' ? 'bootstrap[.-]' : `${dir}/`}`;

/**
 * One no-restricted-imports entry per folder (a later entry replaces an earlier one for the same
 * file, so each carries the 'electron' rule too).
 */
function layers(rules) {
  return rules.map(({ files, ignores, never, typesOnly = [] }) => ({
    files,
    ...(ignores ? { ignores } : {}),
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [electronOnlyInApp],
          patterns: [
            ...never.map((dir) => ({
              regex: reaching(dir),
              message: `${files[0]} must not import main/${dir} (imports go one way; shared/ARCHITECTURE.md).`,
            })),
            ...typesOnly.map((dir) => ({
              regex: reaching(dir),
              allowTypeImports: true,
              message: `${files[0]} may import only types from main/${dir} (shared/ARCHITECTURE.md).`,
            })),
          ],
        },
      ],
    },
  }));
}

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'release/', '.tools/', 'test-output/', 'test/fixtures/**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  // Layering rules (shared/ARCHITECTURE.md): only the Electron shell may value-import 'electron', and
  // imports between main/ folders go one way: app -> bootstrap/cli -> control -> gateway -> auth ->
  // config/secrets/activity -> common. Each entry below lists what a folder must never import.
  ...layers([
    {
      files: ['main/**/*.ts', 'renderer/**/*', 'preload/contract.ts'],
      ignores: ['main/app/**'],
      never: ['app'],
    },
    { files: ['main/control/**'], never: ['app', 'cli', 'bootstrap'] },
    { files: ['main/gateway/**'], never: ['app', 'cli', 'bootstrap', 'control', 'tunnel'] },
    {
      files: ['main/auth/**'],
      never: ['app', 'cli', 'bootstrap', 'control', 'tunnel', 'gateway/front', 'gateway/router'],
      // auth/upstream implements gateway/upstream's UpstreamAuth interface: types only.
      typesOnly: ['gateway'],
    },
    {
      files: ['main/tunnel/**'],
      never: ['app', 'cli', 'bootstrap', 'control', 'gateway'],
      // A polling tunnel (OpenAI's) hands requests in as an authenticated Principal: types only.
      typesOnly: ['auth'],
    },
    {
      files: ['main/config/**', 'main/secrets/**', 'main/activity/**'],
      never: ['app', 'cli', 'bootstrap', 'control', 'gateway', 'auth', 'tunnel'],
    },
    {
      files: ['main/common/**'],
      never: [
        'app',
        'cli',
        'bootstrap',
        'control',
        'gateway',
        'auth',
        'tunnel',
        'config',
        'secrets',
        'activity',
      ],
    },
  ]),
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        Buffer: 'readonly',
        fetch: 'readonly',
      },
    },
  },
);
