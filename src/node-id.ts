import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * This process's stable identity among the nodes sharing one database: what it stamps on the
 * calls it serves (so a restart can close only its own) and on the leases it takes. NODE_ID wins;
 * otherwise one is made once and kept in DATA_DIR/node-id, so a restart is the same node.
 */

/** Letters, digits, dot, dash, underscore; 1 to 64 characters (it goes into logs and rows). */
export const NODE_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

export function nodeIdPath(dataDir: string): string {
  return path.join(dataDir, 'node-id');
}

/**
 * The configured id, or the one kept in DATA_DIR (made on first call). Throws when the kept file
 * is damaged rather than silently becoming a new node (which would orphan this node's calls).
 */
export function resolveNodeId(opts: { configured?: string | undefined; dataDir: string }): string {
  if (opts.configured !== undefined) {
    if (!NODE_ID_PATTERN.test(opts.configured)) throw new Error('NODE_ID must match [A-Za-z0-9._-]{1,64}');
    return opts.configured;
  }
  const file = nodeIdPath(opts.dataDir);
  const existing = readKept(file);
  if (existing !== undefined) return existing;
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const made = `node-${randomBytes(6).toString('hex')}`;
  try {
    writeFileSync(file, made + '\n', { mode: 0o600, flag: 'wx' });
    return made;
  } catch (err) {
    // Another process made it first: theirs is the node's id.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      const kept = readKept(file);
      if (kept !== undefined) return kept;
    }
    throw err;
  }
}

function readKept(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  if (!NODE_ID_PATTERN.test(text)) throw new Error(`${file} is damaged; set NODE_ID or delete the file`);
  return text;
}
