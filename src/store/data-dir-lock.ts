import { randomUUID } from 'node:crypto';
import { closeSync, linkSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/**
 * An exclusive lock on a data folder, held for the life of the embedded database. Two processes
 * on one PGlite folder corrupt it silently, so the second opener must fail loudly instead.
 *
 * The lock is a file created atomically (link(2) of a fully written temp file, which fails if the
 * name exists). A lock whose process is gone is stale and is broken under a second, short-lived
 * lock so two starters cannot both break it and both win.
 */
export const LOCK_FILE = 'switchboard.lock';

export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
    readonly lockPath: string,
  ) {
    super(
      `DATA_DIR ${dataDir} is in use by process ${pid}. Stop that process, or point DATA_DIR elsewhere; ` +
        `if no such process runs, delete ${lockPath}.`,
    );
    this.name = 'DataDirLockedError';
  }
}

interface LockContent {
  pid: number;
  token: string;
  host: string;
  /** Start time of the holding process (epoch ms): tells our own pid from a previous holder's reused pid. */
  processStart: number;
}

export interface DataDirLock {
  readonly path: string;
  release(): void;
}

const processStart = () => Math.round(Date.now() - process.uptime() * 1000);
/** Longest a breaker may legitimately hold the break lock; older break locks are themselves stale. */
const BREAK_LOCK_STALE_MS = 10_000;

export function acquireDataDirLock(dataDir: string): DataDirLock {
  const path = join(dataDir, LOCK_FILE);
  const content: LockContent = {
    pid: process.pid,
    token: randomUUID(),
    host: hostname(),
    processStart: processStart(),
  };
  const tmp = `${path}.${process.pid}.${content.token}.tmp`;
  writeExclusive(tmp, JSON.stringify(content));
  try {
    for (let attempt = 0; ; attempt++) {
      if (tryLink(tmp, path)) break;
      const holder = readLock(path);
      if (!holder) continue; // released between our link and read: just try again
      if (isAlive(holder)) throw new DataDirLockedError(dataDir, holder.pid, path);
      if (attempt >= 50) throw new Error(`could not take the lock ${path}: it keeps changing`);
      breakStaleLock(path, holder);
    }
  } finally {
    safeUnlink(tmp);
  }
  let released = false;
  return {
    path,
    release() {
      if (released) return;
      released = true;
      // Remove only our own lock: never one a stale-lock breaker legitimately replaced.
      if (readLock(path)?.token === content.token) safeUnlink(path);
    },
  };
}

function breakStaleLock(path: string, seen: LockContent): void {
  const breakPath = `${path}.break`;
  try {
    writeExclusive(breakPath, String(process.pid));
  } catch (err) {
    if (code(err) !== 'EEXIST') throw err;
    // Another starter is breaking it; give it a moment, then look again (or clear a crashed breaker).
    if (ageMs(breakPath) > BREAK_LOCK_STALE_MS) safeUnlink(breakPath);
    sleepSync(20);
    return;
  }
  try {
    const now = readLock(path);
    // Still the same stale holder? Only then is it safe to remove; anything else is a new holder.
    if (now?.token === seen.token) safeUnlink(path);
  } finally {
    safeUnlink(breakPath);
  }
}

function readLock(path: string): LockContent | undefined {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (err) {
    if (code(err) === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const v = JSON.parse(raw) as Partial<LockContent>;
    if (typeof v.pid === 'number' && typeof v.token === 'string') {
      return {
        pid: v.pid,
        token: v.token,
        host: String(v.host ?? ''),
        processStart: Number(v.processStart ?? 0),
      };
    }
  } catch {
    // fall through: garbage in a lock file (written by hand or torn) counts as stale
  }
  return { pid: 0, token: `unreadable:${raw}`, host: '', processStart: 0 };
}

function isAlive(lock: LockContent): boolean {
  if (lock.pid <= 0) return false;
  if (lock.pid === process.pid) {
    // Our own pid: this process holds it, unless a previous process had the same pid
    // (routine in containers, where the server is often pid 1 on every start).
    return Math.abs(lock.processStart - processStart()) < 2_000;
  }
  try {
    process.kill(lock.pid, 0);
    return true;
  } catch (err) {
    return code(err) === 'EPERM'; // exists but belongs to another user
  }
}

function writeExclusive(path: string, data: string): void {
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeSync(fd, data);
  } finally {
    closeSync(fd);
  }
}

function tryLink(from: string, to: string): boolean {
  try {
    linkSync(from, to);
    return true;
  } catch (err) {
    if (code(err) === 'EEXIST') return false;
    throw err;
  }
}

function safeUnlink(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if (code(err) !== 'ENOENT') throw err;
  }
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

const code = (err: unknown) => (err as NodeJS.ErrnoException | undefined)?.code;
