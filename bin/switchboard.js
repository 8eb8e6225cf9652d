#!/usr/bin/env node
// Runs the compiled CLI. `npm install` (its prepare step) builds dist/; `npm run build` rebuilds.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
if (!existsSync(main)) {
  console.error('switchboard: dist/ is missing. Run `npm run build` in the project folder first.');
  process.exit(1);
}
await import(main);
