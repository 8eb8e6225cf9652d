import fs from 'node:fs';
import path from 'node:path';
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * The layers of src/, top to bottom (docs/architecture.md says why). A file may import its own
 * folder and any layer below its own; never a layer above, never a peer in its own layer.
 * Entries are folders or single files directly under src/.
 */
export const LAYERS = [
  ['main.ts'],
  ['cli'],
  ['app.ts'],
  ['app'],
  ['config.ts', 'local-secrets.ts', 'node-id.ts'],
  ['sim'],
  ['telephony', 'admin', 'assist', 'channels'],
  ['http'],
  ['voice', 'conversations'],
  ['agent'],
  ['knowledge', 'notify', 'auth'],
  ['providers'],
  ['jobs'],
  ['store'],
  ['business', 'audio'],
  ['ids.ts', 'shared'],
];

const here = path.dirname(new URL(import.meta.url).pathname);
const src = (p) => `src/${p}`;

const layerZones = LAYERS.flatMap((layer, i) => {
  const above = LAYERS.slice(0, i).flat();
  if (i === 0) return [];
  return layer.map((entry) => {
    const peers = layer.filter((e) => e !== entry);
    const from = [...above, ...peers].map(src);
    return {
      target: src(entry),
      from,
      message: `Imports point down: ${entry} (layer ${i}) may not import a layer above it or a peer (see docs/architecture.md).`,
    };
  });
});

/**
 * A folder with an index.ts is imported through it (or through a sub-folder's index.ts, a
 * sub-module's own public face) from anywhere outside the folder.
 */
const topEntries = fs.readdirSync(path.join(here, 'src'));
const indexZones = topEntries
  .filter(
    (d) => fs.existsSync(path.join(here, 'src', d, 'index.ts')) || d === 'providers' || d === 'telephony',
  )
  .map((dir) => {
    const faces = fs
      .readdirSync(path.join(here, 'src', dir), { withFileTypes: true })
      .filter((e) => e.isDirectory() && fs.existsSync(path.join(here, 'src', dir, e.name, 'index.ts')))
      .map((e) => `./${e.name}/index.ts`);
    if (fs.existsSync(path.join(here, 'src', dir, 'index.ts'))) faces.unshift('./index.ts');
    return {
      target: topEntries.filter((e) => e !== dir).map(src),
      from: src(dir),
      except: faces,
      message: `Import ${dir} through its public face (${faces.map((f) => path.posix.join(dir, f)).join(' or ')}).`,
    };
  });

export default tseslint.config(
  {
    ignores: ['dist/', 'node_modules/', 'data/', 'drizzle/', 'web/vendor/', 'native/*/build/', '**/*.tmp.ts'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [
        createTypeScriptImportResolver({ project: path.join(here, 'tsconfig.json') }),
      ],
    },
    rules: {
      'import-x/no-restricted-paths': ['error', { basePath: here, zones: [...layerZones, ...indexZones] }],
      'import-x/no-cycle': 'error',
    },
  },
  {
    // The dashboard runs in the browser: its globals, not Node's.
    files: ['web/**/*.ts', 'web/**/*.tsx'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['bench/**', 'src/main.ts', 'src/cli/**', 'bin/**', 'scripts/**'],
    rules: { 'no-console': 'off' },
  },
);
