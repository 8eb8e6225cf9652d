import type { CallSid } from '../../ids.js';
import type { ChatModel } from '../../providers/llm/index.js';
import { systemClock, type Clock, type Logger } from '../../shared/index.js';
import type { CallDetail, CallsRepo } from '../../store/index.js';
import type { CallFacts } from './call-facts.js';
import { summarizeCall } from './summarize-call.js';

export interface PostCallSummariesDeps {
  calls: Pick<CallsRepo, 'get' | 'setSummary'>;
  /** The receptionist's records of a call (loadCallFacts over the database); absent: turns and events only. */
  facts?: (detail: CallDetail) => Promise<CallFacts>;
  /** Calls ended since `since` without a written summary (endedCallsWithoutSummary): what catchUp() takes. */
  endedWithoutSummary?: (since: Date) => Promise<CallSid[]>;
  chat?: ChatModel;
  log: Logger;
  clock?: Clock;
  /** Summaries written at once; default 1. */
  concurrency?: number;
  /**
   * Wait after a call is queued before reading it: the call's last turns and events are still
   * being written when its end is announced. Default 3000 ms.
   */
  settleMs?: number;
  /** Waits between tries of a failed write (or read); one try more than delays. Default 1 s, 5 s, 15 s. */
  retryDelaysMs?: readonly number[];
  /** Calls waiting at most; past this a call is not queued (catchUp at the next start takes it). */
  maxQueued?: number;
  /** The model's budget per call; default 20 s. */
  modelTimeoutMs?: number;
  /**
   * Hands each ended call to a job queue (src/jobs: a 'call-summary' job delayed by settleMs)
   * instead of this node's own line: whichever node is free then calls runJob(). Absent: the
   * call is summarised here, as before. If the queue refuses it, it is summarised here after all.
   */
  queue?: { add(callSid: CallSid, delayMs: number): Promise<unknown> };
}

/**
 * The after-call summary job of this node: each ended call (AI-answered or assisted) is queued,
 * summarised one (or a few) at a time off the call path, and its `summary.text` and
 * `summary.actionItems` merged into the stored summary. A failed write is retried a few times; a
 * call lost to a restart is found again by catchUp(). Logs name the call, never its words.
 */
export class PostCallSummaries {
  private readonly queue: CallSid[] = [];
  private readonly queued = new Set<CallSid>();
  private readonly running = new Map<CallSid, Promise<void>>();
  /** Calls queued again while being summarised (a transferred call's assist part ended): run once more. */
  private readonly again = new Set<CallSid>();
  /** Runs past their settle wait: they read the call as it is now. */
  private readonly reading = new Set<CallSid>();
  private readonly lifetime = new AbortController();
  private readonly clock: Clock;
  private readonly waiters: Array<() => void> = [];
  private readonly sleeping = new Set<{ timer: unknown; resolve: () => void }>();
  private closed = false;

  constructor(private readonly deps: PostCallSummariesDeps) {
    this.clock = deps.clock ?? systemClock;
  }

  /** Queues a call whose end was announced; a call already waiting is queued once. */
  enqueue(callSid: CallSid): void {
    if (this.closed) return;
    const { queue } = this.deps;
    if (queue) {
      queue.add(callSid, this.deps.settleMs ?? 3000).catch((err: unknown) => {
        this.deps.log.warn(
          { callSid, reason: err instanceof Error ? err.message.slice(0, 160) : 'unknown' },
          'summary: job queue refused the call; summarising it here',
        );
        this.enqueueHere(callSid);
      });
      return;
    }
    this.enqueueHere(callSid);
  }

  /**
   * The 'call-summary' job's handler: summarises the call now (its settle wait was the job's
   * delay), with this node's retries. One run per call at a time on this node: a job for a call
   * already being summarised here waits for that run (and asks for one more if it has read the
   * call already). Rejects only when this node is closing, so the job runs again elsewhere.
   */
  async runJob(callSid: CallSid, signal?: AbortSignal): Promise<void> {
    if (this.closed) throw new Error('summaries closed: the job runs again later');
    const current = this.running.get(callSid);
    if (current) {
      if (this.reading.has(callSid)) this.again.add(callSid);
      await current;
      return;
    }
    const run = this.summariseNow(callSid, signal).finally(() => {
      this.running.delete(callSid);
      if (this.again.delete(callSid)) this.enqueue(callSid);
      this.notifyIdle();
    });
    this.running.set(callSid, run);
    await run;
    if (this.closed) throw new Error('summaries closed during the job: it runs again later');
  }

  private async summariseNow(callSid: CallSid, signal: AbortSignal | undefined): Promise<void> {
    this.reading.add(callSid);
    try {
      await this.summarise(callSid, signal);
    } finally {
      this.reading.delete(callSid);
    }
  }

  /** This node's own line (no queue, or the queue refused the call). */
  private enqueueHere(callSid: CallSid): void {
    if (this.closed || this.queued.has(callSid)) return;
    if (this.running.has(callSid)) {
      // Still settling: the run has not read the call yet and will see everything. Else once more.
      if (this.reading.has(callSid)) this.again.add(callSid);
      return;
    }
    if (this.queue.length >= (this.deps.maxQueued ?? 1000)) {
      this.deps.log.warn({ callSid }, 'summary queue full: call left for catch-up');
      return;
    }
    this.queued.add(callSid);
    this.queue.push(callSid);
    this.pump();
  }

