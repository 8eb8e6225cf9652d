import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A private `redis-server` on a free port, for tests that kill, stop and restart Redis (the
 * shared one at 6379 must never be stopped). No persistence: a restart comes back empty, as a
 * Redis that lost its memory would.
 */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>`, the same across restarts. */
  readonly url: string;
  readonly port: number;
  /** True while the process runs (between start/restart and stop/kill). */
  readonly running: boolean;
  /** SIGTERM; resolves once the process has exited (the port no longer answers). */
  stop(): Promise<void>;
  /** SIGKILL, as a crash; resolves once the process has exited. */
  kill(): Promise<void>;
  /** Starts it again on the same port (stopping it first if it runs); resolves once it answers PING. */
  restart(): Promise<void>;
  /** Stops it if it runs and removes its working directory. Safe to call twice. */
  close(): Promise<void>;
}

const READY_TIMEOUT_MS = 10_000;
const EXIT_TIMEOUT_MS = 5_000;

/** Every server still running when the test process exits is killed with it. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export interface RedisServerOptions {
  /** More `redis-server` arguments, e.g. `['--requirepass', 'pw']`. */
  args?: readonly string[];
}

export async function startRedisServer(opts: RedisServerOptions = {}): Promise<RedisServer> {
  const args = opts.args ?? [];
  const dir = await mkdtemp(join(tmpdir(), 'switchboard-redis-'));
  // A free port can be taken between our probe and redis binding it: try a few.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      const child = await spawnRedis(port, dir, args);
      return new PrivateRedis(port, dir, args, child);
    } catch (err) {
      if (attempt >= 5) {
        await rm(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }
}

class PrivateRedis implements RedisServer {
  readonly url: string;
  private closed = false;

  constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly args: readonly string[],
    private child: ChildProcess | undefined,
  ) {
    this.url = `redis://127.0.0.1:${port}`;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  stop(): Promise<void> {
    return this.end('SIGTERM');
  }

  kill(): Promise<void> {
    return this.end('SIGKILL');
  }

  async restart(): Promise<void> {
    if (this.closed) throw new Error('redis-server: restart after close');
    await this.end('SIGTERM');
    // The old socket may linger for a moment after a kill: retry the bind briefly.
    for (let attempt = 1; ; attempt++) {
      try {
        this.child = await spawnRedis(this.port, this.dir, this.args);
        return;
      } catch (err) {
        if (attempt >= 10) throw err;
        await sleep(100);
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.end('SIGTERM');
    await rm(this.dir, { recursive: true, force: true });
  }

  private async end(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    await exitOf(child, signal);
  }
}

async function spawnRedis(port: number, dir: string, args: readonly string[]): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      ...args,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  live.add(child);
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exited = false;
  child.once('exit', () => {
    exited = true;
    live.delete(child);
  });
  const spawnError = new Promise<Error>((resolve) => child.on('error', resolve));

  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const failed = await Promise.race([spawnError, sleep(50, undefined)]);
    if (failed) throw new Error(`redis-server could not start: ${failed.message}`);
    if (exited) throw new Error(`redis-server on port ${port} exited at start:\n${output}`);
    if (await answersPing(port)) return child;
  }
  await exitOf(child, 'SIGKILL');
  throw new Error(`redis-server on port ${port} did not answer within ${READY_TIMEOUT_MS} ms:\n${output}`);
}

function exitOf(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`redis-server pid ${child.pid} did not exit on ${signal}`));
    }, EXIT_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

/** A raw inline PING, so this helper depends on no Redis client (NOAUTH: up, with a password). */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG') || reply.startsWith('-NOAUTH'));
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
