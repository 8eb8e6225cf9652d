import type { Logger } from '../shared/index.js';

/**
 * This node's heap against MAX_MEMORY_USAGE_MB. With ENABLE_MEMORY_MONITORING it samples every
 * 30 s on its own; /health samples on demand either way. A crossing is logged once each way (over,
 * then back under), not on every sample, so a node hovering over the line does not flood the log.
 * Over the limit the node is degraded: it still serves calls, but a load balancer or an operator
 * can see it before the process runs out of memory.
 */

const MB = 1024 * 1024;
export const MEMORY_SAMPLE_EVERY_MS = 30_000;

export interface MemorySample {
  heapUsedMb: number;
  heapTotalMb: number;
  /** heapUsed / heapTotal, in whole percent. */
  heapUsedPercent: number;
  rssMb: number;
}

export interface MemoryMonitorOptions {
  maxMemoryUsageMb: number;
  /** ENABLE_MEMORY_MONITORING: the background sampling and its warnings. */
  enabled: boolean;
  log: Pick<Logger, 'info' | 'warn'>;
  sampleEveryMs?: number;
  /** The process's figures; a test passes its own. */
  read?: () => Pick<NodeJS.MemoryUsage, 'heapUsed' | 'heapTotal' | 'rss'>;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

export class MemoryMonitor {
  private over = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly read: () => Pick<NodeJS.MemoryUsage, 'heapUsed' | 'heapTotal' | 'rss'>;

  constructor(private readonly opts: MemoryMonitorOptions) {
    this.read = opts.read ?? (() => process.memoryUsage());
  }

  get maxMb(): number {
    return this.opts.maxMemoryUsageMb;
  }

  /** Starts the background sampling when monitoring is on; safe to call twice. */
  start(): void {
    if (!this.opts.enabled || this.timer) return;
    this.timer = setInterval(() => this.sample(), this.opts.sampleEveryMs ?? MEMORY_SAMPLE_EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Reads the heap now, notes a crossing of the limit (and logs it), and returns the figures. */
  sample(): MemorySample {
    const m = this.read();
    const s: MemorySample = {
      heapUsedMb: round1(m.heapUsed / MB),
      heapTotalMb: round1(m.heapTotal / MB),
      heapUsedPercent: m.heapTotal > 0 ? Math.round((m.heapUsed / m.heapTotal) * 100) : 0,
      rssMb: round1(m.rss / MB),
    };
    const over = m.heapUsed / MB > this.opts.maxMemoryUsageMb;
    if (over !== this.over) {
      this.over = over;
      const fields = { heapUsedMb: s.heapUsedMb, maxMemoryUsageMb: this.opts.maxMemoryUsageMb };
      if (over) this.opts.log.warn(fields, 'heap over MAX_MEMORY_USAGE_MB: this node reports degraded');
      else this.opts.log.info(fields, 'heap back under MAX_MEMORY_USAGE_MB');
    }
    return s;
  }

  /** Whether the last sample was over the limit. */
  overLimit(): boolean {
    return this.over;
  }
}