  /** At start: queues the calls that ended in the last `withinMs` (default 24 h) without a summary. */
  async catchUp(withinMs = 24 * 60 * 60 * 1000): Promise<number> {
    if (!this.deps.endedWithoutSummary) return 0;
    const sids = await this.deps.endedWithoutSummary(new Date(Date.now() - withinMs));
    for (const sid of sids) this.enqueue(sid);
    if (sids.length > 0)
      this.deps.log.info({ calls: sids.length }, 'summarising calls left without a summary');
    return sids.length;
  }

  /** Calls waiting or being summarised. */
  get pending(): number {
    return this.queue.length + this.running.size;
  }

  /** Resolves once nothing is waiting or running (tests, shutdown). */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Stops taking calls, drops those not started (catchUp finds them again) and waits for the running ones. */
  async close(): Promise<void> {
    this.closed = true;
    for (const sid of this.queue.splice(0)) this.queued.delete(sid);
    this.again.clear();
    // Waits between retries end now; a write under way finishes.
    for (const s of this.sleeping) {
      this.clock.clearTimeout(s.timer);
      s.resolve();
    }
    this.lifetime.abort();
    await Promise.allSettled([...this.running.values()]);
    this.notifyIdle();
  }

  private pump(): void {
    const limit = Math.max(1, this.deps.concurrency ?? 1);
    while (!this.closed && this.running.size < limit && this.queue.length > 0) {
      const sid = this.queue.shift()!;
      this.queued.delete(sid);
      const run = this.run(sid).finally(() => {
        this.running.delete(sid);
        if (this.again.delete(sid)) this.enqueue(sid);
        this.pump();
        this.notifyIdle();
      });
      this.running.set(sid, run);
    }
  }

  private notifyIdle(): void {
    if (this.pending > 0) return;
    for (const w of this.waiters.splice(0)) w();
  }

  /** Never rejects: a call that cannot be summarised is logged and left for catch-up. */
  private async run(callSid: CallSid): Promise<void> {
    const { deps } = this;
    await this.sleep(deps.settleMs ?? 3000);
    this.reading.add(callSid);
    try {
      await this.summarise(callSid);
    } finally {
      this.reading.delete(callSid);
    }
  }

  private async summarise(callSid: CallSid, jobSignal?: AbortSignal): Promise<void> {
    const { deps } = this;
    const signal = jobSignal ? AbortSignal.any([this.lifetime.signal, jobSignal]) : this.lifetime.signal;
    const delays = deps.retryDelaysMs ?? [1000, 5000, 15_000];
    for (let attempt = 0; ; attempt++) {
      if ((this.closed || signal.aborted) && attempt > 0) return;
      try {
        const detail = await deps.calls.get(callSid);
        if (!detail) {
          deps.log.warn({ callSid }, 'summary: call not found');
          return;
        }
        const facts = deps.facts ? await deps.facts(detail) : undefined;
        const written = await summarizeCall(detail, {
          signal,
          ...(deps.chat ? { chat: deps.chat } : {}),
          ...(facts ? { facts } : {}),
          ...(deps.modelTimeoutMs !== undefined ? { timeoutMs: deps.modelTimeoutMs } : {}),
          onFallback: (reason) =>
            deps.log.warn({ callSid, reason }, 'summary: model answer not used; written offline'),
        });
        const stored = await deps.calls.setSummary(callSid, {
          text: written.text,
          actionItems: written.actionItems,
        });
        if (!stored) deps.log.warn({ callSid }, 'summary: call vanished before its summary was stored');
        return;
      } catch (err) {
        const delay = delays[attempt];
        const reason = err instanceof Error ? err.message.slice(0, 160) : String(err).slice(0, 160);
        if (delay === undefined || this.closed || signal.aborted) {
          deps.log.error(
            { callSid, reason, attempts: attempt + 1 },
            'summary: not stored; left for catch-up',
          );
          return;
        }
        deps.log.warn({ callSid, reason, attempt: attempt + 1 }, 'summary: failed; retrying');
        await this.sleep(delay);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const entry = {
        timer: undefined as unknown,
        resolve: () => {
          this.sleeping.delete(entry);
          resolve();
        },
      };
      entry.timer = this.clock.setTimeout(entry.resolve, ms);
      this.sleeping.add(entry);
    });
  }
}

/**
 * Queues every AI-answered call's summary when its end is announced. The call bus has per-business
 * topics only, so the caller hands the ended call's sid over (a call-ended listener on the node's
 * call event stream, or a subscription per business); this is the one line it runs.
 */
export function onCallEnded(
  jobs: Pick<PostCallSummaries, 'enqueue'>,
): (e: { type: string; callSid: string }) => void {
  return (e) => {
    if (e.type === 'call-ended') jobs.enqueue(e.callSid as CallSid);
  };
}
