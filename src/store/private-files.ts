import {
  chmodSync,
  closeSync,
  fchmodSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  writeSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import type { Logger } from '../shared/index.js';

/**
 * DATA_DIR holds callers' recordings and words, outbox mail, secrets and the embedded database:
 * owner-only (0700 folders, 0600 files) whatever the umask. Modes given to mkdir/open are cut
 * by the umask but never widened by it, so explicit modes are enough for what we create; PGlite
 * creates its files itself with 0666/0777, so the process umask is tightened as well.
 */

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Makes later files of this process owner-only whatever the inherited umask (PGlite gives no
 * mode option). Only narrows: bits the umask already removes stay removed. Not in worker
 * threads, where Node forbids changing it.
 */
export function restrictUmask(): void {
  if (!isMainThread) return;
  process.umask(process.umask() | 0o077);
}

/** mkdir -p with 0700, and 0700 on the folder itself if it existed looser. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const mode = lstatSync(dir).mode & 0o777;
  if (mode & 0o077) chmodSync(dir, mode & 0o700);
}

/**
 * Takes group and other bits off every folder and file under `root` (symlinks are not
 * followed). Returns what was tightened and what could not be (not ours, vanished).
 */
export function tightenTree(root: string): { tightened: number; failed: number } {
  let tightened = 0;
  let failed = 0;
  const stack = [root];
  while (stack.length > 0) {
    const path = stack.pop()!;
    let st;
    try {
      st = lstatSync(path);
    } catch {
      continue; // removed meanwhile
    }
    if (st.isSymbolicLink()) continue;
    const mode = st.mode & 0o777;
    if (mode & 0o077) {
      try {
        chmodSync(path, st.isDirectory() ? (mode & 0o700) | 0o700 : mode & 0o700);
        tightened++;
      } catch {
        failed++;
      }
    }
    if (st.isDirectory()) {
      try {
        for (const name of readdirSync(path)) stack.push(join(path, name));
      } catch {
        failed++;
      }
    }
  }
  return { tightened, failed };
}

/**
 * At start: the umask narrowed, DATA_DIR made (0700), and anything in it that others could
 * read tightened, with a warning saying so.
 */
export function preparePrivateDataDir(dataDir: string, log: Pick<Logger, 'warn'>): void {
  restrictUmask();
  const { tightened, failed } = tightenTree(dataDir);
  ensurePrivateDir(dataDir);
  if (tightened > 0 || failed > 0) {
    log.warn(
      { dataDir, tightened, failed },
      'DATA_DIR had folders or files others could read; made them owner-only (0700/0600)',
    );
  }
}

export interface PrivateWriteOptions {
  /** 'w' (replace) by default; 'wx' fails if the file exists. */
  flag?: 'w' | 'wx';
}

/** Writes a file 0600; an existing file written over is made 0600 too. */
export function writePrivateFileSync(
  path: string,
  data: string | Uint8Array,
  opts: PrivateWriteOptions = {},
): void {
  const fd = openSync(path, opts.flag ?? 'w', PRIVATE_FILE_MODE);
  try {
    fchmodSync(fd, PRIVATE_FILE_MODE);
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
  } finally {
    closeSync(fd);
  }
}

/** The same, without blocking the event loop. */
export async function writePrivateFile(
  path: string,
  data: string | Uint8Array,
  opts: PrivateWriteOptions = {},
): Promise<void> {
  const file = await open(path, opts.flag ?? 'w', PRIVATE_FILE_MODE);
  try {
    await file.chmod(PRIVATE_FILE_MODE);
    await file.writeFile(data);
  } finally {
    await file.close();
  }
}
