// Builds what runs in the browser, one bundle each (minified, es2020):
//   dashboard     web/admin/src/main.tsx  -> dist/web/admin/app.js + app.css
//   chat widget   web/widget/src/widget.ts -> dist/web/widget/widget.js (one script, IIFE: any site)
//   browser call  web/call/src/call.ts     -> dist/web/call/call.js (+ its audio worklet)
// `--watch` rebuilds on change; `--dev` keeps names and adds a source map.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const watch = process.argv.includes('--watch');
const dev = watch || process.argv.includes('--dev');

/** name: shown in the log; entryPoints: output name -> source; format: esm, or iife for a plain <script>. */
const BUNDLES = [
  {
    name: 'dashboard',
    outdir: 'dist/web/admin',
    entryPoints: { app: 'web/admin/src/main.tsx' },
    format: 'esm',
  },
  {
    name: 'chat widget',
    outdir: 'dist/web/widget',
    entryPoints: { widget: 'web/widget/src/widget.ts' },
    format: 'iife',
  },
  {
    name: 'browser call',
    outdir: 'dist/web/call',
    entryPoints: { call: 'web/call/src/call.ts', 'audio-worklet': 'web/call/src/audio-worklet.ts' },
    format: 'esm',
  },
];

/** @returns {import('esbuild').BuildOptions} */
function optionsFor(b) {
  const outdir = path.join(root, b.outdir);
  mkdirSync(outdir, { recursive: true });
  return {
    entryPoints: Object.fromEntries(Object.entries(b.entryPoints).map(([k, v]) => [k, path.join(root, v)])),
    outdir,
    bundle: true,
    format: b.format,
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
}

// A bundle whose sources are not there yet is skipped, not an error.
const present = BUNDLES.filter((b) =>
  Object.values(b.entryPoints).every((e) => existsSync(path.join(root, e))),
);

if (watch) {
  for (const b of present) {
    const ctx = await esbuild.context(optionsFor(b));
    await ctx.watch();
    console.log(`watching ${b.name}: ${b.outdir}`);
  }
} else {
  for (const b of present) {
    // esbuild has already printed what failed, with file and line: no stack trace on top.
    const result = await esbuild.build(optionsFor(b)).catch(() => process.exit(1));
    const sizes = Object.entries(result.metafile.outputs)
      .map(([file, o]) => `${path.relative(root, file)} ${(o.bytes / 1024).toFixed(1)} KB`)
      .join(', ');
    console.log(`${b.name} built: ${sizes}`);
  }
}
