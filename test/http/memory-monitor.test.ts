import { describe, expect, it } from 'vitest';
import { MemoryMonitor } from '../../src/http/memory-monitor.js';

/** The heap against MAX_MEMORY_USAGE_MB: figures in MB, a crossing logged once each way. */

const MB = 1024 * 1024;

function monitor(opts: { max: number; enabled?: boolean; sampleEveryMs?: number }) {
  const heap = { heapUsed: 100 * MB, heapTotal: 200 * MB, rss: 300 * MB };
  const lines: Array<[level: string, msg: string]> = [];
  const m = new MemoryMonitor({
    maxMemoryUsageMb: opts.max,
    enabled: opts.enabled ?? true,
    log: {
      info: (_o, msg) => lines.push(['info', String(msg)]),
      warn: (_o, msg) => lines.push(['warn', String(msg)]),
    },
    read: () => heap,
    ...(opts.sampleEveryMs ? { sampleEveryMs: opts.sampleEveryMs } : {}),
  });
  return { m, heap, lines };
}

describe('MemoryMonitor', () => {
  it('reports heap used and total in MB and the used share in percent', () => {
    const { m, heap } = monitor({ max: 512 });
    heap.heapUsed = 156.7 * MB;
    heap.heapTotal = 234.5 * MB;
    expect(m.sample()).toEqual({ heapUsedMb: 156.7, heapTotalMb: 234.5, heapUsedPercent: 67, rssMb: 300 });
  });

  it('warns once when the heap goes over the limit and says once when it is back under', () => {
    const { m, heap, lines } = monitor({ max: 150 });
    m.sample();
    expect(m.overLimit()).toBe(false);
    heap.heapUsed = 151 * MB;
    m.sample();
    m.sample();
    m.sample();
    expect(m.overLimit()).toBe(true);
    heap.heapUsed = 149 * MB;
    m.sample();
    m.sample();
    expect(m.overLimit()).toBe(false);
    expect(lines).toEqual([
      ['warn', 'heap over MAX_MEMORY_USAGE_MB: this node reports degraded'],
      ['info', 'heap back under MAX_MEMORY_USAGE_MB'],
    ]);
  });

  it('with monitoring on, samples on its own; with it off, only when asked', async () => {
    const on = monitor({ max: 50, sampleEveryMs: 20 });
    const off = monitor({ max: 50, enabled: false, sampleEveryMs: 20 });
    on.m.start();
    off.m.start();
    await new Promise((r) => setTimeout(r, 100));
    on.m.stop();
    off.m.stop();
    expect(on.m.overLimit()).toBe(true);
    expect(on.lines).toHaveLength(1);
    expect(off.m.overLimit()).toBe(false);
    expect(off.lines).toEqual([]);
    off.m.sample();
    expect(off.m.overLimit()).toBe(true);
  });
});
