import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { serveCommand, type ServeDeps } from '../../src/cli/serve.js';
import { createLogger } from '../../src/http/logger.js';
import { LOCK_FILE } from '../../src/store/data-dir-lock.js';
import { ensureBuilt, ROOT } from '../e2e/server-process.js';

/** A port taken by another process's listener, as a new user's leftover server would hold it. */
async function takePort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, server };
}

/** `switchboard serve` as a user runs it: the built CLI in a child process, from `cwd`. */
function serve(cwd: string, env: Record<string, string>, args: string[] = []) {
  const started = Date.now();
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/switchboard.js'), 'serve', ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; ms: number; out: string }>((resolve) =>
    child.once('exit', (code) => resolve({ code, ms: Date.now() - started, out })),
  );
  // A hang is the bug: never leave the child behind.
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  void exited.then(() => clearTimeout(timer));
  return exited;
}

const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'sb-serve-fail-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('switchboard serve: a start that cannot listen', () => {
  beforeAll(() => ensureBuilt(), 240_000);

  it('on a taken port exits non-zero within 15 s, says which port and what to do, and leaves no DATA_DIR lock', async () => {
    const { port, server } = await takePort();
    cleanup.push(() => server.close());
    const cwd = tempDir();
    const r = await serve(cwd, { PORT: String(port), DATA_DIR: path.join(cwd, 'data') });
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBeNull(); // not killed by the test's backstop
    expect(r.ms).toBeLessThan(15_000);
    expect(r.out).toContain(`port ${port} is in use: set PORT or use --port`);
    expect(existsSync(path.join(cwd, 'data', LOCK_FILE))).toBe(false);
  });

  it('takes the port from --port over PORT, and PORT from .env in the working directory', async () => {
    const { port, server } = await takePort();
    cleanup.push(() => server.close());
    const cwd = tempDir();
    // .env says the taken port: the failure names it, so .env was read before the config.
    writeFileSync(path.join(cwd, '.env'), `PORT=${port}\nDATA_DIR=./data\n`);
    const fromDotEnv = await serve(cwd, {});
    expect(fromDotEnv.out).toContain(`port ${port} is in use`);

    // The environment wins over .env, and --port over both.
    const other = await takePort();
    cleanup.push(() => other.server.close());
    const fromEnv = await serve(cwd, { PORT: String(other.port) });
    expect(fromEnv.out).toContain(`port ${other.port} is in use`);
    const fromFlag = await serve(cwd, { PORT: String(other.port) }, ['--port', String(port)]);
    expect(fromFlag.out).toContain(`port ${port} is in use`);
    for (const r of [fromDotEnv, fromEnv, fromFlag]) expect(r.code).toBe(1);
  });

  it('a DATA_DIR held by another server stops the start at once with the holder named', async () => {
    const cwd = tempDir();
    const dataDir = path.join(cwd, 'data');
    // A live holder: this test process's parent is alive for the whole test.
    const first = await createApp(
      {
        ...(await import('../../src/config.js')).loadConfig({
          DATA_DIR: dataDir,
          PORT: '0',
          HOST: '127.0.0.1',
        }),
      },
      { logger: createLogger({ level: 'silent' }), stt: null },
    );
    cleanup.push(() => void first.close());
    const { port, server } = await takePort();
    server.close();
    const r = await serve(cwd, { PORT: String(port), DATA_DIR: dataDir });
    expect(r.code).toBe(1);
    expect(r.ms).toBeLessThan(15_000);
    expect(r.out).toContain(`DATA_DIR ${dataDir} is in use by process ${process.pid}`);
    // The first server's lock is untouched.
    expect(existsSync(path.join(dataDir, LOCK_FILE))).toBe(true);
  }, 60_000);
});

describe('serveCommand: the port taken between the check and the listen', () => {
  it('closes what it opened (the database and its DATA_DIR lock) and returns 1', async () => {
    const { port, server } = await takePort();
    const dataDir = tempDir();
    const errors: string[] = [];
    const exits: number[] = [];
    let app: Awaited<ReturnType<typeof createApp>> | undefined;
    const deps: ServeDeps = {
      createApp: async (config) =>
        (app = await createApp(config, { logger: createLogger({ level: 'silent' }), stt: null })),
      // Lost the race: the check saw a free port.
      checkListenAddress: async () => undefined,
      exitAfter: (code) => exits.push(code),
      err: (line) => errors.push(line),
    };
    const saved = { PORT: process.env.PORT, HOST: process.env.HOST, DATA_DIR: process.env.DATA_DIR };
    Object.assign(process.env, { HOST: '127.0.0.1', DATA_DIR: dataDir });
    try {
      expect(await serveCommand(['--port', String(port)], deps)).toBe(1);
    } finally {
      for (const [k, v] of Object.entries(saved))
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      server.close();
    }
    expect(errors).toEqual([`switchboard: port ${port} is in use: set PORT or use --port`]);
    expect(exits).toEqual([1]);
    expect(app).toBeDefined();
    expect(existsSync(path.join(dataDir, LOCK_FILE))).toBe(false);
    // No signal handlers are left behind by the failed start.
    expect(process.listenerCount('SIGTERM')).toBe(0);
  }, 60_000);
});
