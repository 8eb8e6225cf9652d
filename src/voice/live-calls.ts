import { setTimeout as sleep } from 'node:timers/promises';
import type { BusinessId, CallSid } from '../ids.js';

/** What the registry knows of a live call and how it can be ended. */
export interface LiveCall {
  readonly callSid: CallSid;
  readonly businessId: BusinessId;
  /** Epoch ms the call's stream started. */
  readonly startedAt: number;
  /** Release everything the call holds and write its end; never rejects. */
  end(reason: string): Promise<void>;
  /** The server is stopping: a last line to the caller, then the call ends and is hung up. */
  endWithGoodbye(): Promise<void>;
}

/**
 * The calls live on this node, by CallSid: what /health counts and what a graceful shutdown
 * waits for, then ends. A call leaves the registry once its end has been written; ends still
 * being written are kept so the database is not closed under them.
 */
export class LiveCalls {
  private readonly live = new Map<CallSid, LiveCall>();
  private readonly ending = new Set<Promise<void>>();

  /**
   * `onEnded`: told once a call's end has been written (e.g. to queue its after-call summary);
   * a throwing hook is the hook's problem, never the call's.
   */
  constructor(private readonly opts: { onEnded?: (call: LiveCall) => void } = {}) {}

  /** Adds a call; returns its `end`, safe to call more than once (later calls get the first end). */
  add(call: LiveCall): (reason: string) => Promise<void> {
    if (this.live.has(call.callSid)) throw new Error('this call is already live on this node');
    this.live.set(call.callSid, call);
    let ended: Promise<void> | undefined;
    return (reason) => {
      if (ended) return ended;
      const run = (async () => {
        try {
          await call.end(reason);
        } finally {
          if (this.live.get(call.callSid) === call) this.live.delete(call.callSid);
        }
        try {
          this.opts.onEnded?.(call);
        } catch {
          // Not the call's failure: its end is written.
        }
      })();
      ended = run;
      this.ending.add(run);
      void run.finally(() => this.ending.delete(run)).catch(() => undefined);
      return run;
    };
  }

  get size(): number {
    return this.live.size;
  }

  get(callSid: CallSid): LiveCall | undefined {
    return this.live.get(callSid);
  }

  list(): LiveCall[] {
    return [...this.live.values()];
  }

  /**
   * Graceful stop: live calls may finish on their own for `graceMs`; those still live then are
   * ended with a goodbye. Resolves once every end has been written.
   */
  async drain(graceMs: number, onGraceOver?: (live: number) => void): Promise<void> {
    const deadline = Date.now() + graceMs;
    while (this.live.size > 0 && Date.now() < deadline) await sleep(Math.min(100, deadline - Date.now()));
    if (this.live.size > 0) {
      onGraceOver?.(this.live.size);
      await Promise.all(this.list().map((c) => c.endWithGoodbye()));
    }
    await this.settled();
  }

  /** Resolves once the ends in progress have been written (rejections are the calls' own to log). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.ending]);
  }
}
