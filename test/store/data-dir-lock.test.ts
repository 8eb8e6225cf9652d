import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireDataDirLock, DataDirLockedError, LOCK_FILE } from '../../src/store/data-dir-lock.js';

function startIdleProcess(): Promise<{ pid: number; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('spawn', () =>
      resolve({
        pid: child.pid!,
        stop: () =>
          new Promise<void>((done) => {
            child.once('exit', () => done());
            child.kill('SIGKILL');
          }),
      }),
    );
  });
}

const lockContent = (pid: number, processStart = 0) =>
  JSON.stringify({ pid, token: `t-${pid}-${processStart}`, host: 'elsewhere', processStart });

describe('DATA_DIR lock', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'switchboard-lock-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('makes the lock owner-only whatever the umask', () => {
    const umask = process.umask(0);
    try {
      const lock = acquireDataDirLock(dir);
      expect(statSync(join(dir, LOCK_FILE)).mode & 0o777).toBe(0o600);
      lock.release();
    } finally {
      process.umask(umask);
    }
  });

  it('writes our pid into the lock and removes it on release', () => {
    const lock = acquireDataDirLock(dir);
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid });
    lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it('refuses a second opener in the same process, naming the holder', () => {
    const lock = acquireDataDirLock(dir);
    try {
      expect(() => acquireDataDirLock(dir)).toThrow(`DATA_DIR ${dir} is in use by process ${process.pid}`);
    } finally {
      lock.release();
    }
  });

  it('refuses while another live process holds the lock, and recovers once it has died', async () => {
    const other = await startIdleProcess();
    writeFileSync(join(dir, LOCK_FILE), lockContent(other.pid));
    const err = (() => {
      try {
        acquireDataDirLock(dir);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(DataDirLockedError);
    expect((err as DataDirLockedError).pid).toBe(other.pid);
    expect((err as Error).message).toContain(`is in use by process ${other.pid}`);

    await other.stop();
    const lock = acquireDataDirLock(dir);
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid });
    lock.release();
  });

  it('breaks a lock left by an earlier process that had our pid (container restarts)', () => {
    writeFileSync(join(dir, LOCK_FILE), lockContent(process.pid, 1));
    acquireDataDirLock(dir).release();
  });

  it('breaks a lock file holding garbage', () => {
    writeFileSync(join(dir, LOCK_FILE), 'not json');
    acquireDataDirLock(dir).release();
  });

  it('release leaves alone a lock that someone else took over', () => {
    const lock = acquireDataDirLock(dir);
    writeFileSync(join(dir, LOCK_FILE), lockContent(1));
    lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true);
  });
});
