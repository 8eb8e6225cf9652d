import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import util from 'node:util';

export type DotEnvResult =
  { kind: 'none' } | { kind: 'loaded'; file: string; keys: string[] } | { kind: 'unsupported'; file: string };

/**
 * Reads `.env` from the working directory into `env` before the configuration is read. A
 * variable already set in the environment wins over the file (a one-off `PORT=4000 switchboard
 * serve` must not be undone by it). Node's own parser is used (util.parseEnv, Node 20.12+);
 * an older Node reports the file as unsupported instead of guessing at its syntax.
 */
export function loadDotEnv(cwd: string = process.cwd(), env: NodeJS.ProcessEnv = process.env): DotEnvResult {
  const file = path.join(cwd, '.env');
  if (!existsSync(file)) return { kind: 'none' };
  const parseEnv = (util as { parseEnv?: (content: string) => Record<string, string> }).parseEnv;
  if (typeof parseEnv !== 'function') return { kind: 'unsupported', file };
  const values = parseEnv(readFileSync(file, 'utf8'));
  const keys: string[] = [];
  for (const [key, value] of Object.entries(values)) {
    if (env[key] !== undefined) continue;
    env[key] = value;
    keys.push(key);
  }
  return { kind: 'loaded', file, keys };
}
