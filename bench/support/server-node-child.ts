/**
 * The child side of server-node.ts: the whole Switchboard (createApp from src/app.ts, a config
 * from loadConfig(env)) in a process of its own, answering the bench's questions over IPC: its
 * CPU, memory and event-loop delay, a forced GC, its open handles, and a stop.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { NodeReady, NodeRequest, NodeStats } from './server-node.js';

let unhandled = 0;
process.on('unhandledRejection', (err) => {
  unhandled++;
  console.error('server node: unhandled rejection', err);
});
// Never outlive the bench.
process.on('disconnect', () => process.exit(0));

const app = await createApp(loadConfig(process.env));
await app.listen();
const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();
let cpu0 = process.cpuUsage();
let wall0 = performance.now();

function stats(): NodeStats {
  const cpu = process.cpuUsage(cpu0);
  const mem = process.memoryUsage();
  const s: NodeStats = {
    cpuPct: ((cpu.user + cpu.system) / 1000 / (performance.now() - wall0)) * 100,
    rssMb: mem.rss / 2 ** 20,
    heapUsedMb: mem.heapUsed / 2 ** 20,
    externalMb: mem.external / 2 ** 20,
    loopP50Ms: loop.percentile(50) / 1e6,
    loopP99Ms: loop.percentile(99) / 1e6,
    loopMaxMs: loop.max / 1e6,
    liveCalls: app.liveCalls.size,
    handles: countBy(process.getActiveResourcesInfo()),
    unhandledRejections: unhandled,
  };
  return s;
}

function countBy(xs: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}

process.on('message', (m: NodeRequest) => {
  const answer = (body: object) => process.send!({ id: m.id, ...body });
  switch (m.cmd) {
    case 'stats':
      answer(stats());
      break;
    case 'reset':
      // The window the next `stats` covers starts now.
      loop.reset();
      cpu0 = process.cpuUsage();
      wall0 = performance.now();
      answer({});
      break;
    case 'gc':
      // Twice: the first pass frees what only weak or finalizable references held.
      globalThis.gc?.();
      globalThis.gc?.();
      answer({ gc: typeof globalThis.gc === 'function' });
      break;
    case 'stop':
      void app.close().then(
        () => {
          answer(stats());
          process.exit(0);
        },
        () => process.exit(1),
      );
      break;
  }
});

const ready: NodeReady = {
  ready: true,
  baseUrl: app.config.publicUrl,
  authToken: app.twilioAuthToken,
  apiKey: app.apiKey,
};
process.send!(ready);
