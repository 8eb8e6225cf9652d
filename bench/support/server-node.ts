import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../test/support/test-server.js';

/**
 * A whole Switchboard server for a benchmark, in a forked child (server-node-child.ts runs
 * createApp from src/app.ts under tsx: never dist/, which may be stale), with its own DATA_DIR
 * (embedded PGlite) unless the env names DATABASE_URL. Its CPU, memory, event-loop delay and
 * handles are asked for over IPC, so the load generator's own work never shows in them.
 */

export interface NodeStats {
  /** Since start or the last reset: % of one core. */
  cpuPct: number;
  rssMb: number;
  heapUsedMb: number;
  /** Memory outside the V8 heap (Buffers, ArrayBuffers, wasm): process.memoryUsage().external. */
  externalMb: number;
  loopP50Ms: number;
  loopP99Ms: number;
  loopMaxMs: number;
  liveCalls: number;
  /** process.getActiveResourcesInfo(), counted by kind (TCPSocketWrap, Timeout, ...). */
  handles: Record<string, number>;
  unhandledRejections: number;
}

export interface NodeReady {
  ready: true;
  baseUrl: string;
  authToken: string;
  apiKey: string;
}

export type NodeRequest = { id: number; cmd: 'stats' | 'reset' | 'gc' | 'stop' };

export interface ServerNode {
  readonly baseUrl: string;
  /** The Twilio auth token the node checks signatures with. */
  readonly authToken: string;
  readonly apiKey: string;
  readonly pid: number;
  stats(): Promise<NodeStats>;
  /** Starts a new window for the CPU and event-loop figures. */
  reset(): Promise<void>;
  /** A full GC in the node (it runs with --expose-gc). */
  gc(): Promise<void>;
  /** Closes the app; its last stats (handles after close) come back. */
  stop(): Promise<NodeStats | undefined>;
}

/**
 * Settings every load bench wants: the node takes all the calls the bench makes from one address
 * (the per-address and per-node caps would refuse them), logs only warnings, keeps idle streams.
 */
export const BENCH_ENV: Record<string, string> = {
  LOG_LEVEL: 'error',
  MAX_CONCURRENT_CALLS: '0',
  MAX_CONNECTIONS_PER_IP: '0',
  HTTP_REQUESTS_PER_MINUTE_PER_IP: '0',
  WS_UPGRADES_PER_MINUTE_PER_IP: '0',
  ROOM_JOINS_PER_MINUTE: '1000',
  STREAM_IDLE_TIMEOUT_MS: '600000',
  ENABLE_MEMORY_MONITORING: 'false',
};

export async function startServerNode(env: Record<string, string> = {}): Promise<ServerNode> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sb-bench-node-'));
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const child: ChildProcess = fork(fileURLToPath(new URL('./server-node-child.ts', import.meta.url)), [], {
    // tsx's loader comes with the parent's execArgv.
    execArgv: [
      ...process.execArgv,
      '--expose-gc',
      ...(process.env['BENCH_SERVER_NODE_ARGS']?.split(' ').filter(Boolean) ?? []),
    ],
    env: {
      ...process.env,
      ...BENCH_ENV,
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: baseUrl,
      DATA_DIR: dataDir,
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, (m: unknown) => void>();
  let nextId = 1;
  let exited = false;
  const ready = new Promise<NodeReady>((resolve, reject) => {
    child.on('message', (m: { id?: number; ready?: boolean }) => {
      if (m.ready) return resolve(m as NodeReady);
      const done = m.id === undefined ? undefined : pending.get(m.id);
      if (done) {
        pending.delete(m.id!);
        done(m);
      }
    });
    child.once('exit', (code) => {
      exited = true;
      reject(new Error(`server node exited (${code}) before it was ready`));
      for (const done of pending.values()) done(undefined);
    });
  });
  const ask = <T>(cmd: NodeRequest['cmd']) =>
    new Promise<T>((resolve) => {
      if (exited) return resolve(undefined as T);
      const id = nextId++;
      pending.set(id, resolve as (m: unknown) => void);
      child.send({ id, cmd } satisfies NodeRequest);
    });
  const r = await ready;
  return {
    baseUrl: r.baseUrl,
    authToken: r.authToken,
    apiKey: r.apiKey,
    pid: child.pid!,
    stats: () => ask<NodeStats>('stats'),
    reset: async () => void (await ask('reset')),
    gc: async () => void (await ask('gc')),
    async stop() {
      const last = await ask<NodeStats | undefined>('stop');
      if (!exited) await new Promise((res) => child.once('exit', res));
      rmSync(dataDir, { recursive: true, force: true });
      return last;
    },
  };
}
