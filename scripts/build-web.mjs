// Builds the dashboard: web/admin/src/main.tsx -> dist/web/admin/app.js + app.css (one bundle,
// minified, es2020). `--watch` rebuilds on change; `--dev` keeps names and adds a source map.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'dist/web/admin');
const watch = process.argv.includes('--watch');
const dev = watch || process.argv.includes('--dev');

mkdirSync(outdir, { recursive: true });

/** @type {import('esbuild').BuildOptions} */
const options = {
  entryPoints: { app: path.join(root, 'web/admin/src/main.tsx') },
  outdir,
  bundle: true,
  format: 'esm',
  target: 'es2020',
  platform: 'browser',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: !dev,
  sourcemap: dev ? 'linked' : false,
  legalComments: 'none',
  define: { 'process.env.NODE_ENV': JSON.stringify(dev ? 'development' : 'production') },
  metafile: true,
  logLevel: 'warning',
};

if (watch) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
  console.log(`watching web/admin: ${path.relative(root, outdir)}`);
} else {
  // esbuild has already printed what failed, with file and line: no stack trace on top.
  const result = await esbuild.build(options).catch(() => process.exit(1));
  const sizes = Object.entries(result.metafile.outputs)
    .map(([file, o]) => `${path.relative(root, file)} ${(o.bytes / 1024).toFixed(1)} KB`)
    .join(', ');
  console.log(`dashboard built: ${sizes}`);
}
